"""Verdict parsers: golden verdicts, every typed failure, and hypothesis fuzzing (only VerdictError escapes)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prmkit.errors import PRMKitError
from prmkit.scoring.judges import (
    VERDICTS,
    FirstError,
    StepVerdicts,
    VerdictError,
    first_error,
    step_verdicts,
)
from prmkit.scoring.judges.verdicts import RubricScores, boxed

FUZZ = settings(max_examples=400, deadline=None)

# text built from the pieces judges write, so the fuzzer reaches deep into the parsers
PIECES = st.sampled_from(
    [
        "\\boxed{",
        "}",
        "{",
        "\\text{",
        "correct",
        "incorrect",
        "-1",
        "0",
        "1",
        "2",
        "17",
        "-",
        " ",
        "\n",
        "Step 1:",
        "paragraph",
        "\\boxed{correct}",
        "\\boxed{incorrect}",
        "\\boxed{-1}",
        "\\boxed{1}",
        "١",
        "²",
        "Yes",
        "No",
        "\\boxed{Yes}",
        "\\boxed{No}",
        "## Verdicts",
        "/",
        "3/4",
        "\\boxed{4/4}",
        "\\boxed{1/4}",
    ]
)
TEXTS = st.one_of(st.text(), st.lists(PIECES | st.text(max_size=3), max_size=30).map("".join))


@pytest.mark.parametrize("name", VERDICTS.names())
@FUZZ
@given(text=TEXTS, n_steps=st.integers(1, 6))
def test_a_parser_returns_a_typed_verdict_or_raises_verdict_error(
    name: str, text: str, n_steps: int
) -> None:
    parse = VERDICTS.get(name)
    try:
        verdict = parse(text, n_steps)
    except (
        VerdictError
    ) as e:  # the one exception that may escape, with the raw text and a known reason
        assert e.raw == text
        assert e.reason in ("missing", "malformed", "out_of_range", "too_many", "incomplete")
        assert isinstance(e, PRMKitError) and isinstance(e, ValueError)
        return
    assert isinstance(verdict, (FirstError, StepVerdicts, RubricScores))
    assert len(verdict.labels) == n_steps
    assert len(verdict.scores) == n_steps and all(0.0 <= x <= 1.0 for x in verdict.scores)
    # the offset of a verdict is just after a \boxed{ in the text
    for at in [verdict.at] if isinstance(verdict, FirstError) else verdict.at:
        assert text[:at].endswith("\\boxed{")


@FUZZ
@given(
    index=st.integers(-1, 9),
    n_steps=st.integers(1, 10),
    before=st.text(),
    pad=st.sampled_from(["", " ", "\\text{"]),
)
def test_first_error_reads_the_last_box(index: int, n_steps: int, before: str, pad: str) -> None:
    while "\\boxed{" in before:
        before = before.replace("\\boxed{", "")
    inner = f"\\text{{{index}}}" if pad == "\\text{" else f"{pad}{index}{pad}"
    text = f"{before} \\boxed{{7}} then \\boxed{{{inner}}}"
    if index < n_steps:
        v = first_error(text, n_steps)
        assert v.index == index
        assert v.labels == tuple(index == -1 or i < index for i in range(n_steps))
    else:
        with pytest.raises(VerdictError) as e:
            first_error(text, n_steps)
        assert e.value.reason == "out_of_range"


def test_first_error_failures_are_typed() -> None:
    cases = {
        "the first error is in paragraph 2": "missing",
        "\\boxed{two}": "malformed",
        "\\boxed{2.0}": "malformed",
        "\\boxed{+2}": "malformed",
        "\\boxed{١}": "malformed",  # not an ASCII integer, though int() would read it
        "\\boxed{1": "malformed",
        "\\boxed{3}": "out_of_range",
        "\\boxed{-2}": "out_of_range",
    }
    for text, reason in cases.items():
        with pytest.raises(VerdictError) as e:
            first_error(text, 3)
        assert (e.value.reason, e.value.raw) == (reason, text)
    assert first_error("\\boxed{ \\text{ 0 } }", 3).index == 0


def test_step_verdicts_golden_and_failures() -> None:
    v = step_verdicts("Step 1 ok \\boxed{correct}\nStep 2 \\boxed{\\text{incorrect}}", 4)
    assert (v.judged, v.labels, str(v)) == ((True, False), (True, False, False, False), "+-")
    # an incorrect step before the end: every step from it on is wrong
    assert step_verdicts("\\boxed{incorrect}\\boxed{correct}", 2).labels == (False, False)
    cases = {
        "": "missing",
        "\\boxed{correct}\\boxed{maybe}": "malformed",
        "\\boxed{Correct}\\boxed{correct}": "malformed",
        "\\boxed{correct}" * 3: "too_many",
        "\\boxed{correct}": "incomplete",
    }
    for text, reason in cases.items():
        with pytest.raises(VerdictError) as e:
            step_verdicts(text, 2)
        assert e.value.reason == reason


def test_boxed_reads_balanced_braces_and_offsets() -> None:
    text = "a \\boxed{x{y}z} b \\boxed{\\text{w}}"
    found = boxed(text)
    assert [(b.content, text[: b.at][-7:]) for b in found] == [
        ("x{y}z", "\\boxed{"),
        ("w", "\\boxed{"),
    ]
