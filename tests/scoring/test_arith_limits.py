"""The arith verifier's limits: every failure class is a ``skip`` naming its limit, each limit changes a
verdict, the limits are part of the identity, and the work per step is linear in its length (counted in
function calls, not seconds)."""

from __future__ import annotations

import sys
from dataclasses import fields

import pytest
from _arith_cases import PAST_LIMITS, fraction_sum

from prmkit.errors import ConfigError
from prmkit.scoring import load_prm
from prmkit.scoring.arith import (
    ArithLimits,
    ArithVerifier,
    check_step,
    operation_values,
    scorer_for_spec,
    step_is_correct,
)
from prmkit.scoring.catalog import get_spec
from prmkit.types import Solution, StepScores


@pytest.mark.parametrize(("name", "text", "limit"), PAST_LIMITS, ids=[c[0] for c in PAST_LIMITS])
def test_each_failure_class_is_a_skip_naming_its_limit(name: str, text: str, limit: str) -> None:
    (claim,) = check_step(text)
    assert claim.verdict == "skip"
    assert claim.detail.startswith(f"limit {limit}: "), claim.detail


def test_the_other_claims_of_the_step_are_still_checked() -> None:
    """A part past a limit used to drop every claim of the step (a RecursionError) or fail it (a ValueError)."""
    for _, text, _ in PAST_LIMITS:
        step = f"{text}. Then 2 + 2 = 5."
        assert [c.verdict for c in check_step(step)][-1] == "false", text[:40]
        assert not step_is_correct(step)


def test_large_values_under_the_limits_are_still_decided_and_shown() -> None:
    """Before, the detail of a false claim printed the value and hit Python's 4300-digit limit or a float overflow."""
    (claim,) = check_step(" * ".join(["9" * 2000] * 2) + " = 1")
    assert claim.verdict == "false" and claim.detail.startswith("9999") and len(claim.detail) > 4000
    (claim,) = check_step("1" * 4000 + "% of 5 = 3")
    assert claim.verdict == "false" and claim.detail.startswith("1111")
    (claim,) = check_step("7^{999} / 3 = 1")
    assert claim.verdict == "false" and claim.detail.endswith("/3 (≈5.96789e+843) != 1")


# (limit, a small value, a claim that is true under the default limits and past the small one)
SMALL = [
    ("max_digits", 3, "1234 + 1 = 1235"),
    ("max_bits", 8, "200 * 2 = 400"),
    ("max_exponent", 2, "2^3 = 8"),
    ("max_factorial", 3, "So 4! = 24"),
    ("max_binomial", 4, r"$\binom{5}{2} = 10$"),
    ("max_root_index", 2, r"\(\sqrt[3]{27} = 3\)"),
    ("max_tokens", 3, "1 + 2 + 3 = 6"),
    ("max_nesting", 2, "((((1)))) = 1"),
    ("max_work", 3, "1 + 2 + 3 = 6"),
]


def test_every_limit_is_covered() -> None:
    assert {name for name, _, _ in SMALL} == {f.name for f in fields(ArithLimits)}


@pytest.mark.parametrize(("limit", "value", "text"), SMALL, ids=[s[0] for s in SMALL])
def test_each_limit_changes_a_verdict(limit: str, value: int, text: str) -> None:
    assert [c.verdict for c in check_step(text)] == ["true"]
    (claim,) = check_step(text, ArithLimits(**{limit: value}))
    assert claim.verdict == "skip" and claim.detail.startswith(f"limit {limit}: "), claim.detail


def test_a_claim_false_in_every_reading_but_one_past_a_limit_is_skipped_not_false() -> None:
    """``200% of 1000``: 2000 as a fraction, 200000 (18 bits) read as a plain 200: past max_bits=12."""
    small = ArithLimits(max_bits=12)
    assert check_step("200% of 1000 = 5")[0].verdict == "false"
    (claim,) = check_step("200% of 1000 = 5", small)
    assert (claim.verdict, claim.detail) == ("skip", "limit max_bits: a 18-bit value (at most 12)")
    assert (
        check_step("200% of 1000 = 2000", small)[0].verdict == "true"
    )  # another reading decides it


def test_a_longer_sum_of_big_fractions_runs_into_max_bits_then_max_work() -> None:
    text = fraction_sum(300)
    assert check_step(text)[0].detail.startswith("limit max_tokens: ")
    roomy = ArithLimits(max_tokens=100_000)
    assert check_step(text, roomy)[0].detail.startswith("limit max_bits: ")
    (claim,) = check_step(text, ArithLimits(max_tokens=100_000, max_bits=10**7))
    assert claim.detail == "limit max_work: more than 5000 work units for one claim"


def test_limits_are_validated_all_at_once() -> None:
    with pytest.raises(ConfigError) as e:
        ArithLimits(max_digits=5000, max_bits=0, max_root_index=1, max_work=True)  # type: ignore[arg-type]
    message = str(e.value)
    for text in (
        "max_digits must be <= 4300",
        "max_bits must be an integer >= 1, got 0",
        "max_root_index must be an integer >= 2",
        "max_work must be an integer >= 1, got True",
    ):
        assert text in message


def test_limits_are_part_of_the_identity_and_are_used_by_the_scorer() -> None:
    spec = get_spec("arith")
    default, small = ArithVerifier(spec), scorer_for_spec(spec, limits=ArithLimits(max_exponent=2))
    assert default.identity != small.identity
    assert (
        default.identity
        == load_prm("arith").identity
        == scorer_for_spec(spec, limits=ArithLimits()).identity
    )
    assert load_prm("arith", limits=ArithLimits(max_exponent=2)).identity == small.identity
    sols = [Solution("?", ("2^3 = 9", "2 + 2 = 5"))]
    assert default.score(sols) == [StepScores((0.0, 0.0), tokens=0)]
    assert small.score(sols) == [
        StepScores((1.0, 0.0), tokens=0)
    ]  # 2^3 is past max_exponent: skipped
    with pytest.raises(ConfigError, match="limits must be an ArithLimits, got 3"):
        scorer_for_spec(spec, limits=3)


def test_operation_values_are_bounded_too() -> None:
    assert operation_values("2^(10^9)+3*4") == [10**9, 12]  # the power alone is past max_exponent
    assert operation_values("1" * 5000 + "+1") == []
    values = operation_values(
        "+".join(["7^1000*7^1000*7^1000"] * 100)
    )  # stops when the work budget is spent
    assert values[:4] == [7**1000, 7**1000, 7**2000, 7**1000] and 100 < len(values) < 400


def calls(text: str) -> int:
    """Python and C function calls made to check one step: a count of work that does not depend on the clock."""
    n = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal n
        n += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        check_step(text)
    finally:
        sys.setprofile(None)
    return n


# Steps of length ~n for n = 100 and 400. Before the limits the sums, units, percentages, mods and fractions
# took 11-14x as many calls for 4x the length (a unit or percent walk per operation, a clause scan per chain).
FAMILIES = {
    "a long sum": lambda n: " + ".join(["12"] * n) + f" = {12 * n}",
    "many claims": lambda n: " ".join(f"{i % 10} + 1{i % 10} = 1{2 * (i % 10)}," for i in range(n)),
    "many fractions": lambda n: " and ".join([r"\frac{1}{2} = 0.5"] * n),
    "many congruences": lambda n: " ".join(["3 + 4 = 2 mod 5"] * n),
    "a long chain": lambda n: " = ".join(["1 + 1"] * n),
    "a sum with units": lambda n: " + ".join(["3 apples"] * n) + f" = {3 * n} apples",
    "a sum of percentages": lambda n: " + ".join(["5%"] * n) + f" = {5 * n}%",
    "a sum past max_tokens": lambda n: " + ".join(["12"] * (10 * n)) + " = 1",
    "nesting past max_nesting": lambda n: "(" * n + "1" + ")" * n + " = 1",
    "fractions with big powers": lambda n: fraction_sum(n // 2),
    "unclosed roots": lambda n: r"\sqrt[" * (10 * n) + " 1 + 1 = 2",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_work_is_linear_in_the_length_of_the_step(family: str) -> None:
    make = FAMILIES[family]
    short, long = make(100), make(400)
    assert 3.5 < len(long) / len(short) < 4.5
    assert calls(long) / calls(short) < 4.5
