"""Find the arithmetic claims in a step and check each one.

A claim is a chain ``E0 = E1 = ... = Ek`` of purely numeric expressions; each
adjacent pair is checked. A chain side is only read when it is a complete
expression whose outer edges touch nothing that could change its meaning
(a variable, a function name, a subscript, an operator word like ``of`` or
``times``, a ratio colon). Everything prmkit cannot read with certainty is
skipped, never reported as false.

>>> [c.verdict for c in check_text("2/5 * 4000 = 800 gallons, and 3 * 4 = 12.")]
['false', 'true']
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from prmkit.scoring._arith_compare import Side, Verdict, compare
from prmkit.scoring._arith_limits import ArithLimits, LimitExceeded
from prmkit.scoring._arith_parse import parse
from prmkit.scoring._arith_text import normalize, split_annotations
from prmkit.scoring._arith_tokens import Token, tokenize

__all__ = ["ClaimCheck", "Verdict", "check_text"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EXPR = frozenset(("num", "op", "lp", "rp", "fact", "root", "binom"))
_LEFT_UNCLEAN = _words(
    "times of by than plus minus over twice half thrice double triple squared cubed root power mod modulo "
    "percent per out divided multiplied less more into factorial sqrt log ln sin cos tan exp "
    "dozen dozens hundred hundreds thousand thousands million millions billion billions trillion trillions "
    "score grand point raised"
)
_RIGHT_UNCLEAN = _words(
    "times of squared cubed factorial percent dozen dozens hundred hundreds thousand thousands million "
    "millions billion billions trillion trillions score grand point over by to plus minus divided "
    "multiplied raised"
)
# "day 1 * 2": a number right after these nouns names something, it is not a quantity.
_LABEL_NOUNS = _words(
    "day days week weeks month months year years step steps page pages part case option round level grade "
    "room chapter question problem number no item line row column stage phase game match test quiz floor "
    "bus table team group section figure term equation eq lesson unit episode session trip hour minute "
    "version class period quarter book volume"
)
_FRACTION_WORDS = _words("a half one quarter quarters two three third thirds")


@dataclass(frozen=True)
class ClaimCheck:
    """One checked equality ``left = right`` and its verdict (``skip``: not decidable)."""

    left: str
    right: str
    verdict: Verdict
    detail: str


_DEFAULT = ArithLimits()
_EXCERPT = 60


def check_text(text: str, limits: ArithLimits = _DEFAULT) -> list[ClaimCheck]:
    """Every claim in ``text`` (prose, LaTeX and GSM8K ``<<a=b>>`` annotations) and its verdict."""
    body, annotations = split_annotations(text)
    out: list[ClaimCheck] = []
    for part, ranges in [(body, True), *((a, False) for a in annotations)]:
        try:
            toks = tokenize(normalize(part, limits=limits), ranges=ranges, limits=limits)
            out.extend(_check_tokens(toks, limits))
        except (
            RecursionError
        ):  # max_nesting bounds recursion; only a caller's nearly full stack gets here
            out.append(ClaimCheck(_excerpt(part), "", "skip", "limit max_nesting: Python's stack"))
    return out


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _check_tokens(toks: list[Token], limits: ArithLimits) -> list[ClaimCheck]:
    out: list[ClaimCheck] = []
    clause = _Clauses(toks)
    for chain in _chains(toks):
        if clause.has_mod(chain[0][0], chain[-1][1]):
            continue  # a congruence: "=" does not mean equality of numbers there
        sides = [
            _side(toks, a, b, k == 0, k == len(chain) - 1, limits) for k, (a, b) in enumerate(chain)
        ]
        for k, (x, y) in enumerate(itertools.pairwise(sides)):
            if x is not None and y is not None and _read(x) and _read(y):
                verdict, detail = compare(x, y, first=k == 0, limits=limits)
                out.append(ClaimCheck(x.text, y.text, verdict, detail))
    return out


def _read(side: Side) -> bool:
    """The side is an expression, or past a limit (its claim is then skipped, naming the limit)."""
    return side.node is not None or side.limit is not None


class _Clauses:
    """Whether the clause around a span (between the ``clean`` separators around it) has a ``mod``."""

    def __init__(self, toks: list[Token]) -> None:
        n = len(toks)
        self.mods = [0] * (n + 1)  # mods[i]: mod tokens among toks[:i]
        self.start = [0] * (n + 1)  # start[i]: first index of the clause that toks[i] is in
        self.end = [n] * (n + 1)  # end[i]: the first clean separator at or after i (or n)
        for i, t in enumerate(toks):
            self.mods[i + 1] = self.mods[i] + (t.kind == "mod")
            self.start[i] = self.start[i - 1] if i and toks[i - 1].kind != "clean" else i
        for i in range(n - 1, -1, -1):
            self.end[i] = i if toks[i].kind == "clean" else self.end[i + 1]

    def has_mod(self, a: int, b: int) -> bool:
        """A ``mod``/``\\equiv`` among the tokens of the clause around ``toks[a:b]``."""
        return self.mods[self.end[b]] > self.mods[self.start[a]]


def _chains(toks: list[Token]) -> list[list[tuple[int, int]]]:
    """Maximal runs of expression tokens joined by single ``=`` tokens."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if toks[i].kind in _EXPR:
            j = i
            while j < len(toks) and toks[j].kind in _EXPR:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    chains: list[list[tuple[int, int]]] = []
    for run in runs:
        if chains and chains[-1][-1][1] + 1 == run[0] and toks[run[0] - 1].kind == "eq":
            chains[-1].append(run)
        else:
            chains.append([run])
    return [c for c in chains if len(c) >= 2]


def _side(
    toks: list[Token], a: int, b: int, first: bool, last: bool, limits: ArithLimits
) -> Side | None:
    """One side of a chain, trimmed of parentheses opened/closed outside it, if it is readable.

    A side past ``max_tokens`` or ``max_nesting`` is returned with the limit instead of a tree.
    """
    if first and not _clean_left(toks, a):
        return None
    while (
        last
        and b - a > 1
        and toks[b - 1].kind == "lp"
        and toks[b - 1].space_before
        and _aside(toks, b)
    ):
        b -= 1  # "= $180/day (per cycle)": a parenthetical remark follows
    if last and not _clean_right(toks, b):
        return None
    opened: list[int] = []
    closed: list[int] = []
    for i in range(a, b):
        if toks[i].kind == "lp":
            opened.append(i)
        elif toks[i].kind == "rp":
            if opened:
                opened.pop()
            else:
                closed.append(i)
    if opened:
        if not first or opened != list(range(a, a + len(opened))):
            return None
        a += len(opened)
    if closed:
        if not last or closed != list(range(b - len(closed), b)):
            return None
        b -= len(closed)
    if a >= b:
        return None
    head = toks[a]
    unary = head.text == "-" and a + 1 < b and not toks[a + 1].space_before
    if first and not opened and head.kind == "op" and not unary:
        return None  # "x - 3 = 7" cut in half, or a dash
    seg = toks[a:b]
    after_word = a > 0 and toks[a - 1].kind == "word"
    if len(seg) > limits.max_tokens:
        limit = f"limit max_tokens: {len(seg)} tokens on one side (at most {limits.max_tokens})"
        return Side(seg, None, after_word, limit)
    try:
        return Side(seg, parse(seg, limits=limits), after_word)
    except LimitExceeded as e:
        return Side(seg, None, after_word, str(e))


def _aside(toks: list[Token], b: int) -> bool:
    nxt = toks[b] if b < len(toks) else None
    return (
        nxt is not None
        and nxt.kind == "word"
        and len(nxt.text) >= 2
        and nxt.text.lower() not in _RIGHT_UNCLEAN
    )


def _clean_left(toks: list[Token], a: int) -> bool:
    if a == 0:
        return True
    t = toks[a - 1]
    before = toks[a - 2] if a >= 2 else None
    if t.kind == "clean" and before is not None:
        if before.kind == "op":
            return False  # "+ . 84": an operator dangles before the separator
        if (
            t.text == ","
            and before.kind == "num"
            and toks[a].kind == "num"
            and toks[a].text.isdigit()
        ):
            return len(toks[a].text) != 3  # "14, 400": a broken thousands separator
    if t.kind in ("clean", "eq"):
        return True
    if t.kind != "word" or not toks[a].space_before:
        return False
    low = t.text.lower()
    if len(low) == 1 or low in _LEFT_UNCLEAN or low in _LABEL_NOUNS:
        return False
    return not (a >= 2 and toks[a - 2].kind == "num")  # "2 hours 30 + 5": a compound quantity


def _clean_right(toks: list[Token], b: int) -> bool:
    if b == len(toks):
        return True
    t = toks[b]
    if t.kind in ("clean", "eq"):
        return True
    if t.kind != "word" or not t.space_before:
        return False
    low = t.text.lower()
    if len(low) == 1 or low in _RIGHT_UNCLEAN:
        return False
    nxt = toks[b + 1] if b + 1 < len(toks) else None
    if nxt is None:
        return True
    if nxt.kind == "num":
        return False  # "= 2 hours 30 minutes"
    if low == "and" and nxt.text.lower() in _FRACTION_WORDS:
        return False  # "= 7 and a half"
    return not (
        low in ("more", "less", "fewer", "greater", "smaller") and nxt.text.lower() == "than"
    )


def _show(t: Token) -> str:
    return t.text + ("%" if t.percent else "")
