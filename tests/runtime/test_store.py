"""RolloutStore: the append-only job directory a run resumes from."""

from __future__ import annotations

import json

import pytest

from prmkit.errors import ConfigError, DataFormatError
from prmkit.runtime import Probe, Rollout, RolloutStore


def _rollouts(*indices: int) -> list[tuple[Rollout, int]]:
    return [(Rollout(i, i % 2 == 0, 3 + i, f"text {i}", "stop", 20), 100 + i) for i in indices]


def test_rollouts_are_kept_with_their_seeds_and_a_stored_index_is_not_written_twice(tmp_path) -> None:
    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    probe = Probe(("a",), 0, 3)
    store.add("t1", probe.key, _rollouts(0, 1))
    store.add("t1", probe.key, _rollouts(1, 2))  # index 1 is already stored
    store.add("t1", probe.key, _rollouts(2))  # nothing new: no line
    assert store.missing("t1", probe) == [] and store.missing("t2", probe) == [0, 1, 2]
    assert [r.index for r in store.get("t1", probe)] == [0, 1, 2] and store.n_rollouts == 3
    assert store.seed("t1", probe.key, 2) == 102 and store.seed("t1", probe.key, 3) is None
    assert store.lookup("t1", probe.key, 1) == _rollouts(1)[0][0] and store.lookup("t1", "other", 1) is None
    store.close()
    lines = [json.loads(x) for x in (tmp_path / "rollouts.jsonl").read_text().splitlines()]
    assert [[r["i"] for r in line["rollouts"]] for line in lines] == [[0, 1], [2]]
    again = RolloutStore(tmp_path, fingerprint={"seed": 0})
    assert again.get("t1", probe) == store.get("t1", probe) and again.seed("t1", probe.key, 0) == 100


def test_results_and_failures_are_written_under_the_clients_file_and_key(tmp_path) -> None:
    store = RolloutStore(tmp_path, fingerprint={"seed": 0}, results_file="labels.jsonl", results_key="labelled")
    store.add_result("t1", [{"labels": [1.0]}])
    store.add_failure("t2", "context_length", "too long")
    store.close()
    lines = (tmp_path / "labels.jsonl").read_text().splitlines()
    assert lines == [
        '{"task": "t1", "labelled": [{"labels": [1.0]}]}',
        '{"task": "t2", "labelled": [], "failed": {"reason": "context_length", "detail": "too long"}}',
    ]
    again = RolloutStore(tmp_path, fingerprint={"seed": 0}, results_file="labels.jsonl", results_key="labelled")
    assert again.result("t1") == [{"labels": [1.0]}] and again.result("t2") == [] and again.result("t3") is None
    assert again.failure("t2") == {"reason": "context_length", "detail": "too long"} and again.failure("t1") is None


def test_a_directory_holding_another_configuration_is_refused(tmp_path) -> None:
    RolloutStore(tmp_path, fingerprint={"seed": 0, "method": "mc", "k": 4}).close()
    with pytest.raises(ConfigError, match="differs in: k, seed"):
        RolloutStore(tmp_path, fingerprint={"seed": 1, "method": "mc", "k": 8})
    assert RolloutStore(tmp_path, fingerprint={"k": 4, "method": "mc", "seed": 0}).fingerprint["k"] == 4


def test_a_half_written_last_line_is_dropped_on_reopen_and_skipped_when_read_only(tmp_path) -> None:
    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    store.add("t1", "k1", _rollouts(0, 1))
    store.add("t1", "k2", _rollouts(0))
    store.add_result("t1", [{"v": 1}])
    store.add_result("t2", [{"v": 2}])
    store.close()
    for name in ("rollouts.jsonl", "results.jsonl"):
        path = tmp_path / name
        text = path.read_text()
        path.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # killed mid-write
    read_only = RolloutStore(tmp_path, fingerprint=None)
    assert read_only.lookup("t1", "k1", 1) is not None and read_only.lookup("t1", "k2", 0) is None
    assert read_only.result("t1") == [{"v": 1}] and read_only.result("t2") is None
    assert not (tmp_path / "rollouts.jsonl").read_text().endswith("\n")  # read-only access repairs nothing
    with pytest.raises(PermissionError):
        read_only.add("t1", "k2", _rollouts(0))
    reopened = RolloutStore(tmp_path, fingerprint={"seed": 0})
    reopened.add("t1", "k2", _rollouts(0))
    reopened.close()
    assert [json.loads(x)["prefix"] for x in (tmp_path / "rollouts.jsonl").read_text().splitlines()] == ["k1", "k2"]


def test_a_folder_without_rollouts_is_not_a_job(tmp_path) -> None:
    with pytest.raises(DataFormatError, match="not a job directory"):
        RolloutStore(tmp_path, fingerprint=None)


def test_a_task_changed_under_the_same_id_is_refused_and_new_tasks_are_recorded(tmp_path) -> None:
    from prmkit.data import content_key

    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    store.claim_tasks({"t1": content_key("2 + 2?", ["2 + 2 = 4"]), "t2": content_key("3?", [])})
    store.close()
    again = RolloutStore(tmp_path, fingerprint={"seed": 0})
    again.claim_tasks({"t1": content_key("2 + 2?", ["2 + 2 = 4"]), "t3": content_key("new", [])})  # same, new: fine
    with pytest.raises(ConfigError, match=r"1 tasks changed since the last run under the same id \(t1\)"):
        again.claim_tasks({"t1": content_key("2 + 2?", ["2 + 2 = 5"])})
    again.close()
    assert [json.loads(x)["task"] for x in (tmp_path / "tasks.jsonl").read_text().splitlines()] == ["t1", "t2", "t3"]


def test_one_process_at_a_time_writes_a_job(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    probe = f"from prmkit.runtime import RolloutStore; RolloutStore({str(tmp_path)!r}, fingerprint={{'seed': 0}})"
    refused = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert f"is in use by another prmkit run (pid {os.getpid()})" in refused.stderr
    store.close()
    assert subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=120).returncode == 0


def test_a_damaged_job_line_is_named_with_its_file_and_line(tmp_path) -> None:
    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    store.add("t1", Probe((), 0, 2).key, _rollouts(0, 1))
    store.close()
    with (tmp_path / "rollouts.jsonl").open("a") as fh:
        fh.write('{"task": "t2", "prefix": "p"}\n')  # valid JSON, no rollouts
    with pytest.raises(DataFormatError, match=r"rollouts.jsonl:2: damaged job record \(KeyError: 'rollouts'\)"):
        RolloutStore(tmp_path, fingerprint={"seed": 0})
