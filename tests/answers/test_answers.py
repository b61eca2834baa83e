"""Answer extraction, canonical keys, equivalence with a timeout, grading and grouping."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from prmkit.answers import (
    Answer,
    NoAnswer,
    answers_equivalent,
    as_answer,
    canonical_key,
    compare_answers,
    extract_answer,
    grade_answer,
    group_answers,
)
from prmkit.data import load_candidates


@pytest.mark.parametrize(
    ("text", "style", "expected"),
    [
        ("Janet sells 9 eggs.\n#### 18", "auto", "18"),
        ("16 - 3 - 4 = 9\n#### 1,000", "gsm8k", "1,000"),
        ("So the answer is 72.", "gsm8k", "72"),
        ("The final answer is: $3.5. Done", "auto", "$3.5"),
        ("She makes 9 * 2 = 18\nA: 18", "gsm8k", "18"),
        (r"first \boxed{1} then \boxed{\frac{\sqrt{3}}{2}}", "boxed", r"\frac{\sqrt{3}}{2}"),
        (r"The answer is $\boxed{\{1, 2\}}$.", "auto", r"\{1, 2\}"),
        (r"so \boxed 7 it is", "boxed", "7"),
        ("The answer is (b).", "choice", "B"),
        (r"Hence \boxed{\text{(C)}}", "choice", "C"),
        ("Reasoning...\n(D)", "choice", "D"),
        ("Answer: E", "choice", "E"),
        (r"\fbox{42}", "auto", "42"),
        ("our answer is: $1,200.", "stated", "1,200"),
        (r"The answer is $\boxed{5}$. Or is it 6?", "stated", "5"),
        ("It looks accurate.\n#### 9", "stated", "9"),
        ("Answer: 18", "stated", "18"),
    ],
)
def test_extract(text: str, style: str, expected: str) -> None:
    ans = extract_answer(text, style)  # type: ignore[arg-type]
    assert isinstance(ans, Answer)
    assert ans.text == expected


@pytest.mark.parametrize(
    ("text", "style", "reason"),
    [
        ("", "auto", "no_marker"),
        ("I think it is 18 but I am not sure", "auto", "no_marker"),
        (r"\boxed{}", "auto", "empty"),
        (r"\boxed{unclosed", "boxed", "no_marker"),
        ("The answer is a prime number", "choice", "not_a_choice"),
        ("#### 18", "boxed", "no_marker"),
        (r"put it within \(\boxed\), then", "boxed", "no_marker"),
        ("#### Part 1: the area", "gsm8k", "no_marker"),
        ("So our answer is 7.", "auto", "no_marker"),
        ("no marker here", "stated", "no_marker"),
    ],
)
def test_missing_answer_is_typed_not_raised(text: str, style: str, reason: str) -> None:
    ans = extract_answer(text, style)  # type: ignore[arg-type]
    assert isinstance(ans, NoAnswer)
    assert ans.reason == reason
    assert not ans.ok


def test_last_number_fallback_is_opt_in() -> None:
    text = "So she makes $1,200 a day"
    assert isinstance(extract_answer(text), NoAnswer)
    assert extract_answer(text, last_number_fallback=True).key == "1200"  # type: ignore[union-attr]


def test_as_answer() -> None:
    assert as_answer(None) == NoAnswer("missing", "no answer given")
    assert as_answer("") == NoAnswer("missing", "no answer given")
    assert as_answer(" 7 ") == Answer("7", "7")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("4.0", "4"),
        (r"\frac{8}{2}", "4"),
        (r"\dfrac{1}{2}", "1/2"),
        ("0.50", "1/2"),
        ("-3/6", "-1/2"),
        (r"-\frac12", "-1/2"),
        ("1,000", "1000"),
        ("10{,}000", "10000"),
        (r"\$18.00", "18"),
        ("$72", "72"),
        (r"90^\circ", "90"),
        (r"50\%", "50"),
        ("(B)", "B"),
        (r"\text{Monday}", "Monday"),
        (r"\left( 1, 2 \right)", "(1,2)"),
        ("x + 1.", "x+1"),
    ],
)
def test_canonical_key(text: str, key: str) -> None:
    assert canonical_key(text) == key


def test_card_vote_vectors() -> None:
    # C2 test vectors: {4: 3, 5: 2}; and a tie resolved first-seen
    assert group_answers(["4", "4.0", r"\frac{8}{2}", "5", "5"]) == (0, 0, 0, 1, 1)
    assert group_answers(["5", "4", "4", "5"]) == (0, 1, 1, 0)


def test_grouping_uses_math_verify_when_keys_differ() -> None:
    groups = group_answers(
        ["(x+1)^2", "x^2+2x+1", "9999.857142857143", r"9999\frac{6}{7}", None, "3"]
    )
    assert groups == (0, 0, 1, 1, -1, 2)


@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        ("3", "4", "different"),
        ("0.375", r"\frac{3}{8}", "equal"),
        ("0.33", r"\frac{1}{3}", "different"),
        ("A", "B", "different"),
        ("[1,2)", "[1, 2)", "equal"),
        (r"\sqrt{2}/2", r"\frac{1}{\sqrt{2}}", "equal"),
        ("x^2", "x^3", "different"),
    ],
)
def test_compare(a: str, b: str, verdict: str) -> None:
    assert compare_answers(a, b) == verdict


PATHOLOGICAL = (r"9^{9^{9^{9}}}", "3")


def test_comparison_times_out_on_main_thread() -> None:
    t0 = time.monotonic()
    assert compare_answers(*PATHOLOGICAL, timeout_s=0.3) == "timeout"
    assert time.monotonic() - t0 < 5
    assert not answers_equivalent(*PATHOLOGICAL, timeout_s=0.3)
    # the limit is per comparison: a normal comparison right after still works
    assert compare_answers("x+1", "1+x", timeout_s=2.0) == "equal"


def test_comparison_times_out_off_main_thread() -> None:
    out: list[str] = []
    worker = threading.Thread(
        target=lambda: out.append(compare_answers(r"99999999999^{99999999}", "1", timeout_s=0.3))
    )
    t0 = time.monotonic()
    worker.start()
    worker.join(30)
    assert out == ["timeout"]
    assert time.monotonic() - t0 < 5


def test_grading_references() -> None:
    assert grade_answer("18", "Janet sells 9.\n#### 18")
    assert grade_answer("18", "Janet sells 9.\nA: 18")
    assert grade_answer(extract_answer(r"so \boxed{0.5}"), r"We get $\boxed{\frac12}$.")
    assert not grade_answer(NoAnswer("no_marker"), "18")
    assert not grade_answer("19", "18")


def test_grading_agrees_with_gsm8k_labels(shared_data: Path) -> None:
    """Independent labels: every solution's ``is_correct`` in OpenAI's example solutions."""
    cs = load_candidates(shared_data / "gsm8k" / "example_model_solutions.jsonl")
    pairs = [
        (grade_answer(c.answer, p.reference or ""), c.correct)
        for p in cs.problems
        for c in p.candidates
    ]
    assert len(pairs) == 1319 * 4
    assert sum(ours == theirs for ours, theirs in pairs) == len(pairs)
    assert sum(isinstance(c.answer, NoAnswer) for p in cs.problems for c in p.candidates) == 11


def test_grading_against_math_cot_labels(shared_data: Path) -> None:
    """799 of 800 agree with the file's grader; the one difference is '10000' vs '10{,}000', which we call equal."""
    cs = load_candidates(shared_data / "bon_qwen25math_math_cot_100" / "math_cot_100.jsonl")
    diff = [
        (p.id, c.answer.text)
        for p in cs.problems
        for c in p.candidates
        if grade_answer(c.answer, p.reference or "") != c.correct
    ]
    assert diff == [("72", "10000")]
