"""Finding the final answer in a solution's text (no normalisation here; see ``_canon``).

Each finder returns the raw answer text of the **last** match, or ``None``.

>>> last_boxed(r"so $\\boxed{\\frac{1}{2}}$ and then \\boxed{7}.")
'7'
>>> gsm8k_marker("3 + 4 = 7\\n#### 7")
'7'
>>> answer_phrase("So the answer is $72.")
'$72'
>>> answer_is("So our answer is: $72.")
'72'
>>> answer_line("She makes 18 a day\\nA: 18")
'18'
>>> choice_letter("The correct option is (C).")
'C'
"""

from __future__ import annotations

import re

__all__ = [
    "answer_is",
    "answer_line",
    "answer_phrase",
    "choice_letter",
    "gsm8k_marker",
    "last_boxed",
    "last_number",
]

_BOX = re.compile(r"\\(?:boxed|fbox)\b\s*")
_BARE = re.compile(r"([^\s$\\)\]},.;:][^\s$]*)")
_MARKER = re.compile(r"^[ \t]*####[ \t]*(\S+)[ \t]*$", re.MULTILINE)
_PHRASE = re.compile(r"the\s+(?:final\s+)?answer\s+is\s*[:：]?\s*(.+)", re.IGNORECASE)
_ANSWER_IS = re.compile(r"answer is\s*:?\s*(.+)", re.IGNORECASE)
_LINE = re.compile(
    r"^\s*(?:\*\*)?(?:A|Answer|Final\s+Answer)(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_LETTER = re.compile(r"^\(?\s*([A-Ja-j])\s*\)?[.:)]?$")
_LETTER_IN_TEXT = re.compile(
    r"(?i:option|choice|answer(?:\s+is)?)\s*[:：]?\s*(?:\(([A-Ja-j])\)|([A-J])(?![A-Za-z]))"
)
_PAREN_LETTER = re.compile(r"\(([A-J])\)")


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the balanced ``{...}`` group that opens at ``text[start]``.

    Escaped braces (``\\{``, ``\\}``) do not count.
    """
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
        i += 1
    return None


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{...}`` (or ``\fbox{...}``, or ``\boxed 5``); braces must balance.

    The unbraced form takes the token up to a space or ``$``; a token that starts with a backslash
    or closing punctuation is prose about the command ("within \(\boxed\), ..."), not an answer.

    >>> last_boxed(r"\boxed{a}{b} then \boxed{\{1, 2\}}")
    '\\{1, 2\\}'
    >>> last_boxed(r"\boxed 5") , last_boxed(r"\boxed{unclosed") is None, last_boxed(r"in \(\boxed\), so") is None
    ('5', True, True)
    """
    found: str | None = None
    for m in _BOX.finditer(text):
        pos = m.end()
        if pos < len(text) and text[pos] == "{":
            got = _braced(text, pos)
            if got is not None:
                found = got[0]
        else:
            tail = _BARE.match(text, pos)
            if tail:
                found = tail.group(1)
    return found


def gsm8k_marker(text: str) -> str | None:
    """The answer on the last ``#### x`` line (GSM8K references), ``x`` one token: a markdown heading
    (``#### Part 1: the area``) is not an answer.

    >>> gsm8k_marker("#### 1,072"), gsm8k_marker("#### Part 1: the area")
    ('1,072', None)
    """
    hits = _MARKER.findall(text)
    return hits[-1] if hits else None


def _clean_tail(ans: str) -> str:
    ans = ans.strip()
    ans = re.sub(r"\*\*", "", ans).strip()
    # a sentence ends the answer: "72. So she ..." -> "72"; keep decimals such as "3.5"
    m = re.match(r"(.+?)\.(?:\s|$)", ans)
    if m:
        ans = m.group(1)
    return ans.rstrip(" .。").strip()


def answer_phrase(text: str) -> str | None:
    """The rest of the line after the last "the (final) answer is"; a boxed answer inside wins."""
    last: str | None = None
    for line in text.splitlines():
        for m in _PHRASE.finditer(line):
            last = m.group(1)
    if last is None:
        return None
    boxed = last_boxed(last)
    return boxed if boxed is not None else _clean_tail(last)


def answer_is(text: str) -> str | None:
    """The rest of the line after the last "answer is" (with or without "the"); ``$`` and a final period dropped.

    The rule of step-structured solutions (``The answer is: 72``): looser than
    :func:`answer_phrase` about what comes before "answer is", and it keeps the
    whole rest of the line.

    >>> answer_is("My answer is 5 apples."), answer_is("The answer is: $"), answer_is("the answer isn't clear")
    ('5 apples', None, "n't clear")
    """
    hits = _ANSWER_IS.findall(text)
    if not hits:
        return None
    lines = hits[-1].strip().splitlines()  # "." stops at "\n" only; splitlines also cuts at "\r", "\f" ...
    ans = lines[0].strip().rstrip(".").strip().strip("$").strip() if lines else ""
    return ans or None


def answer_line(text: str) -> str | None:
    """The last ``A: 18`` / ``Answer: 18`` / ``Final Answer: 18`` line (GSM8K example solutions)."""
    hits = _LINE.findall(text)
    if not hits:
        return None
    boxed = last_boxed(hits[-1])
    return boxed if boxed is not None else _clean_tail(hits[-1])


def last_number(text: str) -> str | None:
    """The last number in the text ("1,200.5" keeps its comma; canonical keys drop it)."""
    hits = _NUMBER.findall(text)
    return hits[-1].rstrip(",") if hits else None


def choice_letter(text: str) -> str | None:
    """A multiple-choice letter A-J, upper-cased.

    Looked for, in order: a boxed letter, "answer is (X)" / "Answer: X" / "option X",
    a line that is only ``(X)``, then the last ``(X)`` anywhere.
    """
    boxed = last_boxed(text)
    if boxed is not None:
        m = _LETTER.match(re.sub(r"\\text\{(.*)\}", r"\1", boxed).strip())
        if m:
            return m.group(1).upper()
    hits = _LETTER_IN_TEXT.findall(text)
    if hits:
        return str(hits[-1][0] or hits[-1][1]).upper()
    for line in reversed(text.strip().splitlines()):
        m = _LETTER.match(line.strip())
        if m:
            return m.group(1).upper()
    paren = _PAREN_LETTER.findall(text)
    return str(paren[-1]) if paren else None
