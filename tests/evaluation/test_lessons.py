"""The "Lessons" diagnostics against hand-counted values, and their block in ``eval bon``'s JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from prmkit.answers import Answer
from prmkit.cli import main
from prmkit.data.candidates import (
    Candidate,
    CandidateProblem,
    CandidateSet,
    load_candidates,
    write_candidates,
)
from prmkit.evaluation.lessons import auroc, candidate_lessons, lessons

SCORES = [
    [0.9, 0.8, 0.1],  # min on the last step
    [0.9, 0.2, 0.7],
    [0.6],  # one step: not counted for min-on-last
    [0.5, 0.5],  # a tie goes to the earlier step
    [0.95, 0.9, 0.85, 0.3, 0.2],  # min on the last step
]
LABELS = [[1, 1, 0], [1, 0, None], [1], [1, 1], [1, 1, 1, 0, 0]]
CORRECT = [False, True, True, None, False]


def test_min_on_last_step_counts_strict_minima_of_multi_step_solutions() -> None:
    assert lessons(SCORES)["min_on_last_step"] == {"share": 0.5, "n": 4}


def test_length_buckets_and_correlations() -> None:
    out = lessons(SCORES, correct=CORRECT)["length"]
    assert [(b["steps"], b["n"]) for b in out["buckets"]] == [("1", 1), ("2", 1), ("3-4", 2), ("5-8", 1)]
    three = out["buckets"][2]
    assert three["mean_last"] == pytest.approx(0.4) and three["mean_min"] == pytest.approx(0.15)
    assert three["accuracy"] == 0.5 and out["buckets"][1]["accuracy"] is None
    sizes, lasts = [3, 3, 1, 2, 5], [0.1, 0.7, 0.6, 0.5, 0.2]
    assert out["corr_last"] == pytest.approx(float(np.corrcoef(sizes, lasts)[0, 1]))


def test_position_buckets_and_step_metrics_with_labels() -> None:
    out = lessons(SCORES, LABELS, threshold=0.5)
    first = out["position"]["buckets"][0]
    assert (first["step"], first["n"]) == ("1", 5)
    assert first["mean_score"] == pytest.approx((0.9 + 0.9 + 0.6 + 0.5 + 0.95) / 5)
    steps = out["steps_vs_labels"]
    # 13 labelled steps, bad ones: 0.1, 0.2, 0.3, 0.2 (all < 0.5); good ones < 0.5: none
    assert (steps["n"], steps["n_bad"], steps["error_recall"], steps["correct_recall"]) == (13, 4, 1.0, 1.0)
    assert steps["f1"] == 1.0 and steps["auroc"] == 1.0
    assert "steps_vs_labels" not in lessons(SCORES)


def test_auroc_counts_ties_half() -> None:
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.9, 0.1], [True, True]) is None


def test_candidate_lessons_reads_step_labels_and_skips_outcome_scores(tmp_path: Path) -> None:
    cands = (
        Candidate(("a", "b"), Answer.of("1"), True, (0.9, 0.2), step_labels=(1.0, 0.0)),
        Candidate(("a", "b"), Answer.of("2"), False, (0.4,)),  # an outcome score
    )
    cset = CandidateSet((CandidateProblem("p", "?", cands),))
    path = tmp_path / "c.jsonl"
    write_candidates(cset, path)
    back = load_candidates(path)
    assert back.problems[0].candidates[0].step_labels == (1.0, 0.0)
    out = candidate_lessons(back)
    assert out["solutions"] == 1 and out["steps_vs_labels"]["n"] == 2


def test_eval_bon_writes_a_lessons_block_and_prints_the_same(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    rec = {"id": "p", "problem": "?", "reference": "2", "candidates": [
        {"steps": ["x", "y"], "answer": "2", "correct": True, "step_scores": [0.9, 0.8], "step_labels": [1, 1]},
        {"steps": ["x", "z"], "answer": "3", "correct": False, "step_scores": [0.9, 0.1], "step_labels": [1, 0]},
    ]}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    argv = ["eval", "bon", "--candidates", str(path), "--scores-from-file", "--no-plot", "--quiet",
            "--bootstrap", "0"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out == printed
    doc = json.loads((tmp_path / "o" / "bon.json").read_text(encoding="utf-8"))
    assert doc["lessons"]["min_on_last_step"] == {"share": 1.0, "n": 2}
    assert doc["lessons"]["steps_vs_labels"]["auroc"] == 1.0
    assert main(["eval", "bon", "--candidates", str(path), "--selectors", "majority", "--no-plot", "--quiet",
                 "--out", str(tmp_path / "v")]) == 0
    assert "lessons" not in json.loads((tmp_path / "v" / "bon.json").read_text(encoding="utf-8"))
