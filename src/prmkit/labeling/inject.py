"""Error injection: write one realistic error into a correct solution, so its first error is known.

Taxonomy (each a deterministic, seeded, rule-based edit of the numbers,
operators or unit words a step writes; the rest of the text is kept as is):

``arithmetic_slip``
    A computed result is written wrong (``48/2 = 24`` -> ``48/2 = 25``); nothing is propagated.
``misread_quantity``
    A number taken from the problem is replaced, by another of the problem's
    numbers of similar size where there is one, else by a near digit slip
    (46 or 84 for 48), and the step's result recomputed.
``wrong_operation``
    ``+`` <-> ``-`` or times <-> divide in a computation, result recomputed.
``dropped_condition``
    A term the problem states is left out of a sum or product, result recomputed.
``unjustified_leap``
    An intermediate step is deleted; the next step keeps using its result.
``wrong_unit``
    A wrong conversion factor (``/60`` -> ``/100`` for minutes) or the result
    labelled with the wrong unit (``0.2 per minute`` -> ``0.2 per hour``).

The label is the edited step's index (for a leap, the step that now uses the
unexplained quantity); in hard labels every later step is 0. The final
answer paragraph is never edited. An edit that does not apply returns None.

>>> from prmkit.types import Solution
>>> sol = Solution("Natalia sold clips to 48 of her friends in April, and then half as many in May. "
...                "How many altogether?", ("Natalia sold 48/2 = 24 clips in May.",
...                "Natalia sold 48+24 = 72 clips altogether.", "The answer is: 72"), id="g1")
>>> inj = inject_error(sol, "wrong_operation", seed=0)
>>> inj.solution.steps[inj.first_error], inj.labels
('Natalia sold 48*2 = 96 clips in May.', (0.0, 0.0, 0.0))
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from prmkit.labeling._inject_edits import EDITS, problem_numbers
from prmkit.labeling._types import LabelledSolution
from prmkit.steps import stated_answer
from prmkit.types import Solution, StepwiseExample, first_error_to_labels

__all__ = ["ERROR_TYPES", "ErrorType", "Injection", "gsm8k_solution", "inject_error", "inject_errors"]

ErrorType = Literal[
    "arithmetic_slip", "misread_quantity", "wrong_operation", "dropped_condition", "unjustified_leap", "wrong_unit"
]
ERROR_TYPES: tuple[ErrorType, ...] = get_args(ErrorType)


@dataclass(frozen=True)
class Injection:
    """A correct solution with one injected error whose position is known by construction."""

    solution: Solution
    """The edited solution (same id as the original, suffixed ``#<type>``)."""
    original: Solution
    error_type: ErrorType
    first_error: int
    """Index of the injected (first wrong) step in ``solution.steps``."""
    detail: str
    """What was changed, e.g. ``"result 24 -> 25"``."""

    @property
    def labels(self) -> tuple[float, ...]:
        """Hard labels: 1 before the injected step, 0 from it on."""
        return first_error_to_labels(self.first_error, self.solution.n_steps)

    def to_labelled(self) -> LabelledSolution:
        """The injection as a stepwise-supervision record (no rollouts spent)."""
        return LabelledSolution(
            example=StepwiseExample(self.solution.problem, self.solution.steps, self.labels, id=str(self.solution.id)),
            method="inject",
            first_error=self.first_error,
            rollouts=0,
            rollout_tokens=0,
            extra={"error_type": self.error_type, "detail": self.detail, "source": self.original.id},
        )


def inject_error(solution: Solution, error_type: ErrorType, *, seed: int = 0) -> Injection | None:
    """Inject one error of ``error_type`` into ``solution``, or None where none applies.

    The step is chosen at random (seeded by ``seed``, the solution id and the
    type) among the steps where the edit applies; the same arguments always
    give the same injection.
    """
    if error_type not in EDITS:
        raise ValueError(f"unknown error type {error_type!r}; expected one of {', '.join(ERROR_TYPES)}")
    steps = solution.steps
    last = len(steps) - 1 if steps and stated_answer(steps[-1]) is not None else len(steps)
    nums = problem_numbers(solution.problem)
    rng = random.Random(f"{seed}|{solution.id}|{error_type}")
    order = list(range(last))
    rng.shuffle(order)
    edit_fn = EDITS[error_type]
    for i in order:
        edit = edit_fn(steps, i, nums, rng)
        if edit is not None and edit.steps != steps:
            edited = Solution(solution.problem, edit.steps, id=f"{solution.id}#{error_type}")
            return Injection(edited, solution, error_type, edit.index, edit.detail)
    return None


def inject_errors(
    solutions: Iterable[Solution], types: Sequence[ErrorType] = ERROR_TYPES, *, seed: int = 0
) -> list[Injection]:
    """Every applicable (solution, type) injection, in input order then ``types`` order.

    >>> sol = Solution("Tom has 3 bags of 4 apples. How many apples?", ("3 * 4 = 12 apples.", "The answer is: 12"), id="t")
    >>> [i.error_type for i in inject_errors([sol])]
    ['arithmetic_slip', 'misread_quantity', 'wrong_operation']
    """
    out = []
    for sol in solutions:
        for t in types:
            inj = inject_error(sol, t, seed=seed)
            if inj is not None:
                out.append(inj)
    return out


_CALC = re.compile(r"<<[^>]*>>")
_A_LINE = re.compile(r"^\s*A:\s*")


def gsm8k_solution(question: str, answer_field: str, id: str | None = None) -> Solution:
    """A GSM8K-style solution (one step a line) as a step-structured :class:`Solution`.

    Calculator annotations ``<<48/2=24>>`` are removed, each line is a step and
    the final ``#### 72`` line (reference solutions) or ``A: 72`` line (the
    model solutions in GSM8K's ``example_model_solutions.jsonl``) becomes
    ``The answer is: 72``.

    >>> gsm8k_solution("q", "Natalia sold 48/2 = <<48/2=24>>24 clips.\\n#### 24").steps
    ('Natalia sold 48/2 = 24 clips.', 'The answer is: 24')
    >>> gsm8k_solution("q", "She makes 9 * 2 = $<<9*2=18>>18\\nA: 18").steps
    ('She makes 9 * 2 = $18', 'The answer is: 18')
    """
    if "####" in answer_field:
        body, _, final = answer_field.rpartition("####")
    else:
        lines = answer_field.rstrip().splitlines()
        if not lines or not _A_LINE.match(lines[-1]):
            raise ValueError("solution has neither a '####' line nor a final 'A:' line")
        body, final = "\n".join(lines[:-1]), _A_LINE.sub("", lines[-1])
    steps = [_CALC.sub("", line).strip() for line in body.splitlines()]
    steps = [s for s in steps if s]
    steps.append(f"The answer is: {final.strip().replace(',', '')}")
    return Solution(question, tuple(steps), id=id)
