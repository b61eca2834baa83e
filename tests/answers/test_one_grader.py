"""One table of answer texts, graded the same by labelling (a rollout) and by Best-of-N (a candidate),
because both read and grade answers with :mod:`prmkit.answers`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FrameType

import pytest

from prmkit.answers import extract_answer, grade_answer
from prmkit.data import load_candidates
from prmkit.evaluation import BonConfig, evaluate_bon
from prmkit.labeling import LabelTask, MonteCarlo, run_job
from prmkit.runtime import LocalRunner
from prmkit.steps import grade_text, split_steps
from prmkit.types import Solution

# (solution text, reference answer, correct). One paragraph each: the rollout is the whole text.
TABLE = [
    (r"The area is $\fbox{42}$.", "42", True),
    (r"So it is \boxed 5", "5", True),
    (r"The answer is $\boxed{\frac{1}{2}}$.", "0.5", True),
    (r"Then $\boxed{\frac{\sqrt{3}}{2}}$ again \boxed{\frac{1}{2}}", r"\frac12", True),
    ("Janet sells 16 - 3 - 4 = 9 eggs.\n#### 42", "42", True),
    ("Janet sells 9 eggs.\n#### 1,072", "1072", True),
    ("The answer is (B).", "B", True),
    ("The answer is (B).", "C", False),
    ("She makes 9 * 2 = 18 dollars.\nAnswer: 18", "18", True),
    ("The answer is: $1,200.", "1200", True),
    ("I am not sure what to do here, maybe 7.", "7", False),
    (r"The result goes in \boxed{}.", "3", False),
    ("The final answer is 3.", "4", False),
]


def _rollout_grade(text: str, reference: str, directory: Path) -> bool:
    """Labelling: a job grades a solution it is given with its grader (the default one)."""
    task = LabelTask(Solution("q", split_steps(text), id="t"), reference)
    (record,) = run_job([task], MonteCarlo(), LocalRunner(generator=None), directory / "job").records()
    return bool(record["extra"]["solution_correct"])


def _bon_grade(text: str, reference: str, directory: Path) -> bool:
    """Best-of-N: a candidate file's text is read by the loader and graded against the reference."""
    path = directory / "candidates.jsonl"
    path.write_text(json.dumps({"problem": "q", "reference": reference, "candidates": [{"text": text}]}))
    result = evaluate_bon(load_candidates(path), ["pass_at_n"], config=BonConfig(ns=(1,), n_bootstrap=0))
    (row,) = result.rows
    return row.accuracy == 1.0


@contextmanager
def _called() -> Iterator[set[CodeType]]:
    """The code objects of every Python function called inside the block."""
    seen: set[CodeType] = set()

    def hook(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            seen.add(frame.f_code)

    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(None)


@pytest.mark.parametrize(("text", "reference", "correct"), TABLE)
def test_rollout_and_candidate_grading_agree(text: str, reference: str, correct: bool, tmp_path: Path) -> None:
    assert grade_text(text, reference) is correct
    assert _rollout_grade(text, reference, tmp_path) is correct
    assert _bon_grade(text, reference, tmp_path) is correct


@pytest.mark.parametrize("path", [_rollout_grade, _bon_grade])
def test_both_paths_call_the_one_extractor_and_grader(path: Callable[[str, str, Path], bool], tmp_path: Path) -> None:
    text, reference, _ = TABLE[0]
    with _called() as seen:
        path(text, reference, tmp_path)
    assert extract_answer.__code__ in seen and grade_answer.__code__ in seen
