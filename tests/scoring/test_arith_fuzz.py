"""Fuzzing the arith verifier's reader: arithmetic-ish text (numbers of extreme size, operators, LaTeX, Unicode,
parentheses, percentages, thousands separators, garbage) never makes it raise, every verdict is one of the
three, and the work per step (function calls) stays within a linear budget of its length.

The default run is bounded and derandomised (a few seconds). ``PRMKIT_ARITH_FUZZ=N`` runs N random examples
instead (``PRMKIT_ARITH_FUZZ=100000 python -m pytest tests/scoring/test_arith_fuzz.py``) and prints the count.
"""

from __future__ import annotations

import os
import sys
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prmkit.errors import PRMKitError
from prmkit.scoring.arith import ArithLimits, ArithVerifier, check_step
from prmkit.types import ScoreFailure, Solution, StepScores

LONG = int(os.environ.get("PRMKIT_ARITH_FUZZ", "0"))
RUN = settings(
    max_examples=LONG or 120,
    deadline=None,
    database=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CALLS_BASE, CALLS_PER_CHAR = 5000, 400
"""The budget of function calls for a step: an empty one takes about 2,700, ProcessBench steps at most about
130 per character (most about 10), a false claim that is a 200-term sum (re-read left to right, and with
tight fractions) about 250 at any length; a quadratic pass over a 1,000-character step would take ~1,000."""

digits = st.integers(1, 9).map(str) | st.integers(0, 10**12).map(str)
huge = st.sampled_from([100, 1000, 4299, 4300, 4301, 9000]).flatmap(
    lambda n: st.sampled_from(["9", "1", "3", "0"]).map(lambda d: "1" + d * (n - 1))
)
number = st.one_of(
    digits,
    digits.map(lambda d: d + ".5"),
    st.tuples(digits, digits).map(lambda t: f"{t[0]}.{t[1]}"),
    st.integers(1000, 10**9).map(lambda n: f"{n:,}"),
    digits.map(lambda d: "$" + d),
    digits.map(lambda d: d + "%"),
    digits.map(lambda d: "0" + d),
    huge,
    huge.map(lambda d: "0." + d),
)
binary = st.sampled_from(
    [
        "+",
        "-",
        "*",
        "/",
        "^",
        "=",
        " x ",
        " times ",
        r" \times ",
        r" \cdot ",
        "−",
        "×",
        "÷",
        "**",
        " of ",
        " mod ",
    ]
)


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, binary, children).map("".join),
        st.tuples(children, binary, children).map(" ".join),
        children.map(lambda a: f"({a})"),
        children.map(lambda a: "-" + a),
        children.map(lambda a: a + "!"),
        pair.map(lambda t: rf"\frac{{{t[0]}}}{{{t[1]}}}"),
        children.map(lambda a: rf"\sqrt{{{a}}}"),
        pair.map(lambda t: rf"\sqrt[{t[0]}]{{{t[1]}}}"),
        pair.map(lambda t: rf"\binom{{{t[0]}}}{{{t[1]}}}"),
        pair.map(lambda t: f"{t[0]}^{{{t[1]}}}"),
    )


expression = st.recursive(number, combine, max_leaves=8)
deep = st.tuples(
    st.integers(1, 700), st.sampled_from(["(", r"\frac{", r"\sqrt{", "-", "2^", "{"])
).map(
    lambda t: (
        t[1] * t[0]
        + "1"
        + {"(": ")", "{": "}", r"\frac{": "}{2}", r"\sqrt{": "}"}.get(t[1], "") * t[0]
    )
)
long_sum = st.tuples(st.integers(1, 700), digits).map(lambda t: " + ".join([t[1]] * t[0]))
garbage = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from(list("\ue000\ue003\ue006\\{}[]<>!.,:;")),
    max_size=30,
)
words = st.sampled_from(
    ["So", "apples", "hours", "of", "per", "and", "the answer is", "Day", "x", "=", ", ", ". "]
)
fragment = st.one_of(
    expression, expression, deep, long_sum, garbage, words, st.just("<<"), st.just(">>")
)
step = st.lists(fragment, max_size=6).flatmap(
    lambda parts: st.sampled_from([" ", "", " = ", "\n"]).map(lambda sep: sep.join(parts))
)


def calls(text: str, limits: ArithLimits) -> tuple[int, list[str]]:
    """Function calls made to check ``text``, and the verdicts."""
    n = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal n
        n += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        verdicts = [c.verdict for c in check_step(text, limits)]
    finally:
        sys.setprofile(None)
    return n, verdicts


@RUN
@given(step)
def test_arith_reads_any_text_within_its_budget(text: str) -> None:
    # the long run counts the calls of one step in ten (counting is slow), chosen by the text, so a replay agrees
    if LONG and zlib.crc32(text.encode("utf-8", "surrogatepass")) % 10:
        verdicts = [c.verdict for c in check_step(text)]
    else:
        n, verdicts = calls(text, ArithLimits())
        assert n <= CALLS_BASE + CALLS_PER_CHAR * len(text), (n, len(text))
    assert set(verdicts) <= {"true", "false", "skip"}
    EXAMPLES[0] += 1
    if LONG and EXAMPLES[0] % 2000 == 0:
        print(f"arith fuzz: {EXAMPLES[0]} examples", file=sys.stderr, flush=True)


EXAMPLES = [0]


small_limits = st.builds(
    ArithLimits,
    max_digits=st.integers(1, 50),
    max_bits=st.integers(1, 200),
    max_exponent=st.integers(1, 20),
    max_factorial=st.integers(1, 20),
    max_binomial=st.integers(1, 50),
    max_root_index=st.integers(2, 5),
    max_tokens=st.integers(1, 50),
    max_nesting=st.integers(1, 8),
    max_work=st.integers(1, 100),
)


@RUN
@given(st.lists(step, min_size=1, max_size=3), small_limits)
def test_the_scorer_returns_scores_or_typed_failures_under_any_limits(
    steps: list[str], limits: ArithLimits
) -> None:
    (result,) = ArithVerifier(limits=limits).score([Solution("?", tuple(steps))])
    if isinstance(result, ScoreFailure):
        assert result.reason == "empty_step" and any(not s.strip() for s in steps)
    else:
        assert isinstance(result, StepScores) and len(result.scores) == len(steps)
        assert set(result.scores) <= {0.0, 1.0}


@RUN
@given(
    st.dictionaries(
        st.sampled_from(["max_digits", "max_bits", "max_work", "max_root_index"]),
        st.integers(-5, 10_000) | st.booleans() | st.text(max_size=3),
    )
)
def test_bad_limits_raise_only_a_typed_error(values: dict[str, object]) -> None:
    try:
        ArithLimits(**values)  # type: ignore[arg-type]
    except PRMKitError as e:
        assert str(e).startswith("ArithLimits: ")


def teardown_module() -> None:
    if LONG:
        print(
            f"\narith fuzz: {EXAMPLES[0]} examples, no exception, every counted step within its budget of calls"
        )
