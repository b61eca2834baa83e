"""Scripted labelling problems: solutions whose true per-prefix success probabilities are known."""

from __future__ import annotations

import random

from prmkit.labeling import LabelTask
from prmkit.types import Solution


def scripted_tasks(n: int, seed: int = 0, *, monotone: bool = True) -> tuple[list[LabelTask], dict]:
    """``n`` wrong and right solutions of 3-9 steps with a known first error.

    Prefixes before the first error succeed with probability 0.3-0.9; from the
    first error on, 0 (or, with ``monotone=False``, sometimes 0.3: a recoverable
    error, so per-step MC labels are not monotone).
    """
    rng = random.Random(seed)
    tasks, table = [], {}
    for j in range(n):
        n_steps = rng.randint(3, 9)
        problem = f"Problem number {j}: how many?"
        ref = str(rng.randint(10, 99))
        correct = rng.random() < 0.3
        first_error = -1 if correct else rng.randint(0, n_steps - 1)
        probs = []
        for t in range(n_steps + 2):  # t = steps in the prefix
            bad = first_error >= 0 and t > first_error
            if bad:
                probs.append(0.3 if (not monotone and rng.random() < 0.3) else 0.0)
            else:
                probs.append(rng.choice([0.3, 0.5, 0.7, 0.9]))
        table[problem] = (ref, probs)
        answer = ref if correct else str(int(ref) + 1)
        steps = (*(f"Step {i} of problem {j}." for i in range(n_steps - 1)), f"The answer is: {answer}")
        tasks.append(LabelTask(Solution(problem, steps, id=f"p{j}"), ref))
    return tasks, table
