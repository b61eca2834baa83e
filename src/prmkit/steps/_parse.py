r"""Steps of a solution text: split on blank lines, join with one, and read the stated answer.

>>> p = parse_solution("Half of 48 is 24.\n\n48 + 24 = 72.\n\nThe answer is: 72")
>>> p.steps, p.answer
(('Half of 48 is 24.', '48 + 24 = 72.', 'The answer is: 72'), '72')
>>> split_steps(join_steps(p.steps)) == p.steps
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prmkit.answers import Answer, extract_answer

__all__ = [
    "STEP_SEPARATOR",
    "ParsedSolution",
    "gsm8k_reference",
    "join_steps",
    "parse_solution",
    "split_steps",
    "stated_answer",
]

STEP_SEPARATOR = "\n\n"
"""Steps are paragraphs: joined by, and split on, a blank line."""

_BLANK_LINE = re.compile(r"\n[ \t]*\n+")


def split_steps(text: str) -> tuple[str, ...]:
    r"""Paragraphs of ``text`` (split on lines that are empty or hold only spaces and tabs), stripped,
    empty ones dropped. Lines inside a paragraph stay together.

    >>> split_steps("a\n\n\n b \n \nc\nd\n\n")
    ('a', 'b', 'c\nd')
    """
    return tuple(p.strip() for p in _BLANK_LINE.split(text.strip()) if p.strip())


def join_steps(steps: Sequence[str]) -> str:
    """The text of a step-structured solution: steps joined by a blank line.

    >>> join_steps([" a ", "b"])
    'a\\n\\nb'
    """
    return STEP_SEPARATOR.join(s.strip() for s in steps)


def stated_answer(text: str) -> str | None:
    r"""The answer a step-structured text states (:func:`~prmkit.answers.extract_answer`, style
    ``stated``), or None when it states none. An empty marker (``\boxed{}``, a bare ``**Final answer:**``
    heading) states none.

    >>> stated_answer("So 8 left.\n\nThe answer is: 8."), stated_answer(r"\boxed{}"), stated_answer("72 apples")
    ('8', None, None)
    """
    found = extract_answer(text, "stated")
    return found.text if isinstance(found, Answer) else None


@dataclass(frozen=True)
class ParsedSolution:
    """A policy's output cut into steps; ``answer`` is None when no final answer was stated."""

    steps: tuple[str, ...]
    answer: str | None


def parse_solution(text: str) -> ParsedSolution:
    r"""Cut a step-structured solution into steps and read its final answer (:func:`stated_answer`).

    Text after the paragraph that states the answer (a policy that keeps
    talking) is dropped, so the answer paragraph is always the last step.

    >>> parse_solution("a\n\nThe answer is: 3\n\nProblem: next").steps
    ('a', 'The answer is: 3')
    >>> parse_solution(r"so $\fbox{7}$").answer, parse_solution("no answer here").answer
    ('7', None)
    """
    steps = split_steps(text)
    for i, s in enumerate(steps):
        if stated_answer(s) is not None:
            steps = steps[: i + 1]
            break
    return ParsedSolution(steps, stated_answer(join_steps(steps)))


def gsm8k_reference(answer_field: str) -> str:
    """The gold answer of a GSM8K record: what follows ``####``, commas removed.

    >>> gsm8k_reference("48/2 = <<48/2=24>>24 clips.\\n#### 1,072")
    '1072'
    """
    if "####" not in answer_field:
        raise ValueError("GSM8K answer has no '####' line")
    return answer_field.rsplit("####", 1)[1].strip().replace(",", "")
