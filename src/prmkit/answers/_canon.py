r"""Canonical keys: a cheap, deterministic normal form of an answer string.

Two answers with the same key are equivalent without further checks. Keys
are built by:

1. dropping presentation: surrounding ``$``, ``\(...\)``, ``\left``/``\right``,
   LaTeX spacing (``\,`` ``\!`` ``\;`` ``~``), whitespace, a trailing period,
   ``\text{...}`` wrappers, degree signs, ``\%``/``%``, a leading ``$``/``\$``
   currency sign, ``{,}`` and ``,`` thousands separators (``1,000``);
2. ``\dfrac``/``\tfrac`` -> ``\frac``; a single letter in parentheses
   ``(B)`` -> ``B`` (multiple choice);
3. exact numbers -> a rational ``p/q`` (``0.5``, ``\frac{1}{2}``, ``1/2``,
   ``\frac12`` all give ``1/2``; ``-3.0`` gives ``-3``).

Anything else keeps its normalised text; ``math-verify`` decides those pairs.

>>> canonical_key(r"$\dfrac{1}{2}$"), canonical_key("0.50"), canonical_key("1,000")
('1/2', '1/2', '1000')
>>> canonical_key(r"\text{(B)}"), canonical_key(r"90^\circ"), canonical_key(r"\$18.00")
('B', '90', '18')
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

__all__ = ["canonical_key", "is_short_rational", "rational_of_key"]

_SPACING = re.compile(r"\\[,!;:> ]|\\quad|\\qquad|~")
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|textrm)\{([^{}]*)\}")
_DEGREE = re.compile(r"\^\s*\{?\\circ\}?|°")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRAC = re.compile(r"^([+-]?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$|^([+-]?)\\frac(\d)(\d)$")
_SLASH = re.compile(r"^([+-]?\d+)/(\d+)$")
_PAREN_LETTER = re.compile(r"^\(([A-Za-z])\)$")
_MAX_DECIMALS = 6


def _strip_outer(s: str) -> str:
    prev = None
    while prev != s:
        prev = s
        s = s.strip()
        if len(s) >= 2 and s[0] == "$" and s[-1] == "$":
            s = s.strip("$")
        if s.startswith("\\(") and s.endswith("\\)"):
            s = s[2:-2]
        if s.startswith("\\[") and s.endswith("\\]"):
            s = s[2:-2]
        s = s.rstrip(".").rstrip()
    return s


def normalise(text: str) -> str:
    """Step 1 and 2 of the canonical key (no number parsing)."""
    s = _strip_outer(text)
    s = s.replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
    s = _SPACING.sub("", s)
    s = _TEXT.sub(r"\1", s)
    s = _DEGREE.sub("", s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("{,}", "")
    s = re.sub(r"\s+", "", s)
    if s.startswith("\\$"):
        s = s[2:]
    s = s.lstrip("$")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    m = _PAREN_LETTER.match(s)
    if m:
        s = m.group(1).upper()
    return _strip_outer(s)


def _rational(s: str) -> Fraction | None:
    if _DECIMAL.match(s):
        return Fraction(s)
    m = _FRAC.match(s)
    if m:
        if m.group(2) is not None:
            sign, num, den = m.group(1), m.group(2), m.group(3)
        else:
            sign, num, den = m.group(4), m.group(5), m.group(6)
        if int(den) == 0:
            return None
        value = Fraction(int(num), int(den))
        return -value if sign == "-" else value
    m = _SLASH.match(s)
    if m and int(m.group(2)) != 0:
        return Fraction(int(m.group(1)), int(m.group(2)))
    return None


def _format(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


@lru_cache(maxsize=1 << 16)
def canonical_key(text: str) -> str:
    """The canonical key of one answer string (see the module docstring)."""
    s = normalise(text)
    q = _rational(s)
    return _format(q) if q is not None else s


def rational_of_key(key: str) -> Fraction | None:
    """The exact number a key stands for, or None when the key is not a number."""
    return _rational(key)


@lru_cache(maxsize=1 << 16)
def is_short_rational(text: str) -> bool:
    """True when ``text`` is an exact number written with at most 6 decimals.

    Two such numbers with different keys are different; longer decimals such
    as ``9999.857142857143`` are rounded approximations and go to math-verify.

    >>> is_short_rational("0.375"), is_short_rational(r"\\frac{3}{8}"), is_short_rational("0.3333333")
    (True, True, False)
    """
    s = normalise(text)
    if _DECIMAL.match(s):
        frac_part = s.split(".", 1)[1] if "." in s else ""
        return len(frac_part) <= _MAX_DECIMALS
    return _rational(s) is not None
