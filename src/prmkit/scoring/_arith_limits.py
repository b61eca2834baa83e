"""The resource limits of the ``arith`` verifier, and the work budget of one claim.

Every operation the verifier performs on a step is bounded: the digits of a
literal, the bits of every value computed, exponents, factorials, binomials
and root indices, the tokens on one side of a claim, the nesting of groups,
and the total work of deciding one claim. A claim past a limit gets the
verdict ``skip`` with a detail naming the limit (``limit max_digits: ...``);
it is never an exception and never a stall.

Work is counted, not timed (no signals, no clocks, so a verdict never depends
on the machine's load): each operation on values whose largest numerator or
denominator has ``b`` bits costs ``1 + (b // 1024) ** 2`` units, which tracks
the quadratic cost of big-integer multiplication and gcd.

>>> budget = Budget(ArithLimits())
>>> budget.charge(Fraction(2**3000, 3))
>>> budget.work
5
>>> try:
...     Budget(ArithLimits(max_bits=64)).charge(Fraction(2**100))
... except LimitExceeded as e:
...     print(e)
limit max_bits: a 101-bit value (at most 64)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction

from prmkit.errors import ConfigError

__all__ = ["ArithLimits", "Budget", "LimitExceeded", "Undecidable", "WorkExhausted"]

_PY_INT_DIGITS = 4300
"""CPython's default limit on converting a decimal string to an int (``sys.get_int_max_str_digits``)."""


@dataclass(frozen=True)
class ArithLimits:
    """Explicit bounds on everything the ``arith`` verifier computes; part of its identity.

    >>> ArithLimits().max_digits, ArithLimits(max_exponent=10).max_exponent
    (4300, 10)
    """

    max_digits: int = 4300
    """Digits of one literal number (``12,345.67`` has 7); at most 4300, Python's int-string limit."""
    max_bits: int = 20_000
    """Bits of the numerator or denominator of any value computed (about 6,000 decimal digits)."""
    max_exponent: int = 1000
    """Largest ``|e|`` of a power ``a^e``."""
    max_factorial: int = 300
    """Largest ``n`` of ``n!``."""
    max_binomial: int = 10_000
    """Largest ``n`` of a binomial coefficient ``\\binom{n}{k}``."""
    max_root_index: int = 10
    """Largest ``n`` of an ``n``-th root (``\\sqrt[n]{x}``, or ``x^(m/n)``)."""
    max_tokens: int = 1000
    """Tokens on one side of a claim."""
    max_nesting: int = 50
    """Nesting of parentheses, LaTeX arguments, signs and powers (bounds the parser's recursion)."""
    max_work: int = 5000
    """Work units to decide one claim, over all its readings (see the module docstring)."""

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            least = 2 if f.name == "max_root_index" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                problems.append(f"{f.name} must be an integer >= {least}, got {value!r}")
        if isinstance(self.max_digits, int) and self.max_digits > _PY_INT_DIGITS:
            problems.append(
                f"max_digits must be <= {_PY_INT_DIGITS} (Python's int-string limit), got {self.max_digits}"
            )
        if problems:
            raise ConfigError("ArithLimits: " + "; ".join(problems))

    def fingerprint(self) -> str:
        """A stable hash of every limit (it changes the verifier's identity, so cached scores follow).

        >>> ArithLimits().fingerprint() == ArithLimits().fingerprint() != ArithLimits(max_bits=64).fingerprint()
        True
        """
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


class Undecidable(Exception):
    """The expression has no exact rational value prmkit can vouch for."""


class LimitExceeded(Undecidable):
    """A value or an input is past one of the :class:`ArithLimits`; the message names the limit."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"limit {limit}: {detail}")
        self.limit = limit


class WorkExhausted(LimitExceeded):
    """The claim's work budget is spent: stop deciding it altogether."""


class Budget:
    """The work one claim may do, and the first limit one of its readings ran into."""

    def __init__(self, limits: ArithLimits) -> None:
        self.limits = limits
        self.work = 0
        self.hit: LimitExceeded | None = None

    def charge(self, *values: Fraction) -> None:
        """Count one operation that produced ``values``; raise past ``max_bits`` or ``max_work``."""
        bits = max(max(v.numerator.bit_length(), v.denominator.bit_length()) for v in values)
        if bits > self.limits.max_bits:
            raise LimitExceeded("max_bits", f"a {bits}-bit value (at most {self.limits.max_bits})")
        self.work += 1 + (bits >> 10) ** 2
        if self.work > self.limits.max_work:
            raise WorkExhausted(
                "max_work", f"more than {self.limits.max_work} work units for one claim"
            )

    def note(self, e: LimitExceeded) -> None:
        """Remember the first limit a reading ran into (such a claim is never reported false)."""
        if self.hit is None:
            self.hit = e
