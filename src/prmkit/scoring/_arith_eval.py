"""Parse one side of an arithmetic claim and evaluate it exactly (with :class:`~fractions.Fraction`).

A value is an exact rational plus an interval: operands written with two or
more decimals (``0.33``, ``3.14``) or with a trailing ellipsis may be rounded,
so they stand for ``[v - 10^-d, v + 10^-d]``. Percentages are read three ways
(``p/100``; ``p`` itself; and ``a - p%`` as ``a * (1 - p/100)``): a claim is
true if any reading makes it true.

>>> from prmkit.scoring._arith_tokens import tokenize
>>> node = parse(tokenize("2 + 3 * 4"))
>>> evaluate(node, "frac").exact
Fraction(14, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from prmkit.scoring._arith_tokens import Token

__all__ = [
    "Bin",
    "Lit",
    "Node",
    "PctMode",
    "Undecidable",
    "Val",
    "evaluate",
    "has_percent",
    "parse",
]

PctMode = Literal["frac", "plain", "relative"]


class Undecidable(Exception):
    """The expression has no exact rational value prmkit can vouch for."""


@dataclass(frozen=True)
class Lit:
    value: Fraction
    decimals: int
    percent: bool
    approx: bool
    unit: str | None


@dataclass(frozen=True)
class Un:
    op: str
    """``-`` (negation) or ``!`` (factorial)."""
    x: Node


@dataclass(frozen=True)
class Bin:
    op: str
    """``+ - * / ^``, ``root`` (left: index, right: radicand) or ``binom`` (n, k)."""
    left: Node
    right: Node


Node = Lit | Un | Bin


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


def parse(toks: list[Token], *, ltr: bool = False, tight: bool = False) -> Node | None:
    """A complete expression over ``toks`` or None.

    ``ltr``: ignore the precedence of ``+ - * /`` (read left to right).
    ``tight``: an unspaced ``a/b`` among spaced operators is one number
    (``25 / 1/3`` is 25 divided by a third).
    """
    p = _Parser(toks, ltr, tight)
    try:
        node = p.expr()
    except _NoParse:
        return None
    return node if p.i == len(toks) else None


class _NoParse(Exception):
    pass


class _Parser:
    def __init__(self, toks: list[Token], ltr: bool, tight: bool) -> None:
        self.t, self.i, self.ltr, self.tight = toks, 0, ltr, tight

    def peek(self, k: int = 0) -> Token | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, kind: str, text: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text != text):
            raise _NoParse
        self.i += 1
        return tok

    def expr(self) -> Node:
        node = self.term()
        ops = "+-*/" if self.ltr else "+-"
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text in ops:
            self.i += 1
            node = Bin(tok.text, node, self.unary() if self.ltr else self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while (tok := self.peek()) is not None:
            prev = self.t[self.i - 1]
            if tok.kind == "op" and tok.text in "*/" and not self.ltr:
                self.i += 1
                node = Bin(tok.text, node, self.unary())
            elif (tok.kind in ("lp", "root", "binom") and prev.kind in ("num", "rp", "fact")) or (
                tok.kind == "num" and prev.kind == "fact"
            ):
                node = Bin("*", node, self.power())  # implicit: 2(3+4), (2)(3), 2!3!
            else:
                break
        return node

    def unary(self) -> Node:
        tok = self.peek()
        after_op = self.i > 0 and self.t[self.i - 1].kind == "op"
        if (
            tok is not None
            and tok.kind == "op"
            and (tok.text == "-" or (tok.text == "+" and not after_op))
        ):
            self.i += 1
            x = self.unary()
            return Un("-", x) if tok.text == "-" else x
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "^":
            self.i += 1
            return Bin("^", base, self.unary())
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while (tok := self.peek()) is not None and tok.kind == "fact":
            self.i += 1
            node = Un("!", node)
        return node

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise _NoParse
        if tok.kind == "num":
            self.i += 1
            assert tok.value is not None
            lit = Lit(tok.value, tok.decimals, tok.percent, tok.approx, tok.unit)
            slash, den = self.peek(), self.peek(1)
            if (
                self.tight
                and slash is not None
                and den is not None
                and slash.text == "/"
                and den.kind == "num"
                and not slash.space_before
                and not den.space_before
            ):
                self.i += 2
                assert den.value is not None
                return Bin(
                    "/", lit, Lit(den.value, den.decimals, den.percent, den.approx, den.unit)
                )
            return lit
        if tok.kind in ("root", "binom"):
            self.i += 1
            a, b = self.group(), self.group()
            return Bin(tok.kind, a, b)
        return self.group()

    def group(self) -> Node:
        self.take("lp")
        node = self.expr()
        self.take("rp")
        return node


def has_percent(node: Node) -> bool:
    if isinstance(node, Lit):
        return node.percent
    if isinstance(node, Un):
        return has_percent(node.x)
    return has_percent(node.left) or has_percent(node.right)


def unit_of(node: Node) -> str | None:
    """The unit of a literal or of a sum of like literals; None otherwise."""
    if isinstance(node, Lit):
        return normalize_unit(node.unit)
    if isinstance(node, Un) and node.op == "-":
        return unit_of(node.x)
    if isinstance(node, Bin) and node.op in "+-":
        a, b = unit_of(node.left), unit_of(node.right)
        return a if a == b else None
    return None


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


_MAX_BITS = 20_000


def evaluate(node: Node, mode: PctMode) -> Val:
    """Exact value and interval of ``node``; raises :class:`Undecidable`."""
    if isinstance(node, Lit):
        return _literal(node, mode)
    if isinstance(node, Un):
        x = evaluate(node.x, mode)
        if node.op == "-":
            return Val(-x.exact, -x.hi, -x.lo, None if x.grid is None else x.grid)
        n = _int(x, 0, 300)
        v = Fraction(math.factorial(n))
        return Val(v, v, v)
    if node.op in "+-":
        ua, ub = unit_of(node.left), unit_of(node.right)
        if ua is not None and ub is not None and ua != ub:
            raise Undecidable("adding different units")
        if (
            mode == "relative"
            and isinstance(node.right, Lit)
            and node.right.percent
            and not has_percent(node.left)
        ):
            a = evaluate(node.left, mode)
            f = 1 + (1 if node.op == "+" else -1) * node.right.value / 100
            return _mul(a, Val(f, f, f))
    a, b = evaluate(node.left, mode), evaluate(node.right, mode)
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
        return _power(a, b)
    if node.op == "root":
        return _root(b, _int(a, 2, 10))
    k, n = _int(b, 0, 10_000), _int(a, 0, 10_000)
    v = Fraction(math.comb(n, k))
    return Val(v, v, v)


def _literal(node: Lit, mode: PctMode) -> Val:
    v, d = node.value, node.decimals
    if node.percent and mode != "plain":
        v, d = v / 100, d + 2
    if node.approx or node.decimals >= 2:
        eps = Fraction(1, 10**d)
        return Val(v, v - eps, v + eps, d)
    return Val(v, v, v, d)


def _mul(a: Val, b: Val) -> Val:
    ends = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
    return Val(a.exact * b.exact, min(ends), max(ends))


def _exact(v: int | Fraction) -> Val:
    f = Fraction(v)
    return Val(f, f, f)


def _int(x: Val, lo: int, hi: int) -> int:
    if not x.precise or x.exact.denominator != 1 or not lo <= x.exact <= hi:
        raise Undecidable(f"needs an integer in [{lo}, {hi}]")
    return int(x.exact)


def _power(a: Val, b: Val) -> Val:
    if b.precise and b.exact.denominator != 1 and b.exact.denominator <= 10:
        return _power(_root(a, b.exact.denominator), _exact(b.exact.numerator))  # 7^(5/2)
    e = _int(b, -1000, 1000)
    if a.exact == 0 and e < 0:
        raise Undecidable("0 to a negative power")
    bits = max(a.exact.numerator.bit_length(), a.exact.denominator.bit_length()) * abs(e)
    if bits > _MAX_BITS:
        raise Undecidable("number too large")
    if a.precise:
        return _exact(a.exact**e)
    if a.lo > 0:
        ends = (a.lo**e, a.hi**e)
        return Val(a.exact**e, min(ends), max(ends))
    raise Undecidable("power of a rounded number")


def _root(x: Val, n: int) -> Val:
    """Exact when the root is rational; else a rigorous interval of width 10^-30."""
    if x.lo < 0 and (n % 2 == 0 or not x.precise):
        raise Undecidable("root of a negative number")
    if x.precise and x.exact < 0:
        r = _root(Val(-x.exact, -x.exact, -x.exact), n)
        return Val(-r.exact, -r.hi, -r.lo)
    lo, exact = _root_bounds(x.lo, n)
    if x.precise:
        return Val(lo, lo, lo) if exact else Val(lo, lo, lo + _ROOT_EPS)
    mid = _root_bounds(x.exact, n)[0]
    return Val(mid, lo, _root_bounds(x.hi, n)[0] + _ROOT_EPS)


_ROOT_EPS = Fraction(1, 10**30)


def _root_bounds(v: Fraction, n: int) -> tuple[Fraction, bool]:
    """A lower bound within 10^-30 of ``v ** (1/n)`` (v >= 0), and whether it is exact."""
    num, den = v.numerator, v.denominator
    if max(num.bit_length(), den.bit_length()) > _MAX_BITS:
        raise Undecidable("number too large")
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
