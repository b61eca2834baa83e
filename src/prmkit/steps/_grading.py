"""Grading a solution text: does the final answer it states match the reference answer?

The answer is read with :func:`~prmkit.steps.parse_solution` (text a policy
writes after its answer paragraph is ignored) and compared with
:func:`prmkit.answers.grade_answer`, the grading Best-of-N uses.
"""

from __future__ import annotations

from collections.abc import Callable

from prmkit._registry import Registry
from prmkit.answers import extract_answer, grade_answer
from prmkit.steps._parse import parse_solution

__all__ = ["GRADERS", "Grader", "grade_text", "grade_text_lenient", "grader_name"]

Grader = Callable[[str, str], bool]
"""``grader(solution_text, reference) -> correct``; must be a picklable module-level function for Ray."""


def grade_text(text: str, reference: str) -> bool:
    """True when the answer stated in ``text`` is equivalent to ``reference``; no answer is wrong.

    >>> grade_text("9 * 2 = 18.\\n\\nThe answer is: 18", "18"), grade_text("I give up.", "18")
    (True, False)
    >>> grade_text("The answer is: \\\\boxed{\\\\frac{1}{2}}", "0.5")
    True
    """
    answer = parse_solution(text).answer
    if answer is None:
        return False
    return grade_answer(answer, reference)


def grade_text_lenient(text: str, reference: str) -> bool:
    """Like :func:`grade_text`, but a text that states no answer is graded on its last number.

    (The method cards count a completion without an answer as wrong; this
    variant is for weak policies that often drop the answer line.)

    >>> grade_text_lenient("So she earned 0.2 x 50 = $10.", "10"), grade_text("So she earned 0.2 x 50 = $10.", "10")
    (True, False)
    """
    answer = parse_solution(text).answer
    if answer is not None:
        return grade_answer(answer, reference)
    return grade_answer(extract_answer(text, "auto", last_number_fallback=True), reference)


# The built-in graders keep the name they were first recorded under (their module then), so that a
# labelling job made before they moved, and the datasets exported from one, still match and resume.
_RECORDED_AS: tuple[tuple[Grader, str], ...] = (
    (grade_text, "prmkit.labeling._grading.grade_text"),
    (grade_text_lenient, "prmkit.labeling._grading.grade_text_lenient"),
)


def grader_name(grader: Grader) -> str:
    """The name a labelling job records for its grader in ``job.json``: ``module.qualname``, except
    that the built-in graders keep the name they were first recorded under.

    >>> grader_name(grade_text), grader_name(len)
    ('prmkit.labeling._grading.grade_text', 'builtins.len')
    """
    for known, name in _RECORDED_AS:
        if grader is known:
            return name
    return f"{getattr(grader, '__module__', '?')}.{getattr(grader, '__qualname__', repr(grader))}"


GRADERS: Registry[Grader] = Registry("grader")
"""Solution graders ``grader(solution_text, reference) -> correct`` by name (module-level functions, so Ray can
pickle them): ``strict`` counts a text that states no answer as wrong, ``lenient`` grades it on its last number."""
GRADERS.register("strict", "prmkit.steps:grade_text")
GRADERS.register("lenient", "prmkit.steps:grade_text_lenient")
