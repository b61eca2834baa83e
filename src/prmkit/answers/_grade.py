r"""Equivalence of final answers, grading against a reference, and vote groups.

Equivalence of two answers, in order:

1. equal canonical keys (see :func:`canonical_key`) -> equal;
2. two exact numbers with at most 6 decimals and different keys -> different;
   two different single letters (multiple choice) -> different;
3. otherwise math-verify decides, under a wall-clock limit per comparison
   (``timeout_s``, default 5 s); a timeout or an error counts as different.

>>> grade_answer(extract_answer(r"... so the area is $\boxed{\dfrac{1}{2}}$."), "0.5")
True
>>> group_answers(["4", "4.0", r"\frac{8}{2}", "5", "5", None])
(0, 0, 0, 1, 1, -1)
"""

from __future__ import annotations

from collections.abc import Sequence

from prmkit.answers._answer import Answer, NoAnswer, as_answer, extract_answer
from prmkit.answers._canon import is_short_rational
from prmkit.answers._verify import Verdict, math_verify_equal

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "answers_equivalent",
    "compare_answers",
    "grade_answer",
    "group_answers",
]

DEFAULT_TIMEOUT_S = 5.0
"""Default wall-clock limit of one math-verify comparison, in seconds (Qwen2.5-Math's grader uses 5 s)."""


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
