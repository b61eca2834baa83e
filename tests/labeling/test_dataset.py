"""The dataset pipeline: sample -> per-step MC -> replayed binary search -> export -> restore -> resume."""

import gzip
import json

from _scripted import ScriptedPolicy, exact_grader

from prmkit.generation import Problem, Sampling
from prmkit.labeling.dataset import build_dataset, export_dataset, export_state, restore_job

TABLE = {"q1": ("4", [0.9, 0.9, 0.9]), "q2": ("7", [0.5, 0.0, 0.0]), "q3": ("9", [0.2, 0.2, 0.2])}
PROBLEMS = [Problem(q, q, ref) for q, (ref, _) in TABLE.items()]
SAMPLING = Sampling(style="structured", max_tokens=32)


def test_build_export_restore_resume(tmp_path) -> None:
    policy = ScriptedPolicy(TABLE)
    result = build_dataset(PROBLEMS, policy, tmp_path / "job", seed=1, k=4, sampling=SAMPLING, grader=exact_grader)
    s = result.summary()
    assert s["solutions"] == s["labelled"] == 3 and s["steps_per_solution"] == 2.0
    # MC: k rollouts from the one prefix of every 2-step solution
    assert s["rollouts_per_solution"]["mc"] == 4.0 and policy.samples == 3 + 12
    assert len(result.bs.labelled) == 3 and policy.samples == 15  # binary search replays MC's rollouts

    out = export_dataset(result, tmp_path / "job", tmp_path / "export")
    with gzip.open(out / "mc.jsonl.gz", "rt") as fh:
        mc = [json.loads(line) for line in fh]
    assert [r["id"] for r in mc] == ["q1-s0", "q2-s0", "q3-s0"]
    assert all(isinstance(v, float) for r in mc for v in r["labels"]) and all(len(r["mc"]) == 2 for r in mc)
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(s))
    again = export_dataset(result, tmp_path / "job", tmp_path / "export2")
    assert (again / "rollouts.jsonl.gz").read_bytes() == (out / "rollouts.jsonl.gz").read_bytes()

    # a fresh directory restored from the export resumes without sampling anything
    assert restore_job(out, tmp_path / "restored") and not restore_job(out, tmp_path / "restored")
    fresh = ScriptedPolicy(TABLE)
    resumed = build_dataset(PROBLEMS, fresh, tmp_path / "restored", seed=1, k=4, sampling=SAMPLING, grader=exact_grader)
    assert fresh.samples == 0 and resumed.mc.generated == 0
    assert resumed.mc.labelled == result.mc.labelled and resumed.bs.labelled == result.bs.labelled

    # more problems later: only the new solution and its rollouts are drawn
    extra = Problem("q4", "q4", "5")
    table = {**TABLE, "q4": ("5", [1.0, 1.0, 1.0])}
    grown = ScriptedPolicy(table)
    bigger = build_dataset([*PROBLEMS, extra], grown, tmp_path / "restored", seed=1, k=4, sampling=SAMPLING,
                           grader=exact_grader)
    assert grown.samples == 1 + 4 and len(bigger.mc.labelled) == 4


def test_an_unfinished_job_exports_its_state_and_resumes_elsewhere(tmp_path) -> None:
    policy = ScriptedPolicy(TABLE)
    build_dataset(PROBLEMS[:2], policy, tmp_path / "job", seed=1, k=4, sampling=SAMPLING, grader=exact_grader)
    export_state(tmp_path / "job", tmp_path / "state")  # as if stopped before q3
    assert restore_job(tmp_path / "state", tmp_path / "elsewhere")
    later = ScriptedPolicy(TABLE)
    done = build_dataset(PROBLEMS, later, tmp_path / "elsewhere", seed=1, k=4, sampling=SAMPLING, grader=exact_grader)
    assert later.samples == 1 + 4 and len(done.mc.labelled) == 3
