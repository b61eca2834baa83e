"""``arith``: a model-free, tool-grounded verifier of the arithmetic in each step.

Every arithmetic claim in a step -- ``a op b = c`` chains in prose, LaTeX
(``\\frac``, ``\\times``, ``\\cdot``, ``\\sqrt``, ``\\binom``, ``^``),
percentages (``20% of 50 = 10``), money and units (``$12``, ``5kg``,
``3 apples``), thousands separators and GSM8K calculator annotations
(``<<48/2=24>>``) -- is recomputed exactly with rational numbers. A step with
a false claim scores 0.0, every other step 1.0.

It is conservative: whatever it cannot read with certainty (equations with
variables, ranges ``3-5``, ratios ``3:2``, dates, congruences, mixed numbers,
function values) is skipped, not flagged. A claimed value written with fewer
decimals than the exact result may be either neighbour at that precision
(``10/3 = 3.33``, ``10/3 = 3`` and ``10/3 = 4 buses`` pass; ``10/3 = 3.5``
does not); operands written with two or more decimals may themselves be
rounded (``0.33 * 300 = 100`` passes); irrational roots are enclosed in
rigorous intervals. Claims that are false under every reading are still not
reported when the text suggests another meaning (a unit conversion
``1 hour = 60 minutes``, a running calculation ``10 - 3 = 7 * 2 = 14``, a
reading left to right); :func:`check_step` says which rule skipped a claim.

Every operation is bounded by :class:`ArithLimits` (digits of a literal, bits
of any value, exponents, factorials, tokens per claim, nesting, and a work
budget per claim counted in operations, not seconds): a claim past a limit is
skipped with a detail naming it, never an exception or a stall, and the time
per claim is linear in its length. The limits are part of the verifier's
identity, so cached scores follow them.

>>> check_step("2/5 * 4000 = 800 gallons")[0].verdict
'false'
>>> prm = ArithVerifier()
>>> prm.score([Solution("?", ("10/3 = 3.33", "20% of 50 = 12"))])[0].scores
(1.0, 0.0)
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from prmkit.errors import ConfigError
from prmkit.scoring._arith_claims import ClaimCheck, Verdict, check_text
from prmkit.scoring._arith_eval import Val, evaluate
from prmkit.scoring._arith_limits import ArithLimits, Budget, Undecidable
from prmkit.scoring._arith_parse import Bin, Node, parse
from prmkit.scoring._arith_tokens import tokenize
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import StepVerifier, verifier_options
from prmkit.types import Solution, StepScores

__all__ = [
    "ArithLimits",
    "ArithVerifier",
    "ClaimCheck",
    "Verdict",
    "check_step",
    "operation_values",
    "scorer_for_spec",
    "step_is_correct",
]

VERSION = "2"
"""Bumped whenever a change to the parser can change a verdict (it is part of the identity)."""


_DEFAULT = ArithLimits()


def check_step(text: str, limits: ArithLimits = _DEFAULT) -> list[ClaimCheck]:
    """Every arithmetic claim found in one step, with its verdict (``true``/``false``/``skip``).

    >>> [(c.left, c.right, c.verdict) for c in check_step("So 3 + 4 = 7 = 8 - 2.")]
    [('3 + 4', '7', 'true'), ('7', '8 - 2', 'false')]
    >>> check_step("2^(10^9) = 4")[0].detail
    'limit max_exponent: exponent 1000000000 (at most 1000)'
    """
    return check_text(text, limits)


def step_is_correct(text: str, limits: ArithLimits = _DEFAULT) -> bool:
    """False iff the step makes an arithmetic claim that is false.

    >>> step_is_correct("She pays 12 * $3 = $36."), step_is_correct("12 * 3 = 38")
    (True, False)
    """
    return all(c.verdict != "false" for c in check_text(text, limits))


class ArithVerifier(StepVerifier):
    """The ``arith`` scorer: 1.0 for a step without a false arithmetic claim, else 0.0.

    >>> ArithVerifier().score([Solution("?", ("6 * 7 = 42",))])[0].tokens
    0
    """

    def __init__(self, spec: PRMSpec | None = None, limits: ArithLimits = _DEFAULT) -> None:
        self.spec = spec or PRMSpec(name="arith", readout="verifier", format="none")
        self.limits = limits

    @property
    def identity(self) -> str:
        """The parser's version, the limits and the spec: a change to any changes cached scores."""
        return (
            f"verifier:{self.spec.name}:arith-v{VERSION}-{self.limits.fingerprint()}:"
            f"{self.spec.fingerprint()}"
        )

    def check(self, sol: Solution) -> StepScores:
        return StepScores(
            tuple(1.0 if step_is_correct(s, self.limits) else 0.0 for s in sol.steps), tokens=0
        )


def scorer_for_spec(spec: PRMSpec, **options: Any) -> ArithVerifier:
    """The ``arith`` verifier (:data:`prmkit.scoring.verifiers.VERIFIERS`) built for a verifier spec.

    >>> from prmkit.scoring.catalog import get_spec
    >>> scorer_for_spec(get_spec("arith")).identity.startswith("verifier:arith:")
    True
    """
    problems = []
    if spec.readout != "verifier":
        problems.append(f"spec {spec.name!r} has readout {spec.readout!r}, not 'verifier'")
    limits = options.pop("limits", _DEFAULT)
    if not isinstance(limits, ArithLimits):
        problems.append(f"limits must be an ArithLimits, got {limits!r}")
    if problems:
        raise ConfigError("; ".join(problems))
    if options:  # single limits by name (``--verifier-option max_digits=100``), over ``limits``
        given = verifier_options(spec, "arith", ArithLimits, options)
        limits = dataclasses.replace(limits, **{k: getattr(given, k) for k in options})
    return ArithVerifier(spec, limits)


def operation_values(expr: str, limits: ArithLimits = _DEFAULT) -> list[Fraction]:
    """The exact value of every operation in a calculator expression, innermost first.

    [] if it does not parse or is past a limit; the values found before the
    work budget ran out if it did.

    >>> operation_values("16-3-4")
    [Fraction(13, 1), Fraction(9, 1)]
    """
    out: list[Fraction] = []

    def each(node: Node, val: Val | None) -> None:
        if isinstance(node, Bin) and val is not None:
            out.append(val.exact)

    try:
        node = parse(tokenize(expr, ranges=False, limits=limits), limits=limits)
        if node is not None:
            evaluate(node, "frac", Budget(limits), each=each)
    except Undecidable:  # the root, or the budget (LimitExceeded is one)
        pass
    return out
