"""Tokens of normalised step text: numbers with their units, operators, words, boundaries.

Kinds: ``num`` ``op`` ``lp`` ``rp`` ``eq`` ``fact`` (postfix ``!``) ``root``
``binom`` ``word`` ``clean`` (a neutral separator) ``break`` (something that
must not touch a claim). Word operators (``times``, ``x``, ``of`` after a
percentage or a fraction, ``divided by``) become ``op`` tokens; unit words
after a number (``5 apples + 3``) are folded into the number.

>>> [t.kind for t in tokenize("20% of $50 = 10 dollars")]
['num', 'op', 'num', 'eq', 'num', 'word']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from prmkit.scoring._arith_limits import ArithLimits
from prmkit.scoring._arith_text import BINOM, BREAK, CLEAN, ELLIPSIS, MOD, ROOT, TOO_DEEP

__all__ = ["Token", "tokenize"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SCAN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<eq>==?)"
    r"|(?P<op>[-+*/^])"
    r"|(?P<lp>\()|(?P<rp>\))|(?P<pct>%)|(?P<bang>!)|(?P<cur>[$€£¥₹])"
    r"|(?P<punct>[,;:.?\"“”'’])"
    r"|(?P<other>.)",
    re.S,
)
_SPECIAL = {
    BREAK: "break",
    CLEAN: "clean",
    ELLIPSIS: "ellipsis",
    ROOT: "root",
    BINOM: "binom",
    MOD: "mod",
}

UNIT_SUFFIXES = _words(
    "kg km cm mm mi ft yd yds lb lbs oz hr hrs min mins sec secs mph kph kmh ml mL gal gals qt pt mg "
    "sq cu usd USD"
)
# Words that act on neighbouring numbers, or English function words: never units.
OPERATOR_WORDS = _words(
    "because since so then which that this these those but when where while after before thus hence "
    "therefore gives give gets get got makes make made total left remaining altogether overall all also "
    "now here there we you he she they it his her their its our your has have had will would can could "
    "should must need needs not no yes than"
) | _words(
    "times of by than plus minus over twice half thrice double triple squared cubed root power mod modulo "
    "percent per out divided multiplied less more and from to with into sum product difference quotient "
    "average mean remainder factorial sqrt log ln sin cos tan exp dozen dozens hundred hundreds thousand "
    "thousands million millions billion billions trillion trillions score grand k point equals is are was "
    "were each every the a an or if then so at in on for as raised"
)
_WORD_OPS = {"x": "*", "X": "*", "times": "*", "plus": "+", "minus": "-", "equals": "="}
_OPERAND_END = ("num", "rp", "fact")
_OPERAND_START = ("num", "lp", "root", "binom")


@dataclass
class Token:
    """One token; ``value``/``decimals``/``percent``/``approx``/``unit`` describe numbers."""

    kind: str
    text: str
    space_before: bool
    value: Fraction | None = None
    decimals: int = 0
    percent: bool = False
    approx: bool = False
    unit: str | None = None
    limit: tuple[str, str] | None = None
    """Why a number has no ``value`` (the limit's name and detail): it is longer than
    ``max_digits``, or it stands for a LaTeX argument nested past ``max_nesting``."""


_DEFAULT = ArithLimits()


def tokenize(text: str, *, ranges: bool = True, limits: ArithLimits = _DEFAULT) -> list[Token]:
    """Scan normalised text into tokens. ``ranges``: read ``3-5`` (no spaces, a < b) as a range."""
    toks = _scan(text, limits)
    toks = _attach_number_parts(toks)
    toks = _word_operators(toks)
    toks = _fold_units(toks)
    if ranges:
        _mark_ranges(toks)
    return toks


def _scan(text: str, limits: ArithLimits) -> list[Token]:
    max_digits = limits.max_digits
    toks: list[Token] = []
    space = True
    for m in _SCAN.finditer(text):
        kind, s = m.lastgroup or "other", m.group(0)
        if kind == "ws":
            space = True
            continue
        if (
            s == TOO_DEEP
        ):  # an operand nobody may read: a claim with it is skipped, naming the limit
            deep = f"LaTeX arguments nested deeper than {limits.max_nesting}"
            toks.append(Token("num", "(...)", space, limit=("max_nesting", deep)))
            space = False
            continue
        if kind == "other":
            kind = _SPECIAL.get(s, "break")
        elif kind == "word" and s.lower() in ("mod", "modulo", "congruent"):
            kind = "mod"
        tok = Token(kind, s, space)
        if kind == "num":
            digits = s.replace(",", "")
            tok.decimals = len(digits.partition(".")[2])
            n = len(digits) - ("." in digits)
            if n > max_digits:
                tok.limit = ("max_digits", f"a {n}-digit number (at most {max_digits})")
            else:
                try:
                    tok.value = Fraction(digits)
                except ValueError:  # the interpreter's own int-string limit is lower
                    tok.limit = ("max_digits", f"a {n}-digit number (Python's limit is lower)")
            if len(digits) > 1 and digits[0] == "0" and digits[1] != ".":
                tok.kind = "break"  # 05, 007: an id or a date part, not a quantity
        elif kind == "eq" and s == "==":
            tok.text = "="
        toks.append(tok)
        space = False
    return toks


def _attach_number_parts(toks: list[Token]) -> list[Token]:
    """Currency before, and %, '...', unit suffixes, ordinals, ``!`` after a number."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.kind == "cur":
            if nxt is not None and nxt.kind == "num" and not nxt.space_before:
                nxt.unit, nxt.space_before = "$", t.space_before
            elif nxt is not None:
                nxt.space_before = True
            i += 1
            continue
        if t.kind == "num":
            out.append(t)
            i += 1
            while i < len(toks):
                a = toks[i]
                is_pct = a.kind == "pct" or (
                    a.kind == "word" and a.text.lower() == "percent" and a.space_before
                )
                if is_pct and not t.percent:
                    t.percent = True
                elif a.kind == "ellipsis" and t.decimals > 0 and not a.space_before:
                    t.approx = True
                elif (
                    a.kind == "word"
                    and not a.space_before
                    and a.text in UNIT_SUFFIXES
                    and t.unit is None
                ):
                    t.unit = a.text.lower()
                elif a.kind == "word" and not a.space_before and a.text in ("x", "X"):
                    break  # 5x3 is handled as an operator below; 5x alone is a variable
                elif a.kind == "word" and not a.space_before:
                    a.kind = "break"  # 2x, 3rd, 1990s: not a plain quantity
                    break
                else:
                    break
                i += 1
            continue
        if t.kind == "bang":
            prev = out[-1] if out else None
            after = nxt.kind if nxt is not None else None
            follows = prev is not None and prev.kind in ("num", "rp") and not t.space_before
            if follows and (
                after in ("eq", "op", "rp")
                or (after == "num" and nxt is not None and not nxt.space_before)
            ):
                t.kind = "fact"
            else:  # "= 11 * 10!" or "= 120!": a factorial or an exclamation; either way not read
                t.kind = "break" if follows else "punct"
        if t.kind in ("pct", "ellipsis", "cur"):
            t.kind = "break"
        out.append(t)
        i += 1
    for j, t in enumerate(out):
        if t.kind == "punct":
            t.kind = "clean" if _punct_is_clean(out, j) else "break"
    return out


def _punct_is_clean(toks: list[Token], j: int) -> bool:
    nxt = toks[j + 1] if j + 1 < len(toks) else None
    if nxt is not None and not nxt.space_before and nxt.kind not in ("rp", "clean", "break"):
        return False  # 3:2, 1,5, 1.2.3
    if toks[j].text == ":" and nxt is not None and nxt.kind == "num" and j > 0:
        prev = toks[j - 1]
        if prev.kind in ("num", "rp") and toks[j].space_before:
            return False  # a ratio "2 : 3"
    return True


def _word_operators(toks: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        prev = out[-1] if out else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        between = prev is not None and prev.kind in _OPERAND_END
        if t.kind == "word" and between and nxt is not None:
            low = t.text.lower()
            nxt2 = toks[i + 2] if i + 2 < len(toks) else None
            if (
                t.text in _WORD_OPS
                and nxt.kind in _OPERAND_START
                and (t.text not in "xX" or nxt.kind != "lp" or t.space_before)
            ):
                out.append(
                    Token("eq" if t.text == "equals" else "op", _WORD_OPS[t.text], t.space_before)
                )
                i += 1
                continue
            if (
                low in ("divided", "multiplied")
                and nxt.text == "by"
                and nxt2 is not None
                and nxt2.kind in _OPERAND_START
            ):
                out.append(Token("op", "/" if low == "divided" else "*", t.space_before))
                i += 2
                continue
            if (
                low == "out"
                and nxt.text == "of"
                and nxt2 is not None
                and nxt2.kind in _OPERAND_START
            ):
                out.append(Token("op", "/", t.space_before))
                i += 2
                continue
            if low == "of" and nxt.kind in _OPERAND_START and _fraction_like(out):
                out.append(Token("op", "*", t.space_before))
                i += 1
                continue
        out.append(t)
        i += 1
    return out


def _fraction_like(out: list[Token]) -> bool:
    """The operand before ``of`` is a percentage, a parenthesised group or ``a/b``."""
    last = out[-1]
    if last.kind == "rp" or (last.kind == "num" and last.percent):
        return True
    return last.kind == "num" and len(out) >= 3 and out[-2].text == "/" and out[-3].kind == "num"


def _fold_units(toks: list[Token]) -> list[Token]:
    """``5 apples + 3``, ``$20/hour * 3``, ``4 km/h``, ``3 cm^2``: the unit words join the number.

    Inside an expression up to two unit words (and ``/unit`` or ``per unit``
    phrases) are folded; at the end of one, a single unit word is recorded as
    the number's unit and left in place.
    """
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        out.append(t)
        i += 1
        if t.kind != "num":
            continue
        j, words = i, list[str]()
        while j < len(toks) and len(words) < 2 and _unit_word(toks[j]) and toks[j].space_before:
            words.append(toks[j].text.lower())
            j += 1
        if words and j + 1 < len(toks) and toks[j].text == "^" and toks[j + 1].kind == "num":
            words[-1] += "^" + toks[j + 1].text  # cm^2: the unit's power, not the number's
            j += 2
        per = 0
        while (k := _per_unit(toks, j, after_word=bool(words))) and len(words) < 4:
            words.append("/" + toks[j + k - 1].text.lower())
            j += k
            per += k
        ends_inside = j < len(toks) and toks[j].kind in ("op", "eq", "rp")
        if words and (per or ends_inside):
            if t.unit is None:
                t.unit = " ".join(words)
            i = j
        elif words and t.unit is None and (j == len(toks) or toks[j].kind != "num"):
            t.unit = words[0]
    return out


def _unit_word(t: Token) -> bool:
    low = t.text.lower()
    return (
        t.kind == "word"
        and (len(low) >= 3 or t.text in UNIT_SUFFIXES)
        and low not in OPERATOR_WORDS
    )


def _per_unit(toks: list[Token], j: int, *, after_word: bool) -> int:
    """Length of a ``/hour`` or ``per hour`` phrase at ``j`` (0 if none)."""
    if j + 1 >= len(toks):
        return 0
    a, b = toks[j], toks[j + 1]
    tight_letter = after_word and not a.space_before and not b.space_before and len(b.text) == 1
    if a.kind == "op" and a.text == "/" and b.kind == "word" and (_unit_word(b) or tight_letter):
        return 2
    if a.kind == "word" and a.text.lower() == "per" and _unit_word(b):
        return 2
    return 0


def _mark_ranges(toks: list[Token]) -> None:
    """``3-5`` written without spaces with 3 < 5 is a range, not a subtraction."""
    for j in range(1, len(toks) - 1):
        a, m, b = toks[j - 1], toks[j], toks[j + 1]
        tight_dash = m.kind == "op" and m.text == "-" and not m.space_before and not b.space_before
        plain = a.kind == b.kind == "num" and not (
            a.percent or b.percent or a.decimals or b.decimals
        )
        if (
            tight_dash
            and plain
            and a.value is not None
            and b.value is not None
            and a.value < b.value
        ):
            m.kind = "break"
