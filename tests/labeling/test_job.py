import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _scripted import ScriptedPolicy, exact_grader, parse_prompt
from _tables import scripted_tasks

import prmkit
from prmkit.errors import ConfigError, ContextLengthError
from prmkit.labeling import MonteCarlo, run_job
from prmkit.runtime import LocalRunner

HERE = Path(__file__).resolve().parent


def _env() -> dict[str, str]:
    src = str(Path(prmkit.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE), str(HERE.parent)])}


def _stored(directory: Path) -> list[tuple[str, str, int, int]]:
    out = []
    with (directory / "rollouts.jsonl").open() as fh:
        for line in fh:
            if line.endswith("\n"):
                rec = json.loads(line)
                out += [(rec["task"], rec["prefix"], r["i"], r["seed"]) for r in rec["rollouts"]]
    return out


def _labels(directory: Path) -> dict[str, dict]:
    out = {}
    with (directory / "labels.jsonl").open() as fh:
        for line in fh:
            rec = json.loads(line)
            out.update({x["id"]: x for x in rec["labelled"]})
    return out


def _run(directory: Path, log: Path, method: str, delay: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "_resume_worker.py"), str(directory), str(log), method, str(delay)], env=_env()
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["mc", "binary_search"])
def test_killed_and_restarted_job_gives_the_same_labels_and_repeats_no_rollout(tmp_path, method) -> None:
    whole = tmp_path / "whole"
    assert _run(whole, tmp_path / "whole.log", method, 0.0).wait(timeout=120) == 0

    job = tmp_path / "job"
    log1, log2 = tmp_path / "run1.log", tmp_path / "run2.log"
    proc = _run(job, log1, method, 0.02)
    deadline = time.time() + 60
    while time.time() < deadline:  # kill once some batches are recorded, well before the end
        if (job / "rollouts.jsonl").exists() and len(_stored(job)) >= 40:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _stored(job)
    total = len(_stored(whole))
    assert 40 <= len(before) < total, "the kill must land mid-run"

    assert _run(job, log2, method, 0.0).wait(timeout=120) == 0
    after = _stored(job)
    keys = [(t, p, i) for t, p, i, _ in after]
    assert len(keys) == len(set(keys)), "a rollout was recorded twice"
    assert sorted(after) == sorted(_stored(whole))  # same rollouts, same seeds
    regenerated = {int(s) for s in log2.read_text().split()}
    assert regenerated.isdisjoint({s for *_, s in before}), "a recorded rollout was generated again"
    assert len(regenerated) == len(after) - len(before)
    # labels identical to the uninterrupted run, accounting included
    assert _labels(job) == _labels(whole)


def test_restart_in_process_reuses_everything_and_calls_no_generator(tmp_path) -> None:
    tasks, table = scripted_tasks(6, seed=1)
    first = run_job(tasks, MonteCarlo(k=4), LocalRunner(ScriptedPolicy(table)), tmp_path, grader=exact_grader)
    policy = ScriptedPolicy(table)
    again = run_job(tasks, MonteCarlo(k=4), LocalRunner(policy), tmp_path, grader=exact_grader)
    assert policy.calls == 0 and again.generated == 0
    assert again.labelled == first.labelled
    # a finished job plus new tasks: only the new ones are labelled
    more, table2 = scripted_tasks(8, seed=1)
    policy = ScriptedPolicy(table2)
    grown = run_job(more, MonteCarlo(k=4), LocalRunner(policy), tmp_path, grader=exact_grader)
    assert grown.labelled[:6] == first.labelled
    assert policy.samples == sum(x.rollouts for x in grown.labelled[6:])


def test_a_directory_with_another_configuration_is_refused(tmp_path) -> None:
    tasks, table = scripted_tasks(2, seed=1)
    run_job(tasks, MonteCarlo(k=4), LocalRunner(ScriptedPolicy(table)), tmp_path, grader=exact_grader)
    with pytest.raises(ConfigError, match="differs in: labeller"):
        run_job(tasks, MonteCarlo(k=8), LocalRunner(ScriptedPolicy(table)), tmp_path, grader=exact_grader)
    with pytest.raises(ConfigError, match="differs in: seed"):
        run_job(tasks, MonteCarlo(k=4), LocalRunner(ScriptedPolicy(table)), tmp_path, seed=1, grader=exact_grader)


def test_a_half_written_last_line_is_dropped(tmp_path) -> None:
    tasks, table = scripted_tasks(3, seed=1)
    first = run_job(tasks, MonteCarlo(k=4), LocalRunner(ScriptedPolicy(table)), tmp_path / "a", grader=exact_grader)
    path = tmp_path / "a" / "labels.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # killed mid-write
    policy = ScriptedPolicy(table)
    again = run_job(tasks, MonteCarlo(k=4), LocalRunner(policy), tmp_path / "a", grader=exact_grader)
    assert again.labelled == first.labelled and policy.calls == 0  # its rollouts were all stored


def test_duplicate_task_ids_are_refused(tmp_path) -> None:
    tasks, table = scripted_tasks(2, seed=1)
    with pytest.raises(ConfigError, match="unique"):
        run_job([tasks[0], tasks[0]], MonteCarlo(), LocalRunner(ScriptedPolicy(table)), tmp_path, grader=exact_grader)


def test_a_prompt_too_long_fails_its_task_only(tmp_path) -> None:
    class ShortContext(ScriptedPolicy):
        def generate(self, requests):
            for i, r in enumerate(requests):
                if len(parse_prompt(r.prompt)[1]) >= 6:
                    raise ContextLengthError(f"request {i}: the prompt has too many tokens")
            return super().generate(requests)

    tasks, table = scripted_tasks(10, seed=1)
    long_ids = {t.id for t in tasks if t.solution.n_steps > 6}
    assert 0 < len(long_ids) < len(tasks)
    res = run_job(tasks, MonteCarlo(k=4), LocalRunner(ShortContext(table), batch_size=64), tmp_path, grader=exact_grader)
    assert {f[0] for f in res.failures} == long_ids and all(f[1] == "context_length" for f in res.failures)
    assert {x.id for x in res.labelled} == {t.id for t in tasks} - long_ids
    policy = ScriptedPolicy(table)
    again = run_job(tasks, MonteCarlo(k=4), LocalRunner(policy), tmp_path, grader=exact_grader)
    assert policy.calls == 0 and again.failures == res.failures and again.labelled == res.labelled
