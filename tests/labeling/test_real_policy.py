"""Labelling with a real policy: SmolLM2-135M-Instruct (GGUF) on llama.cpp, kept short."""

import pytest
from _require import installed, need_module

from prmkit.generation import Sampling
from prmkit.labeling import BinarySearch, LabelTask, MonteCarlo, run_job
from prmkit.labeling.consensus import consensus_filter, judge_solutions
from prmkit.labeling.inject import gsm8k_solution
from prmkit.runtime import LocalRunner, RayRunner, ReplayRunner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def policy():
    need_module("llama_cpp", "needs llama-cpp-python (pip install 'prmkit[llamacpp]')")
    from prmkit.generation import load_generator

    with installed():  # the model's PyPI package
        gen = load_generator("llamacpp", model="smollm2-135m-instruct", n_ctx=1024, n_threads=1)
    yield gen
    gen.close()


def _task(gsm8k_train) -> LabelTask:
    row = gsm8k_train[0]
    sol = gsm8k_solution(row["question"], row["answer"], id="gsm8k-train-0")  # 3 steps, answer 72
    return LabelTask(sol, "72")


def test_mc_and_binary_search_with_a_real_policy(tmp_path, gsm8k_train, policy) -> None:
    task = _task(gsm8k_train)
    sampling = Sampling(temperature=0.8, max_tokens=24)
    mc = run_job([task], MonteCarlo(k=2, label="soft"), LocalRunner(policy), tmp_path / "mc", sampling=sampling,
                 policy="smollm2")
    (x,) = mc.labelled
    rec = x.to_record()
    assert set(rec) >= {"prompt", "completions", "labels", "rollouts", "rollout_tokens", "prompt_tokens"}
    assert rec["completions"] == list(task.solution.steps) and len(rec["labels"]) == 3
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in rec["labels"])
    assert rec["labels"][-1] == 1.0  # the reference solution is correct: graded, no rollout
    assert x.rollouts == 4 == mc.generated  # 2 prefixes x k=2
    assert 0 < x.rollout_tokens <= 4 * 24 and x.prompt_tokens > 4 * 200  # each rollout reads the whole prompt

    # the same seeds on a fresh job reproduce the same rollouts (llama.cpp seeded sampling)
    again = run_job([task], MonteCarlo(k=2, label="soft"), LocalRunner(policy), tmp_path / "mc2", sampling=sampling,
                    policy="smollm2")
    texts = [(tmp_path / d / "rollouts.jsonl").read_text() for d in ("mc", "mc2")]
    assert texts[0] == texts[1] and again.labelled == mc.labelled

    # binary search replayed on those rollouts: a correct solution costs nothing
    bs = run_job([task], BinarySearch(k=2), ReplayRunner(tmp_path / "mc"), tmp_path / "bs", sampling=sampling,
                 policy="smollm2")
    assert bs.labelled[0].first_error == -1 and bs.labelled[0].rollouts == 0

    # the real model as a judge: its verdict is parsed or counted as none, and its tokens are counted
    (verdict,) = judge_solutions([x], policy, max_tokens=32)
    assert verdict.tokens > 0 and (verdict.first_error is None or -1 <= verdict.first_error < 3)
    assert len(consensus_filter([x], [verdict]).kept) == int(verdict.first_error == x.first_error)


def test_ray_actors_with_the_real_policy_reproduce_the_single_process_rollouts(tmp_path, gsm8k_train, policy) -> None:
    ray = need_module("ray")
    import functools
    import json
    import os
    from pathlib import Path

    import prmkit
    from prmkit.generation import load_generator

    task = _task(gsm8k_train)
    sampling = Sampling(temperature=0.8, max_tokens=24)
    local = run_job([task], MonteCarlo(k=2), LocalRunner(policy), tmp_path / "local", sampling=sampling)
    src = str(Path(prmkit.__file__).resolve().parents[1])
    runner = RayRunner(
        functools.partial(load_generator, "llamacpp", model="smollm2-135m-instruct", n_ctx=1024, n_threads=1),
        num_actors=2,
        num_cpus=0.5,
        chunk_units=1,
        init_kwargs={"num_cpus": 2, "include_dashboard": False,
                     "runtime_env": {"env_vars": {"PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}}},
    )
    try:
        distributed = run_job([task], MonteCarlo(k=2), runner, tmp_path / "ray", sampling=sampling)
    finally:
        runner.shutdown()
        ray.shutdown()

    def rollouts(d):
        lines = (tmp_path / d / "rollouts.jsonl").read_text().splitlines()
        return sorted(json.dumps(json.loads(line), sort_keys=True) for line in lines)

    assert rollouts("ray") == rollouts("local")
    assert distributed.labelled == local.labelled
