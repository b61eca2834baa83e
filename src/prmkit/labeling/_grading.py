"""Grading a rollout: does the final answer of a step-structured text match the gold answer?

The answer is read with :func:`prmkit.labeling.prompts.parse_solution` (text a
policy writes after its answer paragraph is ignored) and compared with
:func:`prmkit.evaluation.answers.grade_answer`, the grading Best-of-N uses.
"""

from __future__ import annotations

from collections.abc import Callable

from prmkit.labeling.prompts import parse_solution

__all__ = ["Grader", "grade_text", "grade_text_lenient"]

Grader = Callable[[str, str], bool]
"""``grader(solution_text, reference) -> correct``; must be a picklable module-level function for Ray."""


def grade_text(text: str, reference: str) -> bool:
    """True when the answer stated in ``text`` is equivalent to ``reference``; no answer is wrong.

    >>> grade_text("9 * 2 = 18.\\n\\nThe answer is: 18", "18"), grade_text("I give up.", "18")
    (True, False)
    >>> grade_text("The answer is: \\\\boxed{\\\\frac{1}{2}}", "0.5")
    True
    """
    from prmkit.evaluation.answers import grade_answer

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
    from prmkit.evaluation.answers import extract_answer, grade_answer

    answer = parse_solution(text).answer
    if answer is not None:
        return grade_answer(answer, reference)
    return grade_answer(extract_answer(text, "auto", last_number_fallback=True), reference)
