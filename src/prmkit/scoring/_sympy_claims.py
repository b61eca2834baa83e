"""Find the equality chains ``E0 = E1 = ... = Ek`` in a step, in LaTeX math and in plain text.

Pure text work (no sympy): the chains found here are decided by the worker.
LaTeX math is what sits between ``\\( \\)``, ``\\[ \\]``, ``$$ $$`` or ``$ $``
written the TeX way (no space inside the dollars, so ``$3 and $5`` is money).
Plain text outside math is read only for chains that name a variable (``x = 2y + 3``,
``2x + 3 = 7``); purely numeric prose is left to the ``arith`` verifier, which reads
units, percentages and running calculations. A chain side is read only when its
edges touch nothing that could change its meaning; otherwise that side is dropped.

>>> [c.sides for c in find_claims(r"So $(x+1)^2 = x^2+2x+1$, and 2x + 3 = 7 gives x = 2.")]
[('(x+1)^2', 'x^2+2x+1'), ('2*x + 3', '7'), ('x', '2')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Claim", "find_claims"]

Fmt = Literal["latex", "plain"]


@dataclass(frozen=True)
class Claim:
    """One chain of sides written ``sides[0] = sides[1] = ...``, in LaTeX or plain notation."""

    fmt: Fmt
    sides: tuple[str, ...]
    hypothetical: bool = False
    """Its sentence says if, suppose, case, not, or ...: checked, but it neither fixes nor contradicts a value."""

    @property
    def text(self) -> str:
        return " = ".join(self.sides)


_DELIM = re.compile(r"\\[()\[\]]|\$\$|\$")
_CLOSER = {"\\(": "\\)", "\\[": "\\]", "$$": "$$"}
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")
_HYPOTHESIS = re.compile(
    r"\b(?:if|suppose|supposing|assume|assuming|case|cases|not|try|trying|check|checking|test|testing|whether|"
    r"unless|or|either)\b",
    re.I,
)
_LATEX_DROP = re.compile(r"\\left\b|\\right\b|\\[,;!:]|\\displaystyle\b|\{,\}|\\\$")
_LATEX_SPLIT = re.compile(
    r"\\\\|&|;|,(?!\d{3})|\\q?quad\b|\\(?:implies|Rightarrow|Longrightarrow|rightarrow|to|iff|text\{\s*(?:and|so|then|thus|or|where|if|hence|since)\s*\})(?![A-Za-z])"
)
_LATEX_OK = frozenset(
    ("frac", "dfrac", "tfrac", "sqrt", "cdot", "times", "div", "pi", "text", "mathrm")
)
_TEXT = re.compile(r"\\(?:text|mathrm)\{[^{}]*\}")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_BAD_LATEX = re.compile(r"[<>%|]|\\%|[A-Za-z]\s*\(|:=|==|[A-Za-z]{3,}")

_PLAIN_TOKEN = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+)|(?P<op>[-+*/^×÷·−])"
    r"|(?P<lp>\()|(?P<rp>\))|(?P<eq>=)|(?P<cur>\$(?=\d))|(?P<ws>\s+)|(?P<punct>[.,;:!?](?=\s|$))|(?P<other>.)",
    re.S,
)
_CONNECTIVES = frozenset(
    [
        "so",
        "then",
        "thus",
        "therefore",
        "hence",
        "we",
        "get",
        "gives",
        "give",
        "have",
        "has",
        "and",
        "or",
        "that",
        "is",
        "means",
        "implies",
        "since",
        "because",
        "solve",
        "find",
        "where",
        "when",
        "if",
        "let",
        "now",
        "which",
        "it",
        "becomes",
        "obtain",
        "know",
        "yields",
        "for",
        "with",
    ]
)
_NOT_VARS = frozenset(("a", "A", "I"))
_OPS = {"×": "*", "÷": "/", "·": "*", "−": "-"}


def find_claims(text: str) -> list[Claim]:
    """Every equality chain in ``text``, LaTeX math first, then plain text, each in reading order."""
    out: list[Claim] = []
    last = 0
    prose: list[tuple[int, int]] = []
    for start, end, body_start, body_end in _math_spans(text):
        prose.append((last, start))
        last = end
        claims = _latex_claims(text[body_start:body_end])
        if claims:
            hyp = _hypothetical(text, start, end)
            out.extend(Claim(c.fmt, c.sides, hyp) for c in claims)
    prose.append((last, len(text)))
    for a, b in prose:
        out.extend(_plain_claims(text, a, b))
    return out


def _hypothetical(text: str, start: int, end: int) -> bool:
    """The sentence around ``text[start:end]`` says if, suppose, case, not, or ...: it may not hold outright."""
    before = text[max(0, start - 160) : start]
    ends = list(_SENTENCE_END.finditer(before))
    after = text[end : end + 160]
    stop = _SENTENCE_END.search(after)
    sentence = (
        (before[ends[-1].end() :] if ends else before)
        + " "
        + (after[: stop.start()] if stop else after)
    )
    return _HYPOTHESIS.search(sentence) is not None


def _math_spans(text: str) -> list[tuple[int, int, int, int]]:
    """``(start, end, body start, body end)`` of each math segment, in one linear pass over the delimiters."""
    toks = [(m.group(0), m.start(), m.end()) for m in _DELIM.finditer(text)]
    nxt: dict[str, list[int]] = {c: [len(toks)] * (len(toks) + 1) for c in _CLOSER.values()}
    for k in range(len(toks) - 1, -1, -1):  # nxt[c][k]: the first closer c at or after token k
        for c, row in nxt.items():
            row[k] = k if toks[k][0] == c else row[k + 1]
    spans: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(toks):
        tok, s, e = toks[i]
        if tok in _CLOSER:
            j = nxt[_CLOSER[tok]][i + 1]
            if j < len(toks) and toks[j][1] > e:
                spans.append((s, toks[j][2], e, toks[j][1]))
                i = j + 1
                continue
        elif (
            tok == "$"
            and i + 1 < len(toks)
            and toks[i + 1][0] == "$"
            and _tex_dollars(text, e, toks[i + 1][1])
        ):
            spans.append((s, toks[i + 1][2], e, toks[i + 1][1]))
            i += 2
            continue
        i += 1
    return spans


def _tex_dollars(text: str, a: int, b: int) -> bool:
    """``$`` at ``a - 1`` and ``b`` enclose TeX math: no space inside the dollars, no digit after, not ``\\$``."""
    return (
        b > a
        and (a < 2 or text[a - 2] != "\\")
        and not text[a].isspace()
        and not text[b - 1].isspace()
        and text[b - 1] != "\\"
        and (b + 1 >= len(text) or not text[b + 1].isdigit())
    )


def _latex_claims(body: str) -> list[Claim]:
    body = _THOUSANDS.sub("", _LATEX_DROP.sub(" ", body))
    body = re.sub(
        r"(?<=[\d)])\s*\(", r" \\cdot (", body
    )  # 3(12): a product (latex2sympy would add)
    out: list[Claim] = []
    for piece in _LATEX_SPLIT.split(body):
        if "=" not in piece:
            continue
        sides = [s.strip() for s in piece.split("=")]
        if _TEXT.fullmatch(sides[0]):  # "\text{Total} = 3 + 4 = 7": a label, not a value
            sides = sides[1:]
        sides[-1] = re.sub(
            r"(\s*\\(?:text|mathrm)\{[^{}]*\})+$", "", sides[-1]
        ).strip()  # trailing units
        commands = set(re.findall(r"\\([A-Za-z]+)", " ".join(sides)))
        if (
            len(sides) < 2
            or not all(sides)
            or not commands <= _LATEX_OK
            or any(
                _TEXT.search(s) or _BAD_LATEX.search(re.sub(r"\\[A-Za-z]+", " ", s)) for s in sides
            )
            or any(re.match(r"(?:[+*/^]|\\times|\\cdot|\\div)", s) for s in sides)
            or any(re.search(r"(?:[-+*/^_]|\\times|\\cdot|\\div)$", s) for s in sides)
        ):
            continue
        out.append(Claim("latex", tuple(sides)))
    return out


def _plain_claims(text: str, start: int, end: int) -> list[Claim]:
    found = list(_PLAIN_TOKEN.finditer(text, start, end))
    toks = [(m.lastgroup or "other", m.group(0)) for m in found]
    out: list[Claim] = []
    i = 0
    while i < len(toks):
        if not _mathy(toks, i):
            i += 1
            continue
        j = i
        while j < len(toks) and (_mathy(toks, j) or toks[j][0] == "ws"):
            j += 1
        claim = _chain(toks, i, j)
        if claim is not None:
            out.append(
                Claim(
                    claim.fmt,
                    claim.sides,
                    _hypothetical(text, found[i].start(), found[j - 1].end()),
                )
            )
        i = j
    return out


def _is_var(toks: list[tuple[str, str]], k: int) -> bool:
    kind, s = toks[k]
    if kind != "word" or len(s) != 1 or s in _NOT_VARS:
        return False
    return not (k >= 2 and toks[k - 1][0] == "ws" and toks[k - 2][0] == "num")  # "10 m": a unit


def _mathy(toks: list[tuple[str, str]], k: int) -> bool:
    kind = toks[k][0]
    return kind in ("num", "op", "lp", "rp", "eq", "cur") or _is_var(toks, k)


def _chain(toks: list[tuple[str, str]], i: int, j: int) -> Claim | None:
    while j > i and toks[j - 1][0] == "ws":
        j -= 1
    sides: list[list[tuple[str, str]]] = [[]]
    for k in range(i, j):
        if toks[k][0] == "eq":
            sides.append([])
        elif toks[k][0] != "cur":
            sides[-1].append(toks[k])
    if not _clean_edge(toks, i - 1, -1):
        sides = sides[1:]
    if not _clean_edge(toks, j, +1):
        sides = sides[:-1]
    texts = [_side_text(s) for s in sides]
    if len(texts) < 2 or any(t is None for t in texts):
        return None
    if not any(_is_var(toks, k) for k in range(i, j)):
        return None  # numeric prose: arith's
    return Claim("plain", tuple(t for t in texts if t is not None))


def _clean_edge(toks: list[tuple[str, str]], k: int, step: int) -> bool:
    """What lies beyond a run's edge at ``k`` (walking ``step``) leaves the edge side's value alone."""
    while 0 <= k < len(toks) and toks[k][0] == "ws":
        k += step
    if not 0 <= k < len(toks):
        return True
    kind, s = toks[k]
    if kind == "punct":
        return True
    return kind == "word" and s.lower() in _CONNECTIVES and (step < 0 or toks[k - 1][0] == "ws")


def _side_text(side: list[tuple[str, str]]) -> str | None:
    """A complete expression: balanced, no dangling operator, explicit products (``2x`` -> ``2*x``)."""
    body = [t for t in side if t[0] != "ws"]
    if not body or body[-1][0] == "op" or (body[0][0] == "op" and body[0][1] not in "-−"):
        return None
    depth = 0
    for kind, _ in body:
        depth += {"lp": 1, "rp": -1}.get(kind, 0)
        if depth < 0:
            return None
    if depth:
        return None
    out: list[str] = []
    prev = ""
    for kind, s in side:
        if kind == "ws":
            out.append(" ")
            continue
        if (prev in ("num", "word", "rp") and kind in ("word", "lp")) or (
            prev in ("word", "rp") and kind == "num"
        ):
            if kind == "lp" and prev == "word":
                return None  # f(x): a function, not a product
            out.append("*")
        out.append(_OPS.get(s, s).replace(",", "") if kind in ("op", "num") else s)
        prev = kind
    return "".join(out).strip()
