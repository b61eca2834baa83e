"""Normalise a step's text (LaTeX, Markdown, Unicode) to plain arithmetic text.

The output keeps numbers, ``+ - * / ^ ( ) = %`` and words, and marks the rest
with private-use characters the tokenizer understands:

``BREAK``
    something that must not touch an arithmetic claim (a variable-like
    command such as ``\\pi``, a subscript, a matrix cell, ``\\pm``);
``CLEAN``
    a neutral separator (an inequality, an implication arrow, ``\\approx``);
``ELLIPSIS``, ``ROOT``, ``BINOM``, ``MOD``
    ``...``, ``\\sqrt[n]{x}`` (written ``ROOT(n)(x)``), ``\\binom{n}{k}``
    (``BINOM(n)(k)``) and modular arithmetic;
``TOO_DEEP``
    a LaTeX argument nested deeper than ``max_nesting``, not read (an
    operand whose claim is skipped, naming the limit).

>>> normalize(r"\\frac{1}{3} \\times 18 = 6").split()
['((1)/(3))', '*', '18', '=', '6']
"""

from __future__ import annotations

import re

from prmkit.scoring._arith_limits import ArithLimits

__all__ = [
    "BINOM",
    "BREAK",
    "CLEAN",
    "ELLIPSIS",
    "MOD",
    "ROOT",
    "TOO_DEEP",
    "normalize",
    "split_annotations",
]

BREAK = "\ue000"
CLEAN = "\ue001"
ELLIPSIS = "\ue002"
ROOT = "\ue003"
BINOM = "\ue004"
MOD = "\ue005"
TOO_DEEP = "\ue006"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ANNOTATION = re.compile(r"<<([^<>]*)>>")

_TEXT_CMDS = _words(
    "text textbf textit textrm textsf texttt textnormal textup mathrm mbox hbox operatorname emph mathit"
)
_KEEP_CMDS = _words("mathbf boldsymbol bm bold mathbb displaystyle textstyle")
_DROP_CMDS = _words(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr displaystyle textstyle limits nolimits"
)
_SPACE_CMDS = _words("quad qquad enspace medspace thickspace thinspace newline par noindent")
_CLEAN_CMDS = _words(
    "approx sim simeq le leq leqslant ge geq geqslant lt gt ne neq Rightarrow rightarrow implies to "
    "Longrightarrow longrightarrow iff therefore because Leftrightarrow leftarrow mapsto ll gg"
)
_MOD_CMDS = _words("pmod bmod mod equiv")
_ELLIPSIS_CMDS = _words("ldots dots cdots dotsc dotsb dotsm")
_OP_CMDS = {"times": "*", "cdot": "*", "ast": "*", "div": "/"}
_FRAC_CMDS = _words("frac dfrac tfrac cfrac")
_BINOM_CMDS = _words("binom dbinom tbinom")
_MATRIX_ENVS = _words("matrix pmatrix bmatrix vmatrix Vmatrix smallmatrix array cases tabular")
_SPACE_ARG_CMDS = _words("hspace vspace label tag")

_UNICODE = str.maketrans(
    {
        "−": "-",
        "×": "*",
        "·": "*",
        "⋅": "*",
        "∙": "*",
        "÷": "/",
        "–": BREAK,
        "—": BREAK,
        "≈": CLEAN,
        "≠": CLEAN,
        "≤": CLEAN,
        "≥": CLEAN,
        "→": CLEAN,
        "⇒": CLEAN,
        "∴": CLEAN,
        "°": " ",
        "…": ELLIPSIS,
        "√": BREAK,
        "±": BREAK,
        "∓": BREAK,
        "²": "^2",
        "³": "^3",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2002": " ",
        "\u2003": " ",
        "≡": MOD,
        "[": "(",
        "]": ")",
        "#": " ",
        "|": BREAK,
        "_": BREAK,
        "\\": BREAK,
        "&": BREAK,
    }
)


def split_annotations(text: str) -> tuple[str, list[str]]:
    """Cut GSM8K calculator annotations ``<<48/2=24>>`` out of a step; return the rest and them.

    >>> split_annotations("48/2 = <<48/2=24>>24 cups")
    ('48/2 =  24 cups', ['48/2=24'])
    """
    return _ANNOTATION.sub(" ", text), _ANNOTATION.findall(text)


_DEFAULT = ArithLimits()


def normalize(text: str, *, limits: ArithLimits = _DEFAULT) -> str:
    """LaTeX/Markdown/Unicode -> plain arithmetic text with the private markers above."""
    text = text.replace(TOO_DEEP, BREAK)  # only the LaTeX pass below may write it
    text = re.sub(r"(?m)^[ \t]*[-*+•][ \t]+", " ", text)  # list bullets
    text = re.sub(r"(?<=[\d)])\s*\*\*\s*(?=[\d(])", "^", text)  # 2**3
    text = re.sub(r"(?<=[A-Za-z])[²³]", "", text)  # cm² is a unit, not a power of the number
    text = text.replace("**", " ").replace("{,}", ",").replace("...", ELLIPSIS)
    text = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", " ", text)
    text = re.sub(r"(?<=\d),\\!(?=\d{3})", ",", text)
    text = re.sub(r"(?<=\d)\\,(?=\d{3}(?!\d))", ",", text)
    text = re.sub(r"[<>!]=|=>|=<", CLEAN, text)
    text = re.sub(r"&\s*(?==)", " ", text)  # align: "&="
    text = re.sub(r"\\\\\s*(?:&\s*)?(?==)", " ", text)  # align continuation: "\\ &="
    return _Latex(limits.max_nesting).run(text, 0).translate(_UNICODE)


class _Latex:
    """The LaTeX pass over one text: commands translated, arguments recursed into up to a depth."""

    def __init__(self, max_nesting: int) -> None:
        self.max_nesting = max_nesting

    def run(self, s: str, depth: int) -> str:
        return TOO_DEEP if depth > self.max_nesting else _latex(s, self, depth)


def _latex(s: str, ctx: _Latex, depth: int) -> str:
    out: list[str] = []
    # no "]" in s from no_bracket[0] on: a "\\sqrt[" after it does not look again
    no_bracket = [len(s) + 1]
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "{":
            out.append("(")
            i += 1
        elif c == "}":
            out.append(")")
            i += 1
        elif c == "<" or c == ">":
            out.append(CLEAN)
            i += 1
        elif c != "\\":
            out.append(c)
            i += 1
        else:
            i = _command(s, i, out, ctx, depth, no_bracket)
    return "".join(out)


def _ends_in_digit(out: list[str]) -> bool:
    """``"".join(out).rstrip()[-1:].isdigit()`` without joining (a step with many ``\\frac`` stays linear)."""
    for piece in reversed(out):
        piece = piece.rstrip()
        if piece:
            return piece[-1].isdigit()
    return False


def _command(s: str, i: int, out: list[str], ctx: _Latex, depth: int, no_bracket: list[int]) -> int:
    """Translate the command at ``s[i] == '\\\\'``; return the index after it."""
    m = re.compile(r"\\([A-Za-z]+)\*?|\\(.)", re.S).match(s, i)
    if m is None:  # a lone trailing backslash
        out.append(BREAK)
        return i + 1
    name, sym, j = m.group(1), m.group(2), m.end()
    if sym is not None:
        out.append(
            {
                "%": "%",
                "$": "$",
                "(": CLEAN,
                ")": CLEAN,
                "[": CLEAN,
                "]": CLEAN,
                "!": "",
                "#": " ",
            }.get(sym, " " if sym in ",;: " else BREAK)
        )
        return j
    if name in _FRAC_CMDS or name in _BINOM_CMDS:
        a, j = _arg(s, j)
        b, j = _arg(s, j)
        if a is None or b is None:
            out.append(BREAK)
        elif name in _FRAC_CMDS:
            if _ends_in_digit(out):
                out.append(BREAK)  # a mixed number 2\frac{1}{2}: not checked
            out.append(f"(({ctx.run(a, depth + 1)})/({ctx.run(b, depth + 1)}))")
        else:
            out.append(f"{BINOM}({ctx.run(a, depth + 1)})({ctx.run(b, depth + 1)})")
        return j
    if name == "sqrt" or name == "root":
        index = "2"
        k = _skip_ws(s, j)
        if name == "sqrt" and k < len(s) and s[k] == "[":
            close = -1 if k >= no_bracket[0] else s.find("]", k)
            if close < 0:
                no_bracket[0] = min(no_bracket[0], k)
                out.append(BREAK)
                return j
            index, j = s[k + 1 : close], close + 1
        a, j = _arg(s, j)
        out.append(
            BREAK if a is None else f"{ROOT}({ctx.run(index, depth + 1)})({ctx.run(a, depth + 1)})"
        )
        return j
    if name in _TEXT_CMDS:
        a, j = _arg(s, j)
        out.append(f" {(a or '').replace('$', ' ')} ")
        return j
    if name in ("boxed", "fbox"):
        a, j = _arg(s, j)
        out.append(BREAK if a is None else f"({ctx.run(a, depth + 1)})")
        return j
    if name in ("begin", "end"):
        a, j = _arg(s, j)
        out.append(BREAK if a in _MATRIX_ENVS else " ")
        return j
    if name in _SPACE_ARG_CMDS:
        _, j = _arg(s, j)
        out.append(" ")
        return j
    if name in _OP_CMDS:
        out.append(f" {_OP_CMDS[name]} ")
    elif name in _KEEP_CMDS or name in _DROP_CMDS:
        if name in ("left", "right") and j < len(s) and s[j] == ".":
            j += 1
    elif name in _SPACE_CMDS:
        out.append(" ")
    elif name in _CLEAN_CMDS:
        out.append(f" {CLEAN} ")
    elif name in _MOD_CMDS:
        out.append(MOD)
    elif name in _ELLIPSIS_CMDS:
        out.append(ELLIPSIS)
    elif name == "percent":
        out.append("%")
    else:
        out.append(BREAK)
    return j


def _skip_ws(s: str, j: int) -> int:
    while j < len(s) and s[j].isspace():
        j += 1
    return j


def _arg(s: str, j: int) -> tuple[str | None, int]:
    """One macro argument: a braced group, a command name or a single character."""
    j = _skip_ws(s, j)
    if j >= len(s):
        return None, j
    if s[j] == "{":
        depth = 0
        for k in range(j, len(s)):
            depth += {"{": 1, "}": -1}.get(s[k], 0)
            if depth == 0:
                return s[j + 1 : k], k + 1
        return None, len(s)
    if s[j] == "\\":
        m = re.compile(r"\\[A-Za-z]+").match(s, j)
        return (None, j + 1) if m is None else (m.group(0), m.end())
    if s[j] in "})":
        return None, j
    return s[j], j + 1
