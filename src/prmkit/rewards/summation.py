"""Summation-form credit, the baseline: a step's reward is its score, and the return sums the future.

Return at step k: ``G_k = sum_{j >= k} r_j + v``. Every step with a positive
score raises the return, so a policy trained on it learns to write more
correct but useless steps (the reward hacking PURE and Gao et al. report);
use it as the reference the other rules are compared with.

>>> sum_credit([0.9, 0.2, 0.5]).returns.round(6).tolist()
[1.6, 0.7, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence

from prmkit.rewards.credit import FloatArray, StepCredit, as_scores

__all__ = ["sum_credit"]


def sum_credit(scores_S: Sequence[float] | FloatArray, outcome: float = 0.0) -> StepCredit:
    """Each step's reward is its score; the outcome reward is added at the last step.

    >>> sum_credit([1.0, 1.0], outcome=1.0).value
    3.0
    """
    return StepCredit.from_rewards(as_scores(scores_S), outcome)
