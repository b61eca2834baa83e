"""Loading ProcessBench splits: official JSON arrays, JSON Lines, and named errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _shared_data import shared_path

from prmkit.data import ProcessBenchCase, load_processbench
from prmkit.errors import DataFormatError
from prmkit.types import StepwiseExample


def record(i: int = 0, **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"toy-{i}",
        "generator": "g",
        "problem": "What is 2 + 2?",
        "steps": ["2 + 2 = 4", "The answer is 4."],
        "final_answer_correct": True,
        "label": -1,
    }
    rec.update(changes)
    return rec


@pytest.mark.parametrize("split", ["gsm8k", "math"])
def test_official_splits_load_with_the_paper_counts(split: str) -> None:
    cases = load_processbench(shared_path("processbench", f"{split}.json"))
    n, n_error = {"gsm8k": (400, 207), "math": (1000, 594)}[split]
    assert len(cases) == n and sum(c.has_error for c in cases) == n_error
    assert {c.split for c in cases} == {split}
    assert cases[0].id == f"{split}-0"


def test_jsonl_and_array_give_the_same_cases(tmp_path: Path) -> None:
    recs = [record(0), record(1, label=0, **{"steps-merge": ["x"]})]
    (tmp_path / "omnimath.json").write_text(json.dumps(recs))
    (tmp_path / "omnimath.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    a = load_processbench(tmp_path / "omnimath.json")
    b = load_processbench(tmp_path / "omnimath.jsonl")
    assert a == b
    assert a[1] == ProcessBenchCase(
        "toy-1", "What is 2 + 2?", ("2 + 2 = 4", "The answer is 4."), 0, "g", True, "omnimath"
    )
    assert (
        load_processbench(tmp_path / "omnimath.jsonl", split="olympiadbench")[0].split
        == "olympiadbench"
    )


BAD = [
    (record(label=2), "label", "2", "label must be -1 or a step index in [0, 2)"),
    (record(label=-2), "label", "-2", "label must be -1"),
    (record(steps=[]), "steps", "[]", "steps is empty"),
    (record(steps=["ok", 3]), "steps[1]", "3", "valid string"),
    (record(steps="2 + 2 = 4"), "steps", "'2 + 2 = 4'", "valid list"),
    ({k: v for k, v in record().items() if k != "label"}, "label", None, "field required"),
    (record(label="1"), "label", "'1'", "valid integer"),
    (record(extra_field=1), "extra_field", None, "unknown field"),
]


@pytest.mark.parametrize(
    ("rec", "field", "shown", "message"), BAD, ids=[b[1] + ":" + b[3][:20] for b in BAD]
)
def test_malformed_records_name_file_record_field_and_value(
    tmp_path: Path, rec: dict[str, Any], field: str, shown: str | None, message: str
) -> None:
    array = tmp_path / "gsm8k.json"
    array.write_text(json.dumps([record(0), rec]))
    with pytest.raises(DataFormatError) as err:
        load_processbench(array)
    text = str(err.value)
    assert text.startswith(f"{array} (record 1): field '{field}': ")
    assert message.lower() in text.lower()
    if shown is not None:
        assert f"(got {shown})" in text
    assert (err.value.path, err.value.record, err.value.field) == (str(array), 1, field)

    lines = tmp_path / "gsm8k.jsonl"
    lines.write_text(json.dumps(record(0)) + "\n\n" + json.dumps(rec) + "\n")
    with pytest.raises(DataFormatError) as err:
        load_processbench(lines)
    assert str(err.value).startswith(f"{lines}:3: field '{field}': ")
    assert err.value.line == 3


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    lines = tmp_path / "math.jsonl"
    lines.write_text(json.dumps(record(0)) + '\n{"id": "toy-1", "steps": [\n')
    with pytest.raises(DataFormatError, match=r"math.jsonl:2: malformed JSON"):
        load_processbench(lines)
    array = tmp_path / "math.json"
    array.write_text('[\n  {"id": "toy-0",\n  "steps": ]\n')
    with pytest.raises(DataFormatError, match=r"math.json:3: malformed JSON"):
        load_processbench(array)


def test_duplicate_ids_and_empty_files(tmp_path: Path) -> None:
    dup = tmp_path / "d.json"
    dup.write_text(json.dumps([record(0), record(0)]))
    with pytest.raises(DataFormatError, match=r"\(record 1\): field 'id': duplicate id"):
        load_processbench(dup)
    empty = tmp_path / "e.json"
    empty.write_text("[]")
    with pytest.raises(DataFormatError, match="no records"):
        load_processbench(empty)
    with pytest.raises(DataFormatError, match="file not found"):
        load_processbench(tmp_path / "missing.json")


def test_processbench_style_records_need_only_the_solution_and_its_label(tmp_path: Path) -> None:
    p = tmp_path / "val.json"
    recs = [
        {"problem": "q", "steps": ["a", "b"], "label": 1, "note": "ignored"},
        {"id": 7, "problem": "q", "steps": ["a"], "label": -1, "final_answer_correct": True},
        {"id": 7, "problem": "q", "steps": ["a"], "label": 0},  # ids need not be unique here
    ]
    p.write_text(json.dumps(recs))
    a, b, c = load_processbench(p, strict=False)
    assert (a.id, a.steps, a.label, a.generator, a.final_answer_correct, a.split) == (None, ("a", "b"), 1, None, None, "val")
    assert (b.id, c.id) == ("7", "7")
    assert b.example() == StepwiseExample("q", ("a",), (1.0,), True, "7")
    assert a.example().labels == (1.0, 0.0) and a.example().completions == ("a", "b")
    with pytest.raises(DataFormatError, match=r"\(record 0\): field 'id': field required"):
        load_processbench(p)  # the official record has every field
    (tmp_path / "empty.jsonl").write_text("")
    assert load_processbench(tmp_path / "empty.jsonl", strict=False) == []


STYLE_BAD = [
    ({"steps": ["a"], "label": -1}, "problem", None, "field required"),
    ({"problem": "q", "steps": [], "label": -1}, "steps", "[]", "steps is empty"),
    ({"problem": "q", "steps": ["a"], "label": 1}, "label", "1", "label must be -1 or a step index in [0, 1)"),
    ({"problem": "q", "steps": ["a"], "label": True}, "label", "True", "valid integer"),
    ({"problem": "q", "steps": ["a"], "label": 0, "final_answer_correct": "yes"}, "final_answer_correct", "'yes'", "valid boolean"),
    ({"problem": "q", "steps": ["a"], "label": 0, "id": [1]}, "id", None, ""),
]


@pytest.mark.parametrize(("rec", "field", "shown", "message"), STYLE_BAD, ids=[b[1] for b in STYLE_BAD])
def test_processbench_style_errors_name_file_line_field_and_value(
    tmp_path: Path, rec: dict[str, Any], field: str, shown: str | None, message: str
) -> None:
    lines = tmp_path / "val.jsonl"
    lines.write_text(json.dumps({"problem": "q", "steps": ["a"], "label": 0}) + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(DataFormatError) as err:
        load_processbench(lines, strict=False)
    text = str(err.value)
    assert text.startswith(f"{lines}:2: field '{field}") and message.lower() in text.lower()
    if shown is not None:
        assert f"(got {shown})" in text
