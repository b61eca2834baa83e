r"""Final answers: extraction and the :class:`Answer` / :class:`NoAnswer` values.

Extraction never raises: a text without an answer gives a :class:`NoAnswer` saying why.

>>> a = extract_answer(r"... so the area is $\boxed{\dfrac{1}{2}}$.")
>>> a.text, a.key
('\\dfrac{1}{2}', '1/2')
>>> extract_answer("I am not sure.")
NoAnswer(reason='no_marker', detail='no \\boxed{}, ####, "the answer is" or "Answer:" found')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prmkit.answers import _extract as ex
from prmkit.answers._canon import canonical_key

__all__ = ["Answer", "AnswerStyle", "NoAnswer", "as_answer", "extract_answer"]

AnswerStyle = Literal["auto", "boxed", "gsm8k", "choice", "stated"]
"""Where to look for the answer: ``boxed`` = last ``\\boxed{}`` (or ``\\fbox{}``, ``\\boxed 5``);
``gsm8k`` = ``#### x``, then "the answer is x", then an ``A: x`` / ``Answer: x`` line;
``choice`` = a letter A-J; ``auto`` = boxed, then the gsm8k markers.
``stated`` = ``auto`` with a looser phrase: the rest of the line after any "answer is" (with or
without "the"), ``$`` and a final period dropped. Step-structured solutions (labelling's sampled
solutions and rollouts) are read with it; its labelled datasets were graded by this rule."""


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


_Finders = tuple[Callable[[str], str | None], ...]
_FINDERS: dict[str, _Finders] = {
    "boxed": (ex.last_boxed,),
    "gsm8k": (ex.gsm8k_marker, ex.answer_phrase, ex.answer_line),
    "auto": (ex.last_boxed, ex.gsm8k_marker, ex.answer_phrase, ex.answer_line),
    "stated": (ex.last_boxed, ex.gsm8k_marker, ex.answer_is, ex.answer_line),
}


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
    >>> extract_answer("So our answer is 7 apples."), extract_answer("So our answer is 7 apples.", "stated").text
    (NoAnswer(reason='no_marker', detail='no \\boxed{}, ####, "the answer is" or "Answer:" found'), '7 apples')
    """
    if style == "choice":
        letter = ex.choice_letter(text)
        if letter is None:
            return NoAnswer("not_a_choice", "no choice letter A-J found")
        return Answer(letter, letter)
    finders = _FINDERS.get(style)
    if finders is None:
        raise ValueError(f"unknown answer style {style!r}; expected auto, boxed, gsm8k, choice or stated")
    for finder in finders:
        found = finder(text)
        if found is not None:
            if not str(found).strip():
                return NoAnswer("empty", "the answer marker holds no text")
            return Answer.of(str(found).strip())
    if last_number_fallback:
        num = ex.last_number(text)
        if num is not None:
            return Answer.of(num)
    where = {
        "boxed": r"\boxed{}",
        "gsm8k": '####, "the answer is" or "Answer:"',
        "stated": r'\boxed{}, ####, "answer is" or "Answer:"',
    }.get(style, r'\boxed{}, ####, "the answer is" or "Answer:"')
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
