"""Strict, typed verdict parsers: a judge's text in, a typed verdict or a :class:`VerdictError` out.

A parser never guesses. A verdict that is missing, malformed or out of range is
a :class:`VerdictError` carrying the reason and the raw text, which the judge
records as a failed sample (never a silent default). Every parser is a function
``(text, n_steps) -> Verdict`` registered in :data:`VERDICTS`; whatever the
text, it returns a verdict or raises :class:`VerdictError` (the tests fuzz
them with hypothesis).

``\\boxed{...}`` contents are read with balanced braces; ``\\boxed{\\text{x}}``
reads as ``x`` (ThinkPRM's normalisation). ``at`` is the offset in the text just
after ``\\boxed{``: where a log-probability readout compares the candidate verdicts.

>>> first_error("... so the first wrong paragraph is \\\\boxed{2}.", n_steps=4).index
2
>>> step_verdicts("Step 0 \\\\boxed{correct} Step 1 \\\\boxed{incorrect}", n_steps=3).labels
(True, False, False)
>>> first_error("no box here", n_steps=2)
Traceback (most recent call last):
...
prmkit.scoring.judges.verdicts.VerdictError: missing: no \\boxed{} in the judge's text
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prmkit._registry import Registry
from prmkit.errors import PRMKitError

__all__ = [
    "VERDICTS",
    "Boxed",
    "FirstError",
    "RubricScores",
    "StepVerdicts",
    "Verdict",
    "VerdictError",
    "VerdictFailure",
    "boxed",
    "first_error",
    "rprm_verdicts",
    "rubric_scores",
    "step_verdicts",
    "yes_no",
]

VerdictFailure = Literal["missing", "malformed", "out_of_range", "too_many", "incomplete"]
"""``missing``: no verdict at all (or no verdict section where the grammar asks for one); ``malformed``: a verdict that is not one of the allowed values (or an
unclosed brace); ``out_of_range``: an index outside [-1, n_steps); ``too_many``: more step verdicts than steps;
``incomplete``: fewer step verdicts than steps and none of them says incorrect."""

_INDEX = re.compile(r"-?[0-9]+")
_FRACTION = re.compile(r"([0-9]{1,4})\s*/\s*([0-9]{1,4})")
RPRM_SECTION = "## Verdicts"
"""The heading that opens R-PRM-style verdicts: boxes before it belong to the analysis."""
_TEXT = re.compile(r"\\text\s*\{(.*)\}", re.DOTALL)
_OPEN = "\\boxed{"


class VerdictError(PRMKitError, ValueError):
    """A judge's text holds no verdict that parses: ``reason``, a message, and the ``raw`` text."""

    def __init__(self, reason: VerdictFailure, message: str, raw: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason: VerdictFailure = reason
        self.message = message
        self.raw = raw


@dataclass(frozen=True)
class Boxed:
    """One ``\\boxed{...}`` in a text: its content (``\\text{}`` unwrapped, stripped) and where it starts."""

    content: str
    at: int
    """Offset just after ``\\boxed{``."""


@dataclass(frozen=True)
class FirstError:
    """The index of the earliest wrong step (-1: none), as a critic states it (ProcessBench)."""

    index: int
    at: int
    n_steps: int

    @property
    def labels(self) -> tuple[bool, ...]:
        """Step ``i`` is correct iff it comes before the stated first error."""
        return tuple(self.index == -1 or i < self.index for i in range(self.n_steps))

    @property
    def scores(self) -> tuple[float, ...]:
        return tuple(float(ok) for ok in self.labels)

    def __str__(self) -> str:
        return str(self.index)


@dataclass(frozen=True)
class StepVerdicts:
    """One ``correct``/``incorrect`` per judged step, in order (ThinkPRM); the chain may stop at the first
    ``incorrect``, and every step from the first ``incorrect`` on is wrong (ProcessBench's convention)."""

    judged: tuple[bool, ...]
    at: tuple[int, ...]
    n_steps: int
    words: tuple[str, str] = ("correct", "incorrect")
    """The two box contents (good, bad): where a log-probability readout compares them."""

    @property
    def labels(self) -> tuple[bool, ...]:
        first = next((i for i, ok in enumerate(self.judged) if not ok), self.n_steps)
        return tuple(i < first for i in range(self.n_steps))

    @property
    def scores(self) -> tuple[float, ...]:
        return tuple(float(ok) for ok in self.labels)

    def __str__(self) -> str:
        return "".join("+" if ok else "-" for ok in self.judged)


@dataclass(frozen=True)
class RubricScores:
    """One ``\\boxed{k/m}`` per step: ``k`` of the rubric's ``m`` criteria met; step score ``k / m``."""

    points: tuple[int, ...]
    out_of: int
    at: tuple[int, ...]
    n_steps: int

    @property
    def scores(self) -> tuple[float, ...]:
        return tuple(k / self.out_of for k in self.points)

    @property
    def labels(self) -> tuple[bool, ...]:
        """A step is correct iff it meets at least half of the criteria."""
        return tuple(s >= 0.5 for s in self.scores)

    def __str__(self) -> str:
        return " ".join(f"{k}/{self.out_of}" for k in self.points)


Verdict = FirstError | StepVerdicts | RubricScores
Parser = Callable[[str, int], Verdict]


def boxed(text: str) -> list[Boxed]:
    """Every ``\\boxed{...}`` in ``text``, in order; an unclosed one is a ``malformed`` :class:`VerdictError`.

    >>> [b.content for b in boxed("\\\\boxed{ 3 } and \\\\boxed{\\\\text{correct}} and \\\\boxed{a{b}c}")]
    ['3', 'correct', 'a{b}c']
    """
    out: list[Boxed] = []
    start = text.find(_OPEN)
    while start >= 0:
        at = start + len(_OPEN)
        depth, end = 1, at
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        if depth:
            raise VerdictError("malformed", f"\\boxed{{ at offset {start} is never closed", text)
        content = text[at : end - 1].strip()
        wrapped = _TEXT.fullmatch(content)
        out.append(Boxed(wrapped.group(1).strip() if wrapped else content, at))
        start = text.find(_OPEN, end)
    return out


def first_error(text: str, n_steps: int) -> FirstError:
    """The critic's verdict: the **last** ``\\boxed{k}``, ``k`` an integer in [-1, n_steps) (ProcessBench).

    >>> first_error("\\\\boxed{-1}", 3).labels
    (True, True, True)
    >>> first_error("\\\\boxed{5}", 3)
    Traceback (most recent call last):
    ...
    prmkit.scoring.judges.verdicts.VerdictError: out_of_range: \\boxed{5}: the index must be in [-1, 3)
    """
    found = boxed(text)
    if not found:
        raise VerdictError("missing", "no \\boxed{} in the judge's text", text)
    last = found[-1]
    if not _INDEX.fullmatch(last.content):
        raise VerdictError("malformed", f"\\boxed{{{last.content[:40]}}} is not an integer", text)
    index = int(last.content)
    if not -1 <= index < n_steps:
        raise VerdictError(
            "out_of_range", f"\\boxed{{{last.content}}}: the index must be in [-1, {n_steps})", text
        )
    return FirstError(index, last.at, n_steps)


def step_verdicts(text: str, n_steps: int) -> StepVerdicts:
    """ThinkPRM's verdicts: ``\\boxed{correct}`` or ``\\boxed{incorrect}`` for each step in order; every
    box must hold one of the two. Fewer boxes than steps are accepted only if one says ``incorrect``.

    >>> str(step_verdicts("\\\\boxed{correct}\\\\boxed{correct}", 2))
    '++'
    >>> step_verdicts("\\\\boxed{correct}", 2)
    Traceback (most recent call last):
    ...
    prmkit.scoring.judges.verdicts.VerdictError: incomplete: 1 verdicts for 2 steps, none incorrect
    """
    return _judged_steps(text, text, 0, n_steps, ("correct", "incorrect"))


def yes_no(text: str, n_steps: int) -> StepVerdicts:
    """GenPRM's verdicts: ``\\boxed{Yes}`` or ``\\boxed{No}`` per step in order, with
    :func:`step_verdicts`' rules (``$\\boxed{Yes}$`` is the same box).

    >>> yes_no("**Judgement**: $\\\\boxed{Yes}$ ... $\\\\boxed{No}$", 3).labels
    (True, False, False)
    """
    return _judged_steps(text, text, 0, n_steps, ("Yes", "No"))


def rprm_verdicts(text: str, n_steps: int) -> StepVerdicts:
    """Analyse, then judge (R-PRM style): the verdicts are the ``\\boxed{Yes}``/``\\boxed{No}`` after the
    **last** ``## Verdicts`` heading, read as :func:`yes_no`; boxes in the analysis before it are not
    verdicts. No heading is ``missing``.

    >>> str(rprm_verdicts("## Analysis\\nStep 1 is \\\\boxed{4}.\\n## Verdicts\\n\\\\boxed{Yes} \\\\boxed{Yes}", 2))
    '++'
    """
    cut = text.rfind(RPRM_SECTION)
    if cut < 0:
        raise VerdictError("missing", f"no {RPRM_SECTION!r} section after the analysis", text)
    start = cut + len(RPRM_SECTION)
    return _judged_steps(text, text[start:], start, n_steps, ("Yes", "No"))


def _judged_steps(
    raw: str, text: str, offset: int, n_steps: int, words: tuple[str, str]
) -> StepVerdicts:
    try:
        found = boxed(text)
    except VerdictError as e:
        raise VerdictError(e.reason, e.message, raw) from None
    if not found:
        raise VerdictError("missing", "no \\boxed{} in the judge's text", raw)
    for b in found:
        if b.content not in words:
            raise VerdictError(
                "malformed",
                f"\\boxed{{{b.content[:40]}}} is neither {words[0]} nor {words[1]}",
                raw,
            )
    if len(found) > n_steps:
        raise VerdictError("too_many", f"{len(found)} verdicts for {n_steps} steps", raw)
    judged = tuple(b.content == words[0] for b in found)
    if len(found) < n_steps and all(judged):
        raise VerdictError(
            "incomplete", f"{len(found)} verdicts for {n_steps} steps, none {words[1]}", raw
        )
    return StepVerdicts(judged, tuple(offset + b.at for b in found), n_steps, words)


def rubric_scores(text: str, n_steps: int) -> RubricScores:
    """A rubric judge's scores: exactly one ``\\boxed{k/m}`` per step, ``0 <= k <= m``, the same ``m >= 1``
    in every box (the judge checks it against its rubric's length).

    >>> rubric_scores("\\\\boxed{4/4} \\\\boxed{1/4}", 2).scores
    (1.0, 0.25)
    >>> rubric_scores("\\\\boxed{5/4} \\\\boxed{1/4}", 2)
    Traceback (most recent call last):
    ...
    prmkit.scoring.judges.verdicts.VerdictError: out_of_range: \\boxed{5/4}: needs 0 <= k <= m and m >= 1
    """
    found = boxed(text)
    if not found:
        raise VerdictError("missing", "no \\boxed{} in the judge's text", text)
    if len(found) > n_steps:
        raise VerdictError("too_many", f"{len(found)} scores for {n_steps} steps", text)
    if len(found) < n_steps:
        raise VerdictError("incomplete", f"{len(found)} scores for {n_steps} steps", text)
    points, outs = [], set()
    for b in found:
        m = _FRACTION.fullmatch(b.content)
        if m is None:
            raise VerdictError("malformed", f"\\boxed{{{b.content[:40]}}} is not k/m", text)
        k, out = int(m.group(1)), int(m.group(2))
        if not 0 <= k <= out or out < 1:
            raise VerdictError(
                "out_of_range", f"\\boxed{{{b.content}}}: needs 0 <= k <= m and m >= 1", text
            )
        points.append(k)
        outs.add(out)
    if len(outs) > 1:
        raise VerdictError(
            "malformed", f"the scores are out of different totals {sorted(outs)}", text
        )
    return RubricScores(tuple(points), outs.pop(), tuple(b.at for b in found), n_steps)


VERDICTS: Registry[Parser] = Registry("verdict")
"""Verdict grammar name (a judge's ``verdict``) -> parser ``(text, n_steps) -> Verdict``."""
VERDICTS.register("first_error", first_error)
VERDICTS.register("step_verdicts", step_verdicts)
VERDICTS.register("yes_no", yes_no)
VERDICTS.register("rprm", rprm_verdicts)
VERDICTS.register("rubric", rubric_scores)
