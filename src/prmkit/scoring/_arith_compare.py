"""Deciding one equality ``left = right`` between two parsed chain sides.

The claim is true if any reading of it is (each percentage reading; a claimed
value rounded, truncated or rounded up to the precision it is written with;
operands written with two or more decimals taken as possibly rounded). A claim
that is false under every reading is reported as false only when nothing
suggests the text meant something else: two bare numbers (``1 hour = 60
minutes``), a number naming the quantity (``after 20 years = ...``), different
units on the two sides, a running calculation (``3 + 4 = 7 * 2 = 14``), or a
reading left to right or with ``a / 1/3`` as a division by a fraction that
makes it true -- those are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from prmkit.scoring._arith_eval import (
    PctMode,
    Undecidable,
    Val,
    evaluate,
    has_percent,
    nodes,
    normalize_unit,
)
from prmkit.scoring._arith_limits import ArithLimits, Budget, LimitExceeded, WorkExhausted
from prmkit.scoring._arith_parse import Bin, Lit, Node, Un, parse
from prmkit.scoring._arith_tokens import Token

__all__ = ["Side", "Verdict", "compare"]

Verdict = Literal["true", "false", "skip"]


@dataclass(frozen=True)
class Side:
    """One side of a chain: its tokens and expression."""

    toks: list[Token]
    node: Node | None
    after_word: bool = False
    """The side starts right after a word (``Year 2 = ...``)."""
    limit: str | None = None
    """Why the side was not read: the limit it is past (``node`` is then None)."""

    @property
    def text(self) -> str:
        names = {"root": "root", "binom": "binom"}
        return " ".join(names.get(t.kind, t.text) + ("%" if t.percent else "") for t in self.toks)


_DEFAULT = ArithLimits()


def compare(
    x: Side, y: Side, *, first: bool, limits: ArithLimits = _DEFAULT
) -> tuple[Verdict, str]:
    """Check ``x = y``: ``true``, ``false``, or ``skip`` (with why) when no reading can be vouched for.

    A side past a limit, a claim whose work budget is spent, and a claim some
    reading of which ran past a limit (that reading might have made it true)
    are skipped, with the limit in the detail.
    """
    limit = x.limit or y.limit
    if limit is not None:
        return "skip", limit
    budget = Budget(limits)
    try:
        verdict, detail = _compare(x, y, first, budget)
    except WorkExhausted as e:
        return "skip", str(e)
    if budget.hit is not None and (verdict == "false" or detail == _NOT_EVALUABLE):
        return "skip", str(budget.hit)
    return verdict, detail


_NOT_EVALUABLE = "not evaluable exactly"


def _compare(x: Side, y: Side, first: bool, budget: Budget) -> tuple[Verdict, str]:
    assert x.node is not None and y.node is not None
    xs, ys = _values(x.node, budget), _values(y.node, budget)
    if not xs or not ys:
        return "skip", _NOT_EVALUABLE
    if any(_match(a, b, budget) for a in xs for b in ys):
        return "true", f"= {_show(xs[0])}"
    if _bare(x.node) and _bare(y.node):
        return "skip", "two bare numbers (a conversion or a correspondence)"
    for a, b in ((x.node, y.node), (y.node, x.node)):
        if _bare(a) and not has_percent(a) and _only_percents(b):
            return "skip", 'a number and a percentage of something ("48 = 120% of the number")'
    if first and _bare(x.node) and (_units(x.node) or x.after_word):
        return "skip", 'a number that names the quantity ("after 20 years = ...")'
    ux, uy = _units(x.node), _units(y.node)
    if ux and uy and not ux & uy:
        return "skip", f"different units {sorted(ux)} vs {sorted(uy)}"
    lead = _leading(y.node)
    if (
        lead is not None
        and not _bare(y.node)
        and any(_match(a, b, budget) for a in xs for b in _values(lead, budget))
    ):
        return "skip", "a running calculation (the right side continues from the left value)"
    for side, other in ((x, ys), (y, xs)):
        for ltr, tight in ((True, False), (False, True)):
            try:
                alt = parse(side.toks, ltr=ltr, tight=tight, limits=budget.limits)
            except LimitExceeded as e:
                budget.note(e)
                continue
            if alt is not None and any(
                _match(a, b, budget) for a in _values(alt, budget) for b in other
            ):
                how = "left to right" if ltr else "with 'a / 1/3' as a division by a fraction"
                return "skip", f"true only when read {how}"
    return "false", f"{_show(xs[0])} != {_show(ys[0])}"


def _values(node: Node, budget: Budget) -> list[Val]:
    modes: tuple[PctMode, ...] = ("frac", "plain", "relative") if has_percent(node) else ("frac",)
    vals: list[Val] = []
    for mode in modes:
        try:
            vals.append(evaluate(node, mode, budget))
        except WorkExhausted:
            raise
        except LimitExceeded as e:
            budget.note(e)
        except (Undecidable, ZeroDivisionError, OverflowError, ValueError):
            continue
    return vals


_FLOAT_RTOL = Fraction(1, 10**9)


def _match(a: Val, b: Val, budget: Budget) -> bool:
    budget.charge(a.exact, b.exact)
    if a.exact == b.exact:
        return True
    for x, y in ((a, b), (b, a)):
        if y.grid is not None and x.grid is None and _near(x, y.exact, y.grid):
            return True
        if (
            y.grid is not None
            and y.grid >= 10
            and abs(x.exact - y.exact) <= _FLOAT_RTOL * max(Fraction(1), abs(x.exact))
        ):
            return True  # a floating-point rendering: <<140/60=2.3333333333333335>>
    if a.grid is None and b.grid is None and not (a.precise and b.precise):
        return a.lo <= b.hi and b.lo <= a.hi
    return False


def _near(x: Val, claimed: Fraction, grid: int) -> bool:
    """``claimed`` (written with ``grid`` decimals) is ``x`` rounded or truncated to that precision."""
    step = Fraction(1, 10**grid)
    if x.precise:
        if (x.exact / step).denominator == 1:
            return False  # x is exactly representable: rounding is no excuse
        return abs(x.exact - claimed) < step
    return x.lo - step < claimed < x.hi + step


def _bare(node: Node) -> bool:
    return isinstance(node, Lit) or (
        isinstance(node, Un) and node.op == "-" and isinstance(node.x, Lit)
    )


def _only_percents(node: Node) -> bool:
    return all(n.percent for n in nodes(node) if isinstance(n, Lit))


def _units(node: Node) -> set[str]:
    units = (normalize_unit(n.unit) for n in nodes(node) if isinstance(n, Lit))
    return {u for u in units if u}


def _leading(node: Node) -> Node | None:
    """The first operand of a flat expression, e.g. ``15`` in ``15 * 2 + 1``."""
    while isinstance(node, Bin) and node.op in "+-*/":
        node = node.left
    return node if _bare(node) else None


def _show(v: Val) -> str:
    return _fmt(v.exact) if v.precise or v.grid is not None else f"≈{_approx(v.exact)}"


_SHOW_BITS = 14_000
"""About 4200 decimal digits: a longer value is shown rounded (Python prints no int past 4300)."""


def _fmt(v: Fraction) -> str:
    if max(v.numerator.bit_length(), v.denominator.bit_length()) > _SHOW_BITS:
        return f"≈{_approx(v)}"
    if v.denominator == 1:
        return str(v.numerator)
    d = v.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    f = _float(v)
    if d == 1:
        return f"{f:g}" if f is not None and len(str(f)) < 18 else f"{v}"
    return f"{v} (≈{_approx(v)})"


def _float(v: Fraction) -> float | None:
    try:
        return float(v)
    except OverflowError:
        return None


def _approx(v: Fraction) -> str:
    """``v`` to 6 significant digits, also past the range of a float."""
    f = _float(v)
    if f is not None:
        return f"{f:.6g}"
    exp10 = math.log10(abs(v.numerator)) - math.log10(v.denominator)
    e = math.floor(exp10)
    return f"{'-' if v < 0 else ''}{10 ** (exp10 - e):.6g}e+{e}"
