"""Finding and rewriting the arithmetic written in a step: numbers, operators, ``expr = result``.

Used by the error-injection edits. An :class:`Equation` is one ``a op b ... = r``
span of a step, parsed into operand and operator tokens so an edit can change
one token and recompute the result while keeping the step's formatting
(``$`` signs, thousands separators, spaces, ``x`` or ``*`` for times).

>>> (eq,) = find_equations("Natalia sold 48/2 = 24 clips in May.")
>>> eq.operands, eq.ops, eq.result, eq.correct
((48.0, 2.0), ('/',), 24.0, True)
>>> eq.render(result=25.0)
'48/2 = 25'
>>> [e.ops for e in find_equations(r"so \\( 5 \\times 12 = 60 \\) bags and \\(60 \\div 4 = 15\\)")]
[('*',), ('/',)]
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

__all__ = ["NUMBER", "Equation", "Token", "evaluate", "find_equations", "fmt_like", "numbers_in", "parse_number"]

_NUM = r"\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\$?\d+(?:\.\d+)?%?|\$?\.\d+%?"
NUMBER = re.compile(rf"(?<![\w.,]){_NUM}(?![\w])")
"""A number as written in text: optional ``$``, thousands commas, decimals, optional ``%``."""
_OP = r"(?:[+\-*/×÷·]|\\times|\\cdot|\\div|(?<=\s)x(?=\s))"
_EQ = re.compile(
    rf"(?P<expr>\(*\s*(?:{_NUM})(?:\s*\)*\s*{_OP}\s*\(*\s*(?:{_NUM}))+\s*\)*)\s*=\s*(?P<res>{_NUM})(?![\w])"
)
_TOKEN = re.compile(rf"\s+|[()]|{_OP}|{_NUM}")

_CANON_OP = {
    "+": "+", "-": "-", "*": "*", "x": "*", "×": "*", "·": "*", "\\times": "*", "\\cdot": "*",
    "/": "/", "÷": "/", "\\div": "/",
}


def parse_number(text: str) -> float:
    """``"$1,250.5"`` -> 1250.5; ``"20%"`` -> 20.0 (the percent sign is formatting, see :func:`evaluate`)."""
    return float(text.replace("$", "").replace(",", "").replace("%", ""))


def fmt_like(value: float, like: str) -> str:
    """Write ``value`` the way ``like`` is written (``$``, commas, decimals, ``%``), at most 2 decimals.

    >>> fmt_like(1234.0, "$1,000"), fmt_like(0.125, "0.2"), fmt_like(7.0, "20%"), fmt_like(0.6, "$3")
    ('$1,234', '0.12', '7%', '$0.60')
    >>> fmt_like(31.0, "$30.00"), fmt_like(0.4, ".5")
    ('$31.00', '.4')
    """
    core = like.replace("$", "").replace("%", "")
    decimals = len(core.split(".", 1)[1]) if "." in core else 0
    rounded = round(value, 2)
    if decimals and abs(round(rounded, decimals) - rounded) < 1e-9:
        body = f"{rounded:,.{decimals}f}" if "," in like else f"{rounded:.{decimals}f}"
    elif abs(rounded - round(rounded)) < 1e-9:
        body = f"{round(rounded):,}" if "," in like else str(round(rounded))
    else:
        body = f"{rounded:,.2f}" if "," in like else f"{rounded:.2f}"
        if not like.startswith("$"):  # money keeps its cents: $0.60
            body = body.rstrip("0").rstrip(".")
    if core.startswith(".") and body.startswith("0."):
        body = body[1:]
    return ("$" if like.startswith("$") else "") + body + ("%" if like.endswith("%") else "")


def numbers_in(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` of every number written in ``text``."""
    return [(m.start(), m.end(), m.group()) for m in NUMBER.finditer(text)]


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "op", "paren", "space"
    text: str


def _safe_eval(src: str) -> float:
    tree = ast.parse(src, mode="eval")
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return float(ops[type(node.op)](ev(node.left), ev(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError("not arithmetic")

    return ev(tree)


def evaluate(tokens: list[Token]) -> float | None:
    """Value of an expression token list (``%`` operands count as value/100 when multiplied); None if invalid."""
    parts = []
    for i, t in enumerate(tokens):
        if t.kind == "num":
            v = parse_number(t.text)
            if t.text.endswith("%") and _neighbour_op(tokens, i) in ("*", "/"):
                v /= 100
            parts.append(repr(v))
        elif t.kind == "op":
            parts.append(_CANON_OP[t.text])
        elif t.kind == "paren":
            parts.append(t.text)
    try:
        return _safe_eval(" ".join(parts))
    except (ValueError, SyntaxError, ZeroDivisionError):
        return None


def _neighbour_op(tokens: list[Token], i: int) -> str | None:
    for j in (i - 1, i + 1, i - 2, i + 2):
        if 0 <= j < len(tokens) and tokens[j].kind == "op":
            return _CANON_OP[tokens[j].text]
    return None


@dataclass(frozen=True)
class Equation:
    """One ``expr = result`` span of a step."""

    start: int
    """Offset of the expression in the step."""
    end: int
    """Offset just after the result."""
    tokens: tuple[Token, ...]
    """The expression's tokens, spaces kept."""
    eq_text: str
    """The text between the expression and the result (``" = "``)."""
    result_text: str
    """The result as written (``"$24"``)."""

    @property
    def operands(self) -> tuple[float, ...]:
        return tuple(parse_number(t.text) for t in self.tokens if t.kind == "num")

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(_CANON_OP[t.text] for t in self.tokens if t.kind == "op")

    @property
    def result(self) -> float:
        return parse_number(self.result_text)

    @property
    def value(self) -> float | None:
        """What the expression evaluates to."""
        return evaluate(list(self.tokens))

    @property
    def correct(self) -> bool:
        """The written result equals the expression's value (to the cent, as GSM8K rounds)."""
        v = self.value
        return v is not None and abs(v - self.result) <= 0.01 + 1e-6 * abs(v)

    def render(self, tokens: tuple[Token, ...] | None = None, result: float | None = None) -> str:
        """The equation's text with (optionally) new tokens and a new result."""
        toks = self.tokens if tokens is None else tokens
        res = self.result_text if result is None else fmt_like(result, self.result_text)
        return "".join(t.text for t in toks) + self.eq_text + res


def find_equations(step: str) -> list[Equation]:
    """Every ``expr = result`` in ``step`` whose expression parses, left to right."""
    out = []
    for m in _EQ.finditer(step):
        start, stop = m.start("expr"), m.end("expr")
        # trim spaces and unbalanced parentheses at the edges (those belong to the prose)
        while start < stop:
            expr = step[start:stop]
            if expr[0].isspace() or (expr[0] == "(" and expr.count("(") > expr.count(")")):
                start += 1
            elif expr[-1].isspace() or (expr[-1] == ")" and expr.count(")") > expr.count("(")):
                stop -= 1
            else:
                break
        toks = _tokenize(step[start:stop])
        if toks is None:
            continue
        eq = Equation(start, m.end("res"), tuple(toks), step[stop : m.start("res")], m.group("res"))
        if eq.value is not None:
            out.append(eq)
    return out


def _tokenize(expr: str) -> list[Token] | None:
    toks: list[Token] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            return None
        text = m.group()
        if text.isspace():
            kind = "space"
        elif text in "()":
            kind = "paren"
        elif text in _CANON_OP and not any(c.isdigit() for c in text):
            kind = "op"
        else:
            kind = "num"
        toks.append(Token(kind, text))
        pos = m.end()
    return toks
