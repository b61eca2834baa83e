"""The rule-based edits behind error injection, one function per error type.

Every edit takes the steps, the index of the step to edit, the problem's
numbers and a seeded RNG; it returns an :class:`Edit` (the new steps and the
index of the first wrong step) or None when the step offers nothing to edit.
Edits change numbers, operators or unit words in place, so the rest of the
step's text is untouched.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prmkit.labeling._inject_arith import (
    _CANON_OP,
    Equation,
    Token,
    evaluate,
    find_equations,
    fmt_like,
    numbers_in,
    parse_number,
)

__all__ = ["EDITS", "Edit", "problem_numbers"]


@dataclass(frozen=True)
class Edit:
    steps: tuple[str, ...]
    index: int
    """Index (in ``steps``) of the first wrong step."""
    detail: str


EditFn = Callable[[tuple[str, ...], int, "ProblemNumbers", random.Random], "Edit | None"]

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "dozen": 12, "twice": 2, "double": 2, "triple": 3, "thrice": 3, "half": 2,
}


@dataclass(frozen=True)
class ProblemNumbers:
    """The quantities a problem states."""

    all: frozenset[float]
    """In digits or as a common number word ("three", "twice")."""
    written: frozenset[float]
    """In digits only (the candidates a solver could misread one quantity as)."""

    def __contains__(self, value: object) -> bool:
        return value in self.all


def problem_numbers(problem: str) -> ProblemNumbers:
    """Every quantity the problem states, in digits or as a common number word.

    >>> sorted(problem_numbers("She eats three eggs and sells 1,200 for $2.50.").all)
    [2.5, 3.0, 1200.0]
    """
    written = frozenset(parse_number(t) for _, _, t in numbers_in(problem))
    words = {float(v) for w, v in _WORDS.items() if re.search(rf"\b{w}\b", problem, re.IGNORECASE)}
    return ProblemNumbers(written | words, written)


def _nice(v: float | None, like: float) -> bool:
    """A result a solver could write: at most 2 decimals, and not negative where the original was not."""
    return v is not None and abs(v * 100 - round(v * 100)) < 1e-6 and not (v < 0 <= like)


def _replace(step: str, eq: Equation, tokens: tuple[Token, ...] | None, result: float | None) -> str:
    return step[: eq.start] + eq.render(tokens, result) + step[eq.end :]


def _with(steps: tuple[str, ...], i: int, new: str) -> tuple[str, ...]:
    return (*steps[:i], new, *steps[i + 1 :])


def _correct_eqs(step: str) -> list[Equation]:
    return [e for e in find_equations(step) if e.correct]


# -- arithmetic slip: a computed result is written wrong; nothing else changes ---------------------
def arithmetic_slip(steps: tuple[str, ...], i: int, _nums: ProblemNumbers, rng: random.Random) -> Edit | None:
    eqs = _correct_eqs(steps[i])
    if not eqs:
        return None
    eq = rng.choice(eqs)
    r = eq.result
    options = {r + 1, r - 1, r + 10, r - 10, r * 10}
    digits = str(int(r)) if r == int(r) else ""
    if len(digits) >= 2 and digits[-1] != digits[-2]:
        options.add(float(digits[:-2] + digits[-1] + digits[-2]))
    if r != int(r):
        options |= {round(r + 0.1, 2), round(r - 0.1, 2)}
    cands = sorted(v for v in options if v != r and (v >= 0 or r < 0) and (v == int(v)) == (r == int(r)))
    if not cands:
        return None
    new = rng.choice(cands)
    return Edit(_with(steps, i, _replace(steps[i], eq, None, new)), i, f"result {eq.result_text} -> {fmt_like(new, eq.result_text)}")


# -- misread quantity: a number from the problem is read as another, the step computes on --------------
def misread_quantity(steps: tuple[str, ...], i: int, nums: ProblemNumbers, rng: random.Random) -> Edit | None:
    choices = []
    for eq in _correct_eqs(steps[i]):
        for j, t in enumerate(eq.tokens):
            if t.kind == "num" and parse_number(t.text) in nums:
                choices.append((eq, j))
    rng.shuffle(choices)
    for eq, j in choices:
        old = parse_number(eq.tokens[j].text)
        for new in _misreadings(old, nums, rng):
            toks = list(eq.tokens)
            toks[j] = Token("num", fmt_like(new, eq.tokens[j].text))
            value = evaluate(toks)
            whole = value is not None and (value == int(value) or eq.result != int(eq.result))
            if whole and _nice(value, eq.result) and value is not None and abs(value - eq.result) > 1e-9:
                detail = f"operand {eq.tokens[j].text} -> {toks[j].text}"
                return Edit(_with(steps, i, _replace(steps[i], eq, tuple(toks), value)), i, detail)
    return None


def _misreadings(old: float, nums: ProblemNumbers, rng: random.Random) -> list[float]:
    """What ``old`` may be misread as: another quantity of the problem of similar size, else a near digit slip."""
    integer = old == int(old)
    similar = sorted(
        v for v in nums.written if old > 0 and v != old and v > 0 and (v == int(v)) == integer and 0.1 <= v / old <= 10
    )
    digits = str(int(old)) if integer else ""
    slips = {old + 1, old - 1, old + 10, old - 10} if integer else {round(old + 0.1, 2), round(old - 0.1, 2)}
    if len(digits) >= 2 and digits[-1] != digits[-2]:
        slips.add(float(digits[:-2] + digits[-1] + digits[-2]))
    near = sorted(v for v in slips if v > 0 and v not in nums)
    return rng.sample(similar, len(similar)) + rng.sample(near, len(near))


# -- wrong operation: + <-> -, * <-> /, result recomputed ------------------------------------------------
_SWAP = {
    "+": "-", "-": "+", "*": "/", "x": "/", "×": "÷", "·": "÷", "/": "*", "÷": "×",
    "\\times": "\\div", "\\cdot": "\\div", "\\div": "\\times",
}


def wrong_operation(steps: tuple[str, ...], i: int, _nums: ProblemNumbers, rng: random.Random) -> Edit | None:
    choices = [(eq, j) for eq in _correct_eqs(steps[i]) for j, t in enumerate(eq.tokens) if t.kind == "op"]
    rng.shuffle(choices)
    for eq, j in choices:
        toks = list(eq.tokens)
        toks[j] = Token("op", _SWAP[toks[j].text])
        value = evaluate(toks)
        if _nice(value, eq.result) and value is not None and abs(value - eq.result) > 1e-9:
            detail = f"operator {eq.tokens[j].text} -> {toks[j].text}"
            return Edit(_with(steps, i, _replace(steps[i], eq, tuple(toks), value)), i, detail)
    return None


# -- dropped condition: a term the problem states is left out of a sum/product -----------------------------
def dropped_condition(steps: tuple[str, ...], i: int, nums: ProblemNumbers, rng: random.Random) -> Edit | None:
    choices = []
    for eq in _correct_eqs(steps[i]):
        if len(eq.operands) < 3 or any(t.kind == "paren" for t in eq.tokens):
            continue
        ops = set(eq.ops)
        if not (ops <= {"+", "-"} or ops == {"*"}):
            continue
        num_pos = [j for j, t in enumerate(eq.tokens) if t.kind == "num"]
        for n, j in enumerate(num_pos):
            if parse_number(eq.tokens[j].text) in nums and (n > 0 or ops == {"*"} or eq.ops[0] == "+"):
                choices.append((eq, j, n))
    rng.shuffle(choices)
    for eq, j, n in choices:
        toks = list(eq.tokens)
        # remove the operand with the operator before it (or after it, for the first operand)
        op_idx = max(k for k in range(j) if toks[k].kind == "op") if n > 0 else min(
            k for k in range(j + 1, len(toks)) if toks[k].kind == "op"
        )
        lo, hi = (op_idx, j) if n > 0 else (j, op_idx)
        while lo > 0 and toks[lo - 1].kind == "space" and n > 0:
            lo -= 1
        while hi + 1 < len(toks) and toks[hi + 1].kind == "space" and n == 0:
            hi += 1
        new_toks = toks[:lo] + toks[hi + 1 :]
        value = evaluate(new_toks)
        if _nice(value, eq.result) and value is not None and abs(value - eq.result) > 1e-9:
            detail = f"dropped {eq.tokens[j].text}"
            return Edit(_with(steps, i, _replace(steps[i], eq, tuple(new_toks), value)), i, detail)
    return None


# -- unjustified leap: an intermediate step is deleted, the next one uses its result unexplained -----------
def unjustified_leap(steps: tuple[str, ...], i: int, nums: ProblemNumbers, _rng: random.Random) -> Edit | None:
    if i + 2 >= len(steps):  # the step after must be a reasoning step, not the answer
        return None
    results = {e.result for e in _correct_eqs(steps[i])} - nums.all
    earlier = {parse_number(t.text) for s in steps[:i] for e in find_equations(s) for t in e.tokens if t.kind == "num"}
    earlier |= {e.result for s in steps[:i] for e in find_equations(s)}
    used = {v for e in find_equations(steps[i + 1]) for v in e.operands}
    leap = sorted((results & used) - earlier)
    if not leap:
        return None
    return Edit((*steps[:i], *steps[i + 1 :]), i, f"deleted step {i}; step {i + 1} uses {fmt_like(leap[0], '0')} unexplained")


# -- wrong unit: a wrong conversion factor, or the result labelled with the wrong unit ----------------------
_FACTORS: dict[float, tuple[tuple[float, ...], str]] = {
    60: ((100, 30), r"minute|hour|second"),
    24: ((12, 60), r"hour|day"),
    7: ((5, 10), r"week|day"),
    12: ((10, 100), r"inch|feet|foot|month|year|dozen"),
    100: ((10, 1000), r"cent|dollar|percent|%|meter|centimet"),
    1000: ((100, 10), r"gram|meter|liter|litre|kilo|milli"),
    52: ((48, 12), r"week|year"),
    365: ((360, 52), r"day|year"),
    16: ((12, 10), r"ounce|pound"),
    3: ((12, 10), r"yard|feet|foot"),
}
_UNIT_PAIRS = (
    ("minute", "hour"), ("hour", "minute"), ("second", "minute"), ("day", "week"), ("week", "day"),
    ("month", "year"), ("year", "month"), ("cent", "dollar"), ("dollar", "cent"), ("inch", "foot"),
    ("foot", "inch"), ("yard", "foot"), ("meter", "centimeter"), ("centimeter", "meter"),
    ("kilometer", "meter"), ("gram", "kilogram"), ("kilogram", "gram"), ("pound", "ounce"),
    ("ounce", "pound"), ("liter", "milliliter"), ("milliliter", "liter"), ("gallon", "quart"),
    ("quart", "gallon"), ("mile", "kilometer"),
)


def _plural(word: str) -> str:
    return {"inch": "inches", "foot": "feet"}.get(word, word + "s")


_UNITS = {**{a: b for a, b in _UNIT_PAIRS}, **{_plural(a): _plural(b) for a, b in _UNIT_PAIRS}}
_UNIT_AFTER = re.compile(r"^\s+(?:per\s+|an?\s+|each\s+)?(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def _scales(eq: Equation, j: int) -> bool:
    """The operand at token ``j`` multiplies or divides (a conversion factor does)."""
    near = [t for t in (*eq.tokens[max(0, j - 2) : j], *eq.tokens[j + 1 : j + 3]) if t.kind in ("op", "paren")]
    ops = [t.text for t in near if t.kind == "op"]
    return bool(ops) and all(_CANON_OP[o] in "*/" for o in ops)


def wrong_unit(steps: tuple[str, ...], i: int, _nums: ProblemNumbers, rng: random.Random) -> Edit | None:
    step = steps[i]
    choices: list[Edit] = []
    for eq in _correct_eqs(step):
        for j, t in enumerate(eq.tokens):
            v = parse_number(t.text) if t.kind == "num" and "%" not in t.text else None
            if v in _FACTORS and _scales(eq, j) and re.search(_FACTORS[v][1], step, re.IGNORECASE):
                for new in _FACTORS[v][0]:
                    toks = list(eq.tokens)
                    toks[j] = Token("num", fmt_like(new, t.text))
                    value = evaluate(toks)
                    if _nice(value, eq.result) and value is not None and abs(value - eq.result) > 1e-9:
                        detail = f"conversion factor {t.text} -> {toks[j].text}"
                        choices.append(Edit(_with(steps, i, _replace(step, eq, tuple(toks), value)), i, detail))
                        break
        m = _UNIT_AFTER.match(step[eq.end :])
        if m:
            word = m.group(1)
            unit = _UNITS[word.lower()]
            unit = unit.capitalize() if word[0].isupper() else unit
            lo, hi = eq.end + m.start(1), eq.end + m.end(1)
            choices.append(Edit(_with(steps, i, step[:lo] + unit + step[hi:]), i, f"unit {word} -> {unit}"))
    return rng.choice(choices) if choices else None


EDITS: dict[str, EditFn] = {
    "arithmetic_slip": arithmetic_slip,
    "misread_quantity": misread_quantity,
    "wrong_operation": wrong_operation,
    "dropped_condition": dropped_condition,
    "unjustified_leap": unjustified_leap,
    "wrong_unit": wrong_unit,
}


def candidates(steps: Sequence[str], last_editable: int) -> list[int]:
    """Indices of steps an edit may touch: every step before the final answer paragraph."""
    return list(range(min(last_editable, len(steps))))
