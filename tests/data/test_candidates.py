"""Candidate-set loaders and the prmkit candidate JSONL format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prmkit.answers import Answer, NoAnswer
from prmkit.data.candidates import load_candidates, write_candidates
from prmkit.errors import DataFormatError
from prmkit.steps import split_steps

GOOD = {
    "id": "p1",
    "problem": "What is 2 + 2?",
    "reference": "4",
    "candidates": [
        {
            "steps": ["2 + 2 = 4.", "The answer is 4."],
            "answer": "4",
            "correct": True,
            "step_scores": [0.9, 0.95],
            "policy_tokens": 21,
            "verifier_tokens": 30,
        },
        {"text": "2 + 2 = 5.\n\nThe answer is 5."},
        {"steps": ["no idea"], "answer": "", "step_scores": [0.1]},
    ],
}


def _write(tmp_path: Path, *records: object) -> Path:
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return p


def test_prmkit_format(tmp_path: Path) -> None:
    cs = load_candidates(_write(tmp_path, GOOD, {**GOOD, "id": 7}))
    p = cs.problems[0]
    a, b, c = p.candidates
    assert (p.id, p.reference, cs.problems[1].id) == ("p1", "4", "7")
    assert (a.answer, a.correct, a.step_scores, a.policy_tokens, a.verifier_tokens) == (
        Answer("4", "4"),
        True,
        (0.9, 0.95),
        21,
        30,
    )
    assert b.steps == ("2 + 2 = 5.", "The answer is 5.")
    assert (b.answer, b.correct, b.step_scores) == (
        Answer("5", "5"),
        None,
        None,
    )  # extracted; graded later
    assert c.answer == NoAnswer("missing", "no answer given")


def test_round_trip(tmp_path: Path) -> None:
    cs = load_candidates(_write(tmp_path, GOOD))
    out = tmp_path / "out.jsonl"
    write_candidates(cs, out)
    again = load_candidates(out)
    assert [c.answer for c in again.problems[0].candidates] == [
        c.answer for c in cs.problems[0].candidates
    ]
    assert again.problems[0].candidates[0] == cs.problems[0].candidates[0]


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"candidates": [{"steps": ["a"]}]}, "problem", "Field required"),
        ({"problem": "p", "candidates": []}, "candidates", "at least 1 item"),
        (
            {"problem": "p", "candidates": [{"steps": ["a"], "text": "a"}]},
            "candidates.0",
            "exactly one of 'steps' or 'text'",
        ),
        (
            {"problem": "p", "candidates": [{"answer": "3"}]},
            "candidates.0",
            "exactly one of 'steps' or 'text'",
        ),
        (
            {"problem": "p", "candidates": [{"steps": ["a", "b"], "step_scores": [0.1, 0.2, 0.3]}]},
            "candidates.0",
            "3 scores for 2 steps",
        ),
        (
            {"problem": "p", "candidates": [{"steps": ["a"], "correct": "yes"}]},
            "candidates.0.correct",
            "valid boolean",
        ),
        (
            {"problem": "p", "candidates": [{"steps": ["a"], "colour": 1}]},
            "candidates.0.colour",
            "Extra inputs",
        ),
        (
            {"problem": "p", "candidates": [{"steps": ["a"], "policy_tokens": -3}]},
            "candidates.0.policy_tokens",
            "greater than or equal to 0",
        ),
        ({"problem": "p", "candidates": [{"steps": "a b"}]}, "candidates.0.steps", "valid list"),
    ],
)
def test_malformed_record_names_file_line_and_field(
    tmp_path: Path, record: dict[str, object], field: str, message: str
) -> None:
    path = _write(tmp_path, GOOD, record)
    with pytest.raises(DataFormatError, match=message) as err:
        load_candidates(path)
    assert err.value.path == str(path)
    assert err.value.line == 2
    assert err.value.field == field
    assert f"c.jsonl:2: field '{field}'" in str(err.value)


def test_malformed_json_and_unknown_format(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(GOOD) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad.jsonl:2: malformed JSON"):
        load_candidates(p)
    with pytest.raises(DataFormatError, match="cannot tell the candidate format"):
        load_candidates(_write(tmp_path, {"question": "q", "answer": "a"}))
    with pytest.raises(DataFormatError, match="file not found"):
        load_candidates(tmp_path / "missing.jsonl")


def test_math_cot_loader(shared_data: Path) -> None:
    path = shared_data / "bon_qwen25math_math_cot_100" / "math_cot_100.jsonl"
    cs = load_candidates(path)
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(cs.problems) == 100 and cs.n_range == (8, 8)
    for p, r in zip(cs.problems, raw, strict=True):
        assert (p.id, p.problem, p.reference) == (str(r["idx"]), r["question"], r["gt"])
        assert [c.answer.text for c in p.candidates] == r["pred"]  # type: ignore[union-attr]
        assert [c.correct for c in p.candidates] == r["score"]
        assert [list(c.step_scores or ()) for c in p.candidates] == r["pred_score"]
        assert [c.steps for c in p.candidates] == [split_steps(t) for t in r["response"]]


def test_gsm8k_examples_loader(shared_data: Path) -> None:
    cs = load_candidates(shared_data / "gsm8k" / "example_model_solutions.jsonl")
    assert len(cs.problems) == 1319 and cs.n_range == (4, 4)
    first = cs.problems[0]
    assert (first.id, first.reference) == ("gsm8k-test-0", "18")
    assert [c.correct for c in first.candidates] == [False, False, False, True]
    assert first.candidates[3].answer == Answer("18", "18")
    assert first.candidates[3].steps[-1] == "A: 18"
    accuracy = [sum(bool(p.candidates[k].correct) for p in cs.problems) / 1319 for k in range(4)]
    assert accuracy == pytest.approx([0.217, 0.390, 0.347, 0.563], abs=1e-3)  # SOURCES.md
