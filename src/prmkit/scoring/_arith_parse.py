"""Parse one side of an arithmetic claim into an expression tree.

Precedence climbing over the tokens of :mod:`._arith_tokens`: ``+ -`` below
``* /`` (and implicit products ``2(3+4)``), unary signs, right-associative
``^``, postfix ``!``, ``ROOT(n)(x)`` and ``BINOM(n)(k)``. Chains of one
precedence level are built in loops; only nesting (groups, signs, powers)
recurses, and it is bounded by :attr:`ArithLimits.max_nesting`, past which
:func:`parse` raises :class:`LimitExceeded`.

>>> from prmkit.scoring._arith_tokens import tokenize
>>> tree = parse(tokenize("2 + 3 * 4"))
>>> tree.op, tree.left.value, tree.right.op
('+', Fraction(2, 1), '*')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from prmkit.scoring._arith_limits import ArithLimits, LimitExceeded
from prmkit.scoring._arith_tokens import Token

__all__ = ["Bin", "Lit", "Node", "Un", "parse"]

_DEFAULT = ArithLimits()


@dataclass(frozen=True)
class Lit:
    value: Fraction
    decimals: int
    percent: bool
    approx: bool
    unit: str | None
    limit: tuple[str, str] | None = None
    """Why the literal has no value (a limit's name and detail); ``value`` is then 0 and never read."""


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


def parse(
    toks: list[Token], *, ltr: bool = False, tight: bool = False, limits: ArithLimits = _DEFAULT
) -> Node | None:
    """A complete expression over ``toks`` or None; :class:`LimitExceeded` past ``max_nesting``.

    ``ltr``: ignore the precedence of ``+ - * /`` (read left to right).
    ``tight``: an unspaced ``a/b`` among spaced operators is one number
    (``25 / 1/3`` is 25 divided by a third).
    """
    p = _Parser(toks, ltr, tight, limits.max_nesting)
    try:
        node = p.expr()
    except _NoParse:
        return None
    return node if p.i == len(toks) else None


def literal(tok: Token) -> Lit:
    """The literal of a ``num`` token."""
    return Lit(tok.value or Fraction(0), tok.decimals, tok.percent, tok.approx, tok.unit, tok.limit)


class _NoParse(Exception):
    pass


class _Parser:
    def __init__(self, toks: list[Token], ltr: bool, tight: bool, max_nesting: int) -> None:
        self.t, self.i, self.ltr, self.tight = toks, 0, ltr, tight
        self.depth, self.max_nesting = 0, max_nesting

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > self.max_nesting:
            raise LimitExceeded("max_nesting", f"nested deeper than {self.max_nesting}")

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
            self.deeper()
            x = self.unary()
            self.depth -= 1
            return Un("-", x) if tok.text == "-" else x
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "^":
            self.i += 1
            self.deeper()
            exponent = self.unary()
            self.depth -= 1
            return Bin("^", base, exponent)
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
            lit = literal(tok)
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
                return Bin("/", lit, literal(den))
            return lit
        if tok.kind in ("root", "binom"):
            self.i += 1
            a, b = self.group(), self.group()
            return Bin(tok.kind, a, b)
        return self.group()

    def group(self) -> Node:
        self.take("lp")
        self.deeper()
        node = self.expr()
        self.depth -= 1
        self.take("rp")
        return node
