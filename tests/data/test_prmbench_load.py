"""Loading PRMBench files: the shipped circular file, the task code's case building, and named errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _shared_data import shared_path

from prmkit.data import PRMBenchCase, load_prmbench
from prmkit.data.prmbench import strip_step_number
from prmkit.errors import DataFormatError

CIRCULAR = ("prmbench", "prm800k_test_p1_4o_circular.jsonl")


def record(idx: str = "t0", **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "original_question": "What is 2 + 2?",
        "modified_question": "What is 2 + 2, really?",
        "original_process": ["1. 2 + 2 = 4", "2. The answer is 4."],
        "modified_process": ["1. 2 + 2 = 4", "2. Assume 4; then 2 + 2 = 4.", "3. The answer is 4."],
        "modified_steps": [2, 3],
        "error_steps": [2],
        "reason": "circular",
        "idx": idx,
        "question": "What is $2 + 2$?",
        "classification": "circular",
    }
    rec.update(changes)
    return rec


def write(path: Path, recs: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in recs))
    return path


def test_the_shipped_circular_file() -> None:
    path = shared_path(*CIRCULAR)
    cases = load_prmbench(path)
    assert len(cases) == 90 and {c.classification for c in cases} == {"circular"}
    first = cases[0]
    assert first.id == "circular_prm_test_p1_0" and first.error_steps == (3, 4, 5)
    assert first.question.startswith("Three pencils and a jumbo eraser cost $1.24.")
    assert first.labels == (1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0)
    assert first.steps[2].startswith("3. Assume a pencil costs 29 cents.")
    assert first.solution().steps[2].startswith("Assume a pencil costs 29 cents.")
    assert first.solution(strip_numbers=False).steps == first.steps
    assert first.example().labels == first.labels and first.example().prompt == first.question
    # error step 34 of a 33-step solution names no step: the task code ignores it, and so do the labels
    late = next(c for c in cases if c.id == "circular_prm_test_p1_62")
    assert late.error_steps == (16, 34) and len(late.steps) == 33
    assert [i + 1 for i, v in enumerate(late.labels) if v == 0.0] == [16]
    assert sum(len(c.steps) for c in cases) == 1064
    assert sum(v == 0.0 for c in cases for v in c.labels) == 276


def test_steps_are_numbered_in_some_records_only() -> None:
    cases = load_prmbench(shared_path(*CIRCULAR))
    numbered = [c for c in cases if c.steps[0].startswith("1. ")]
    assert 0 < len(numbered) < len(cases)
    assert all(s == strip_step_number(s) for c in cases if c not in numbered for s in c.solution().steps)


def test_redundency_records_add_the_unmodified_solution_once(tmp_path: Path) -> None:
    red = record(classification="redundency")
    a = write(tmp_path / "x_redundency.jsonl", [red, record("t1", classification="redundency")])
    b = write(tmp_path / "x_circular.jsonl", [record(), record()])  # a repeated id: the first is kept
    cases = load_prmbench([a, b])
    assert [c.id for c in cases] == ["correct_t0", "redundency_t0", "correct_t1", "redundency_t1", "circular_t0"]
    correct = cases[0]
    assert correct == PRMBenchCase("correct_t0", "What is 2 + 2?", ("1. 2 + 2 = 4", "2. The answer is 4."), (),
                                   "correct", str(a))
    assert correct.labels == (1.0, 1.0)
    assert cases[1].question == "What is 2 + 2, really?" and cases[1].labels == (1.0, 0.0, 1.0)


def test_multi_solutions_records_carry_two_more_fields(tmp_path: Path) -> None:
    rec = record(classification="multi_solutions", error_steps=[], modified_steps=[], ground_truth="4",
                 original_response="2 + 2 = 4")
    (case,) = load_prmbench(write(tmp_path / "ms.jsonl", [rec]))
    assert case.id == "multi_solutions_t0" and case.labels == (1.0, 1.0, 1.0)


BAD = [
    ({k: v for k, v in record().items() if k != "reason"}, "reason", "field required"),
    (record(extra=1), "extra", "unknown field"),
    (record(idx=3), "idx", "valid string"),
    (record(modified_process=["ok", 3]), "modified_process[1]", "valid string"),
    (record(original_process="1. 2 + 2 = 4"), "original_process", "valid list"),
    (record(error_steps=[2.0]), "error_steps[0]", "valid integer"),
    (record(classification="circular_reasoning"), "classification", "input should be"),
    (record(error_steps=[0, 2]), "error_steps", "step numbers are 1-based"),
    (record(modified_steps=[2, 2]), "modified_steps", "a step number is repeated"),
    (record(modified_process=[], error_steps=[], modified_steps=[]), "modified_process", "modified_process is empty"),
    (record(classification="multi_solutions", ground_truth="4", original_response="r"), "error_steps",
     "multi_solutions cases have no wrong step"),
]


@pytest.mark.parametrize(("bad", "field", "message"), BAD, ids=[b[1] for b in BAD])
def test_a_malformed_record_names_file_line_and_field(tmp_path: Path, bad: dict[str, Any], field: str,
                                                      message: str) -> None:
    path = write(tmp_path / "p.jsonl", [record("t0"), bad])
    with pytest.raises(DataFormatError) as e:
        load_prmbench(path)
    assert (e.value.path, e.value.line, e.value.field) == (str(path), 2, field)
    assert message in str(e.value) and str(e.value).startswith(f"{path}:2: field '{field}': ")


def test_broken_json_an_empty_file_and_a_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", [record(), '{"idx": '])
    with pytest.raises(DataFormatError, match=r"p\.jsonl:2"):
        load_prmbench(path)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DataFormatError, match="no records"):
        load_prmbench(tmp_path / "empty.jsonl")
    with pytest.raises(DataFormatError, match="file not found"):
        load_prmbench(tmp_path / "nope.jsonl")
