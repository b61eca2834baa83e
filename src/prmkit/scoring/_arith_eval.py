"""Evaluate a parsed side of an arithmetic claim exactly (with :class:`~fractions.Fraction`).

A value is an exact rational plus an interval: operands written with two or
more decimals (``0.33``, ``3.14``) or with a trailing ellipsis may be rounded,
so they stand for ``[v - 10^-d, v + 10^-d]``. Percentages are read three ways
(``p/100``; ``p`` itself; and ``a - p%`` as ``a * (1 - p/100)``): a claim is
true if any reading makes it true.

Evaluation walks the tree with an explicit stack (a sum of 10,000 terms is a
tree 10,000 deep) and charges every operation to the claim's :class:`Budget`,
so it is linear in the size of the tree and bounded by the :class:`ArithLimits`.

>>> from prmkit.scoring._arith_parse import parse
>>> from prmkit.scoring._arith_tokens import tokenize
>>> node = parse(tokenize("2 + 3 * 4"))
>>> evaluate(node, "frac").exact
Fraction(14, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from prmkit.scoring._arith_limits import (
    ArithLimits,
    Budget,
    LimitExceeded,
    Undecidable,
    WorkExhausted,
)
from prmkit.scoring._arith_parse import Bin, Lit, Node, Un

__all__ = [
    "PctMode",
    "Undecidable",
    "Val",
    "evaluate",
    "has_percent",
    "nodes",
    "normalize_unit",
    "unit_of",
]

PctMode = Literal["frac", "plain", "relative"]


@dataclass(frozen=True)
class Val:
    exact: Fraction
    lo: Fraction
    hi: Fraction
    grid: int | None = None
    """Decimals of a bare literal (the precision it claims); None for expressions."""

    @property
    def precise(self) -> bool:
        return self.lo == self.hi


def nodes(root: Node) -> list[Node]:
    """Every node of the tree, children before their parent (no recursion)."""
    out: list[Node] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done or isinstance(node, Lit):
            out.append(node)
            continue
        stack.append((node, True))
        if isinstance(node, Un):
            stack.append((node.x, False))
        else:
            stack.append((node.right, False))
            stack.append((node.left, False))
    return out


def has_percent(node: Node) -> bool:
    return any(isinstance(n, Lit) and n.percent for n in nodes(node))


def _units(root: Node) -> dict[int, str | None]:
    """:func:`unit_of` of every node, by ``id``."""
    units: dict[int, str | None] = {}
    for node in nodes(root):
        u: str | None = None
        if isinstance(node, Lit):
            u = normalize_unit(node.unit)
        elif isinstance(node, Un) and node.op == "-":
            u = units[id(node.x)]
        elif isinstance(node, Bin) and node.op in "+-":
            a, b = units[id(node.left)], units[id(node.right)]
            u = a if a == b else None
        units[id(node)] = u
    return units


def unit_of(node: Node) -> str | None:
    """The unit of a literal or of a sum of like literals; None otherwise."""
    return _units(node)[id(node)]


def normalize_unit(unit: str | None) -> str | None:
    """``Dollars`` -> ``$``, ``owned plants`` -> ``plant``: the head noun, singular."""
    if unit is None:
        return None
    u = unit.lower().split()[-1] if unit.strip() else unit.lower()
    if u in ("$", "dollar", "dollars", "usd", "bucks"):
        return "$"
    if u in ("cent", "cents", "¢"):
        return "cent"
    return u[:-1] if len(u) > 3 and u.endswith("s") and not u.endswith("ss") else u


def evaluate(
    node: Node,
    mode: PctMode,
    budget: Budget | None = None,
    *,
    each: Callable[[Node, Val | None], None] | None = None,
) -> Val:
    """Exact value and interval of ``node``; raises :class:`Undecidable` (:class:`LimitExceeded` past a limit).

    ``each``: called with every operation and its value (None where it is
    undecidable, and then at every operation above it); the walk goes on past
    undecidable operations, stops when the budget is spent, and raises at the
    end if the whole expression is undecidable.
    """
    return _Evaluator(node, mode, budget or Budget(ArithLimits()), each).run(node)


class _Evaluator:
    def __init__(
        self,
        root: Node,
        mode: PctMode,
        budget: Budget,
        each: Callable[[Node, Val | None], None] | None,
    ) -> None:
        self.mode, self.budget, self.limits, self.each = mode, budget, budget.limits, each
        self.units = _units(root)
        self.percent: dict[int, bool] = {}
        if mode == "relative":
            for n in nodes(root):
                self.percent[id(n)] = (
                    n.percent
                    if isinstance(n, Lit)
                    else self.percent[id(n.x)]
                    if isinstance(n, Un)
                    else self.percent[id(n.left)] or self.percent[id(n.right)]
                )

    def run(self, root: Node) -> Val:
        """Post-order over an explicit stack: a node's operands, left before right, then the node."""
        stack: list[tuple[Node, int]] = [(root, 0)]
        vals: list[Val | None] = []
        while stack:
            node, state = stack.pop()
            if isinstance(node, Lit):
                vals.append(self.settle(node, 0, ()))
            elif state == 0:
                if isinstance(node, Bin) and node.op in "+-":
                    ua, ub = self.units[id(node.left)], self.units[id(node.right)]
                    if ua is not None and ub is not None and ua != ub:
                        if self.each is None:
                            raise Undecidable("adding different units")
                        state = 3  # evaluate the operands for their own sake, then fail
                    elif self.relative(node):
                        stack.append((node, 2))
                        stack.append((node.left, 0))
                        continue
                stack.append((node, state or 1))
                if isinstance(node, Un):
                    stack.append((node.x, 0))
                else:
                    stack.append((node.right, 0))
                    stack.append((node.left, 0))
            else:
                one = isinstance(node, Un) or state == 2
                args = [vals.pop()] if one else [vals.pop(), vals.pop()][::-1]
                vals.append(self.settle(node, state, args))
        (result,) = vals
        if result is None:
            raise Undecidable("an operation is undecidable")
        return result

    def settle(self, node: Node, state: int, args: Sequence[Val | None]) -> Val | None:
        """The value of ``node`` from its operands' values, charged to the budget.

        None (with ``each``; else the exception) when it is undecidable.
        """
        val: Val | None = None
        try:
            if state == 3:
                raise Undecidable("adding different units")
            operands = [a for a in args if a is not None]
            if len(operands) == len(args):
                val = (
                    self.literal(node)
                    if isinstance(node, Lit)
                    else self.apply(node, state, *operands)
                )
                self.budget.charge(val.exact, val.lo, val.hi)
        except WorkExhausted:
            raise
        except Undecidable:
            if self.each is None:
                raise
            val = None
        if self.each is not None and not isinstance(node, Lit):
            self.each(node, val)
        return val

    def relative(self, node: Bin) -> bool:
        """``a - p%`` read as ``a * (1 - p/100)``."""
        return (
            self.mode == "relative"
            and isinstance(node.right, Lit)
            and node.right.percent
            and not self.percent[id(node.left)]
        )

    def apply(self, node: Node, state: int, *args: Val) -> Val:
        if isinstance(node, Un):
            (x,) = args
            if node.op == "-":
                return Val(-x.exact, -x.hi, -x.lo, None if x.grid is None else x.grid)
            n = self.integer(x, 0, self.limits.max_factorial, "max_factorial", "n! with n = {}")
            v = Fraction(math.factorial(n))
            return Val(v, v, v)
        assert isinstance(node, Bin)
        if state == 2:
            (a,) = args
            right = node.right
            assert isinstance(right, Lit)
            if right.limit is not None:
                raise LimitExceeded(*right.limit)
            f = 1 + (1 if node.op == "+" else -1) * right.value / 100
            return _mul(a, Val(f, f, f))
        a, b = args
        if node.op == "+":
            return Val(a.exact + b.exact, a.lo + b.lo, a.hi + b.hi)
        if node.op == "-":
            return Val(a.exact - b.exact, a.lo - b.hi, a.hi - b.lo)
        if node.op == "*":
            return _mul(a, b)
        if node.op == "/":
            if b.lo <= 0 <= b.hi:
                raise Undecidable("division by zero")
            return _mul(a, Val(1 / b.exact, 1 / b.hi, 1 / b.lo))
        if node.op == "^":
            return self.power(a, b)
        if node.op == "root":
            return self.root(
                b,
                self.integer(
                    a, 2, self.limits.max_root_index, "max_root_index", "a root of index {}"
                ),
            )
        k = self.integer(b, 0, self.limits.max_binomial, "max_binomial", "binom(n, k) with k = {}")
        n = self.integer(a, 0, self.limits.max_binomial, "max_binomial", "binom(n, k) with n = {}")
        v = Fraction(math.comb(n, k))
        return Val(v, v, v)

    def literal(self, node: Lit) -> Val:
        if node.limit is not None:
            raise LimitExceeded(*node.limit)
        v, d = node.value, node.decimals
        if node.percent and self.mode != "plain":
            v, d = v / 100, d + 2
        if node.approx or node.decimals >= 2:
            eps = Fraction(1, 10**d)
            return Val(v, v - eps, v + eps, d)
        return Val(v, v, v, d)

    def integer(self, x: Val, lo: int, hi: int, limit: str, what: str) -> int:
        """``x`` as an integer in ``[lo, hi]``: undecidable below ``lo``, past ``limit`` above ``hi``."""
        if not x.precise or x.exact.denominator != 1 or x.exact < lo:
            raise Undecidable(f"needs an integer in [{lo}, {hi}]")
        if x.exact > hi:
            raise LimitExceeded(limit, f"{what.format(_size(x.exact))} (at most {hi})")
        return int(x.exact)

    def power(self, a: Val, b: Val) -> Val:
        if b.precise and b.exact.denominator != 1:
            if b.exact.denominator > self.limits.max_root_index:
                raise LimitExceeded(
                    "max_root_index",
                    f"an exponent with denominator {_size(b.exact.denominator)} (at most {self.limits.max_root_index})",
                )
            return self.power(
                self.root(a, b.exact.denominator), _exact(b.exact.numerator)
            )  # 7^(5/2)
        if not b.precise or b.exact.denominator != 1:
            raise Undecidable("needs an integer exponent")
        if abs(b.exact) > self.limits.max_exponent:
            raise LimitExceeded(
                "max_exponent", f"exponent {_size(b.exact)} (at most {self.limits.max_exponent})"
            )
        e = int(b.exact)
        if a.exact == 0 and e < 0:
            raise Undecidable("0 to a negative power")
        bits = max(_bits(a.exact), _bits(a.lo), _bits(a.hi)) * abs(e)
        if bits > self.limits.max_bits:
            raise LimitExceeded(
                "max_bits", f"a power of about {bits} bits (at most {self.limits.max_bits})"
            )
        if a.precise:
            return _exact(a.exact**e)
        if a.lo > 0:
            ends = (a.lo**e, a.hi**e)
            return Val(a.exact**e, min(ends), max(ends))
        raise Undecidable("power of a rounded number")

    def root(self, x: Val, n: int) -> Val:
        """Exact when the root is rational; else a rigorous interval of width 10^-30."""
        if x.lo < 0 and (n % 2 == 0 or not x.precise):
            raise Undecidable("root of a negative number")
        if x.precise and x.exact < 0:
            r = self.root(Val(-x.exact, -x.exact, -x.exact), n)
            return Val(-r.exact, -r.hi, -r.lo)
        lo, exact = _root_bounds(x.lo, n)
        if x.precise:
            return Val(lo, lo, lo) if exact else Val(lo, lo, lo + _ROOT_EPS)
        mid = _root_bounds(x.exact, n)[0]
        return Val(mid, lo, _root_bounds(x.hi, n)[0] + _ROOT_EPS)


def _bits(v: Fraction) -> int:
    return max(v.numerator.bit_length(), v.denominator.bit_length())


def _size(v: Fraction | int) -> str:
    """A number as text, or its size when it is long (the text of a limit's detail stays short)."""
    v = Fraction(v)
    if _bits(v) <= 64:
        return str(v)
    return f"a {_bits(v)}-bit value"


def _mul(a: Val, b: Val) -> Val:
    ends = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
    return Val(a.exact * b.exact, min(ends), max(ends))


def _exact(v: int | Fraction) -> Val:
    f = Fraction(v)
    return Val(f, f, f)


_ROOT_EPS = Fraction(1, 10**30)


def _root_bounds(v: Fraction, n: int) -> tuple[Fraction, bool]:
    """A lower bound within 10^-30 of ``v ** (1/n)`` (v >= 0), and whether it is exact."""
    num, den = v.numerator, v.denominator  # each at most max_bits: every value is charged
    rn, rd = _floor_root(num, n), _floor_root(den, n)
    if rn**n == num and rd**n == den:
        return Fraction(rn, rd), True
    scale = 10**30
    return Fraction(_floor_root(num * scale**n // den, n), scale), False


def _floor_root(m: int, n: int) -> int:
    """floor(m ** (1/n)) for m >= 0 (Newton's method from above)."""
    if m < 2:
        return m
    x = 1 << ((m.bit_length() + n - 1) // n)
    while True:
        y = ((n - 1) * x + m // x ** (n - 1)) // n
        if y >= x:
            return x
        x = y
