"""RayRunner: actors with fractional CPUs give exactly the rollouts and results of one process."""

from __future__ import annotations

import functools
import json
import os
import signal
from pathlib import Path

import pytest
from _require import need_module
from _scripted import ScriptedPolicy, exact_grader
from _tables import scripted_tasks
from _workload import bisect, group, run, scripted_problems

import prmkit
from prmkit.labeling import BinarySearch, MonteCarlo, run_job
from prmkit.runtime import LocalRunner, RayRunner

TESTS = Path(__file__).resolve().parents[1]


def _stored(directory: Path) -> list[str]:
    lines = (directory / "rollouts.jsonl").read_text().splitlines()
    return sorted(json.dumps(json.loads(line), sort_keys=True) for line in lines)  # Ray records in completion order


@pytest.mark.slow
def test_ray_actors_give_the_results_of_a_single_process(tmp_path) -> None:
    ray = need_module("ray")
    sigterm = signal.getsignal(signal.SIGTERM)  # ray.init installs its own handler and shutdown leaves it
    problems, steps, table = scripted_problems(10, seed=9)
    tasks, _ = scripted_tasks(10, seed=9, monotone=False)
    src = str(Path(prmkit.__file__).resolve().parents[1])
    runner = RayRunner(
        functools.partial(ScriptedPolicy, table),
        num_actors=4,
        num_cpus=0.5,
        chunk_units=2,
        init_kwargs={"num_cpus": 2, "include_dashboard": False,
                     "runtime_env": {"env_vars": {"PYTHONPATH": os.pathsep.join([src, str(TESTS)])}}},
    )
    local = lambda: LocalRunner(ScriptedPolicy(table))  # noqa: E731
    try:
        for name, plan in (("group", group), ("bisect", bisect(steps))):
            one, stats_one, _ = run(problems, plan, local(), tmp_path / f"{name}-local")
            many, stats_many, _ = run(problems, plan, runner, tmp_path / f"{name}-ray")
            assert many == one and stats_many == stats_one
        for labeller in (BinarySearch(k=8, wave=2), MonteCarlo(k=8)):
            d = tmp_path / labeller.method
            single = run_job(tasks, labeller, local(), d / "local", grader=exact_grader)
            distributed = run_job(tasks, labeller, runner, d / "ray", grader=exact_grader)
            assert distributed.labelled == single.labelled and distributed.generated == single.generated
            assert _stored(d / "ray") == _stored(d / "local")
    finally:
        runner.shutdown()
        ray.shutdown()
        signal.signal(signal.SIGTERM, sigterm)


@pytest.mark.slow
def test_a_live_search_on_ray_gives_the_local_results(tmp_path) -> None:
    need_module("ray")
    import ray
    from _search_stub import StepPolicy, ValuePRM

    from prmkit.generation import Sampling
    from prmkit.search.beam import BeamSearch
    from prmkit.search.live import run_search
    from prmkit.types import Problem

    sigterm = signal.getsignal(signal.SIGTERM)
    problems = [Problem(f"p{i}", f"What is number {i}?", str(10 + i)) for i in range(6)]
    refs = {p.problem: p.reference for p in problems}
    src = str(Path(prmkit.__file__).resolve().parents[1])
    runner = RayRunner(
        functools.partial(StepPolicy, refs), num_actors=2, num_cpus=0.5, chunk_units=3,
        init_kwargs={"num_cpus": 2, "include_dashboard": False,
                     "runtime_env": {"env_vars": {"PYTHONPATH": os.pathsep.join([src, str(TESTS)])}}},
    )
    sampling = Sampling(temperature=0.8, max_tokens=64)
    try:
        one = run_search(problems, BeamSearch(n=8, width=4), LocalRunner(StepPolicy(refs)), ValuePRM(),
                         tmp_path / "local", sampling=sampling)
        many = run_search(problems, BeamSearch(n=8, width=4), runner, ValuePRM(), tmp_path / "ray",
                          sampling=sampling)
        strip = [{k: v for k, v in r.items() if k != "compute"} for r in one.results]
        assert [{k: v for k, v in r.items() if k != "compute"} for r in many.results] == strip
        assert many.stats == one.stats
        assert _stored(tmp_path / "ray") == _stored(tmp_path / "local")
    finally:
        runner.shutdown()
        ray.shutdown()
        signal.signal(signal.SIGTERM, sigterm)
