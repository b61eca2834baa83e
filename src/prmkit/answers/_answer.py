r"""Final answers: extraction, canonical keys, equivalence, grading and grouping.

A candidate's answer is an :class:`Answer` (the extracted text and its
canonical key) or a typed :class:`NoAnswer` — extraction never raises.

Equivalence of two answers, in order:

1. equal canonical keys (see :func:`canonical_key`) -> equal;
2. two exact numbers with at most 6 decimals and different keys -> different;
   two different single letters (multiple choice) -> different;
3. otherwise math-verify decides, under a wall-clock limit per comparison
   (``timeout_s``, default 5 s); a timeout or an error counts as different.

>>> a = extract_answer(r"... so the area is $\boxed{\dfrac{1}{2}}$.")
>>> a.text, a.key
('\\dfrac{1}{2}', '1/2')
>>> extract_answer("I am not sure.")
NoAnswer(reason='no_marker', detail='no \\boxed{}, ####, "the answer is" or "Answer:" found')
>>> grade_answer(a, "0.5")
True
>>> group_answers(["4", "4.0", r"\frac{8}{2}", "5", "5", None])
(0, 0, 0, 1, 1, -1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from prmkit.answers import _extract as ex
from prmkit.answers._canon import canonical_key, is_short_rational
from prmkit.answers._verify import Verdict, math_verify_equal

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "Answer",
    "AnswerStyle",
    "NoAnswer",
    "Verdict",
    "answers_equivalent",
    "as_answer",
    "canonical_key",
    "compare_answers",
    "extract_answer",
    "grade_answer",
    "group_answers",
]

DEFAULT_TIMEOUT_S = 5.0
"""Default wall-clock limit of one math-verify comparison, in seconds (Qwen2.5-Math's grader uses 5 s)."""

AnswerStyle = Literal["auto", "boxed", "gsm8k", "choice"]
"""Where to look for the answer: ``boxed`` = last ``\\boxed{}``; ``gsm8k`` = ``#### x``, then
"the answer is x", then an ``A: x`` / ``Answer: x`` line; ``choice`` = a letter A-J;
``auto`` = boxed, then the gsm8k markers."""


@dataclass(frozen=True)
class Answer:
    """An extracted final answer.

    >>> Answer.of("1,000").key
    '1000'
    """

    text: str
    """The answer as written in the solution (inside ``\\boxed{}``, after ``####`` ...)."""
    key: str
    """Its canonical key; equal keys mean equivalent answers."""

    @property
    def ok(self) -> bool:
        return True

    @classmethod
    def of(cls, text: str) -> Answer:
        """An answer from its text, with its canonical key computed."""
        return cls(text, canonical_key(text))


@dataclass(frozen=True)
class NoAnswer:
    """A candidate with no extractable answer. It never wins a vote and is never correct.

    >>> NoAnswer("empty").ok
    False
    """

    reason: Literal["no_marker", "empty", "not_a_choice", "missing"]
    """``no_marker``: no answer marker found; ``empty``: the marker holds nothing;
    ``not_a_choice``: no letter found in choice style; ``missing``: the record gave no answer."""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return False


def _finders(style: AnswerStyle) -> tuple[tuple[str, Callable[[str], str | None]], ...]:
    boxed: tuple[tuple[str, Callable[[str], str | None]], ...] = (("boxed", ex.last_boxed),)
    gsm: tuple[tuple[str, Callable[[str], str | None]], ...] = (
        ("####", ex.gsm8k_marker),
        ("answer is", ex.answer_phrase),
        ("Answer:", ex.answer_line),
    )
    return {"boxed": boxed, "gsm8k": gsm, "auto": boxed + gsm}.get(style, ())


def extract_answer(
    text: str, style: AnswerStyle = "auto", *, last_number_fallback: bool = False
) -> Answer | NoAnswer:
    r"""The final answer of a solution text, or a :class:`NoAnswer` saying why there is none.

    With ``last_number_fallback=True`` a text without any marker gives its last number.

    >>> extract_answer("16 - 3 - 4 = 9\n#### 9").key
    '9'
    >>> extract_answer("The answer is (b)", style="choice").key
    'B'
    >>> extract_answer(r"\boxed{}").reason
    'empty'
    """
    if style == "choice":
        letter = ex.choice_letter(text)
        if letter is None:
            return NoAnswer("not_a_choice", "no choice letter A-J found")
        return Answer(letter, letter)
    if style not in ("auto", "boxed", "gsm8k"):
        raise ValueError(f"unknown answer style {style!r}; expected auto, boxed, gsm8k or choice")
    for _name, finder in _finders(style):
        found = finder(text)
        if found is not None:
            if not str(found).strip():
                return NoAnswer("empty", "the answer marker holds no text")
            return Answer.of(str(found).strip())
    if last_number_fallback:
        num = ex.last_number(text)
        if num is not None:
            return Answer.of(num)
    where = r"\boxed{}" if style == "boxed" else r'\boxed{}, ####, "the answer is" or "Answer:"'
    if style == "gsm8k":
        where = '####, "the answer is" or "Answer:"'
    return NoAnswer("no_marker", f"no {where} found")


def as_answer(value: str | Answer | NoAnswer | None) -> Answer | NoAnswer:
    """A given answer string (already extracted) as an :class:`Answer`; ``None``/blank -> :class:`NoAnswer`.

    >>> as_answer("  "), as_answer("72").key
    (NoAnswer(reason='missing', detail='no answer given'), '72')
    """
    if isinstance(value, Answer | NoAnswer):
        return value
    if value is None or not str(value).strip():
        return NoAnswer("missing", "no answer given")
    return Answer.of(str(value).strip())


def compare_answers(
    gold: str | Answer, target: str | Answer, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Verdict:
    """``"equal"``, ``"different"``, ``"timeout"`` or ``"error"`` (see the module docstring).

    ``gold`` is the reference (or a vote group's first answer); math-verify is not
    symmetric in every case, so the order matters only for the math-verify step.

    >>> compare_answers("1/2", r"\\frac{1}{2}"), compare_answers("3", "4"), compare_answers("x+1", "1+x")
    ('equal', 'different', 'equal')
    """
    g = gold if isinstance(gold, Answer) else Answer.of(gold)
    t = target if isinstance(target, Answer) else Answer.of(target)
    if g.key == t.key:
        return "equal"
    if is_short_rational(g.key) and is_short_rational(t.key):
        return "different"
    if len(g.key) == 1 and len(t.key) == 1 and g.key.isalpha() and t.key.isalpha():
        return "different"
    return math_verify_equal(g.text, t.text, timeout_s=timeout_s)


def answers_equivalent(
    a: str | Answer, b: str | Answer, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> bool:
    """True only when :func:`compare_answers` says ``"equal"``.

    >>> answers_equivalent("50,625", "50625")
    True
    """
    return compare_answers(a, b, timeout_s=timeout_s) == "equal"


def _reference(reference: str | Answer) -> Answer | NoAnswer:
    if isinstance(reference, Answer):
        return reference
    if (
        "\\boxed" in reference
        or "####" in reference
        or "\nA:" in reference
        or reference.startswith("A:")
    ):
        return extract_answer(reference)
    return as_answer(reference)


def grade_answer(
    answer: str | Answer | NoAnswer | None,
    reference: str | Answer,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> bool:
    r"""Whether ``answer`` matches the reference answer. A missing answer is wrong.

    ``reference`` is a bare answer, or a reference solution holding ``\boxed{}``,
    ``#### x`` or a final ``A: x`` line (its answer is extracted).

    >>> grade_answer("18", "She makes 9 * 2 = 18 dollars.\n#### 18"), grade_answer(None, "18")
    (True, False)
    """
    ans = as_answer(answer) if not isinstance(answer, Answer | NoAnswer) else answer
    ref = _reference(reference)
    if isinstance(ans, NoAnswer) or isinstance(ref, NoAnswer):
        return False
    return answers_equivalent(ref, ans, timeout_s=timeout_s)


def group_answers(
    answers: Sequence[str | Answer | NoAnswer | None], *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> tuple[int, ...]:
    """Vote groups: one id per answer, numbered in first-seen order; -1 for a missing answer.

    An answer joins the first earlier group (in creation order) whose first answer is
    equivalent to it: same canonical key, else math-verify against that first answer.

    >>> group_answers(["5", "4", r"\\frac{8}{2}", "5"])
    (0, 1, 1, 0)
    """
    by_key: dict[str, int] = {}
    reps: list[Answer] = []
    rep_exact: list[bool] = []
    out: list[int] = []
    for value in answers:
        ans = as_answer(value)
        if isinstance(ans, NoAnswer):
            out.append(-1)
            continue
        gid = by_key.get(ans.key)
        if gid is None:
            exact = is_short_rational(ans.key)  # two exact numbers with different keys differ
            gid = next(
                (
                    g
                    for g, rep in enumerate(reps)
                    if not (exact and rep_exact[g])
                    and answers_equivalent(rep, ans, timeout_s=timeout_s)
                ),
                None,
            )
            if gid is None:
                gid = len(reps)
                reps.append(ans)
                rep_exact.append(exact)
            by_key[ans.key] = gid
        out.append(gid)
    return tuple(out)
