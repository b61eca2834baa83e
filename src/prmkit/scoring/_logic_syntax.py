"""The formula syntax of the ``z3`` verifier: a strict tokenizer and recursive-descent parser to a small AST.

Grammar (loosest binding first; ``->`` groups to the right)::

    formula := imp ( ("<->" | "↔") imp )*
    imp     := or ( ("->" | "→") imp )?
    or      := and ( ("|" | "∨" | "or") and )*
    and     := unary ( ("&" | "∧" | "and") unary )*
    unary   := ("~" | "¬" | "not") unary
             | ("forall" | "exists" | "∀" | "∃") NAME ("," NAME)* "." formula
             | "true" | "false" | "(" formula ")"
             | NAME "(" NAME ("," NAME)* ")"          a predicate applied to terms
             | NAME ("=" | "!=") NAME                 equality of terms
             | NAME                                    a proposition

A term is a variable bound by an enclosing quantifier or a constant of the
domain. A quantifier's body reaches as far right as it can. A formula has at
most 500 tokens and 100 levels of nesting.

>>> parse_formula("forall x. Human(x) -> Mortal(x)", field="steps[0]")
('forall', ('x',), ('->', ('pred', 'Human', ('x',)), ('pred', 'Mortal', ('x',))))
>>> parse_formula("P &", field="steps[1]")
Traceback (most recent call last):
...
prmkit.scoring._logic_syntax.FormulaError: field 'steps[1]': expected a formula at column 4, found the end (got 'P &')
"""

from __future__ import annotations

import re
from typing import Any

from prmkit.errors import DataFormatError

__all__ = ["Formula", "FormulaError", "parse_formula"]

Formula = tuple[Any, ...]
"""``("prop", name)``, ``("pred", name, terms)``, ``("eq"|"neq", a, b)``, ``("true",)``, ``("false",)``,
``("not", f)``, ``("&"|"|"|"->"|"<->", f, g)``, ``("forall"|"exists", names, f)``."""


class FormulaError(DataFormatError):
    """A formula, or a problem's premises, do not follow the ``z3`` verifier's syntax or signature."""


_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<op><->|->|!=|[&|~().,=↔→∨∧¬∀∃])|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>.)",
    re.S,
)
_ALIASES = {
    "↔": "<->",
    "→": "->",
    "∨": "|",
    "or": "|",
    "∧": "&",
    "and": "&",
    "¬": "~",
    "not": "~",
    "∀": "forall",
    "∃": "exists",
}
KEYWORDS = frozenset(("forall", "exists", "true", "false", "or", "and", "not"))
_MAX_DEPTH = 100
_MAX_TOKENS = 500


class _Parser:
    def __init__(self, text: str, field: str, line: int | None) -> None:
        self.text, self.field, self.line = text, field, line
        self.toks: list[tuple[str, int]] = []
        for m in _TOKEN.finditer(text):
            if m.lastgroup == "bad":
                self.fail(f"unexpected character {m.group(0)!r} at column {m.start() + 1}")
            if m.lastgroup != "ws":
                self.toks.append((_ALIASES.get(m.group(0), m.group(0)), m.start()))
        if len(self.toks) > _MAX_TOKENS:
            self.fail(f"longer than {_MAX_TOKENS} tokens")
        self.i = 0
        self.depth = 0

    def fail(self, message: str) -> None:
        raise FormulaError(message, field=self.field, line=self.line, value=self.text)

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def where(self) -> str:
        col = self.toks[self.i][1] + 1 if self.i < len(self.toks) else len(self.text) + 1
        return f"column {col}, found " + (
            repr(self.peek()) if self.peek() is not None else "the end"
        )

    def take(self, tok: str) -> bool:
        if self.peek() == tok:
            self.i += 1
            return True
        return False

    def expect(self, tok: str) -> None:
        if not self.take(tok):
            self.fail(f"expected {tok!r} at {self.where()}")

    def name(self, what: str) -> str:
        tok = self.peek()
        if tok is None or not re.fullmatch(r"[A-Za-z_]\w*", tok) or tok in KEYWORDS:
            self.fail(f"expected {what} at {self.where()}")
        self.i += 1
        return str(tok)

    def formula(self) -> Formula:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(f"nested deeper than {_MAX_DEPTH}")
        left = self.imp()
        while self.take("<->"):
            left = ("<->", left, self.imp())
        self.depth -= 1
        return left

    def imp(self) -> Formula:
        left = self.binary("|", self.conj)
        if self.take("->"):
            return ("->", left, self.imp())
        return left

    def conj(self) -> Formula:
        return self.binary("&", self.unary)

    def binary(self, op: str, sub: Any) -> Formula:
        left = sub()
        while self.take(op):
            left = (op, left, sub())
        return left

    def unary(self) -> Formula:
        tok = self.peek()
        if tok is None:
            self.fail(f"expected a formula at {self.where()}")
        if self.take("~"):
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                self.fail(f"nested deeper than {_MAX_DEPTH}")
            inner = self.unary()
            self.depth -= 1
            return ("not", inner)
        if tok in ("forall", "exists"):
            self.i += 1
            names = [self.name("a variable name")]
            while self.take(","):
                names.append(self.name("a variable name"))
            self.expect(".")
            return (tok, tuple(names), self.formula())
        if tok in ("true", "false"):
            self.i += 1
            return (str(tok),)
        if self.take("("):
            inner = self.formula()
            self.expect(")")
            return inner
        name = self.name("a formula")
        if self.take("("):
            args = [self.name("a term")]
            while self.take(","):
                args.append(self.name("a term"))
            self.expect(")")
            return ("pred", name, tuple(args))
        for op, kind in (("=", "eq"), ("!=", "neq")):
            if self.take(op):
                return (kind, name, self.name("a term"))
        return ("prop", name)


def parse_formula(text: str, *, field: str, line: int | None = None) -> Formula:
    """Parse one formula; a :class:`FormulaError` names ``field`` (and ``line``), the text and where it went wrong."""
    p = _Parser(text, field, line)
    if not p.toks:
        p.fail("empty formula")
    f = p.formula()
    if p.peek() is not None:
        p.fail(f"unexpected {p.peek()!r} at {p.where().split(',')[0]}")
    return f
