"""Grading a solution text, and the grader's name a labelling job records."""

import json
from pathlib import Path

from prmkit.steps import grade_text, grade_text_lenient, grader_name

DATASET = Path(__file__).resolve().parents[2] / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b"


def test_text_after_the_answer_paragraph_is_not_graded() -> None:
    assert grade_text("2 + 2 = 4.\n\nThe answer is: 4\n\nProblem: next one. The answer is: 9", "4")
    assert not grade_text("2 + 2 = 4, so 4.", "4") and grade_text_lenient("2 + 2 = 4, so 4.", "4")


def test_the_committed_dataset_records_the_default_grader_so_rerunning_it_resumes() -> None:
    recorded = json.loads((DATASET / "job.json").read_text(encoding="utf-8"))["grader"]
    assert grader_name(grade_text) == recorded == "prmkit.labeling._grading.grade_text"
    assert grader_name(grade_text_lenient) == "prmkit.labeling._grading.grade_text_lenient"
    assert grader_name(json.loads) == "json.loads"  # type: ignore[arg-type]
