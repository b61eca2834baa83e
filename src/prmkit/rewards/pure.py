"""PURE's min-form credit (Cheng et al., arXiv 2504.15275; ``CJReinforce/PURE``).

The value of a partial solution is the *minimum* of its future step rewards,
not their sum, so extra steps cannot raise it and a single bad step caps it.

Step rewards: PURE's PRM reads ``r_k = P(pos) - P(neg)`` in [-1, 1]; for a
probability score ``p`` that is ``2p - 1`` (``scale="prob"``); ``scale="raw"``
uses the scores as given.

- ``temperature > 0`` (PURE's code, default T = 0.1): ``w = softmax(-r / T)``
  over the solution's steps, step reward ``w_k r_k``, return = reverse sum.
  The return from the first step tends to ``min_k r_k`` as T -> 0 (it lies in
  ``[min r, min r + T log K]``). The softmax is normalised once over the whole
  solution, so steps after the worst one get a return near 0, not the minimum
  of their own future.
- ``temperature == 0`` (the paper's form): ``G_k = min_{j >= k} r_j``, with
  step rewards ``G_k - G_{k+1}`` so that the reverse sum gives it back.

The outcome reward is added at the last step in both.

>>> c = min_credit([0.9, -0.2, 0.5], scale="raw")
>>> round(c.value, 4), c.returns.round(4).tolist()
(-0.1993, [-0.1993, -0.1994, 0.0005])
>>> min_credit([0.9, -0.2, 0.5], scale="raw", temperature=0).returns.round(6).tolist()
[-0.2, -0.2, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from prmkit.rewards.credit import FloatArray, StepCredit, as_scores

__all__ = ["Scale", "min_credit", "pure_step_rewards"]

Scale = Literal["prob", "raw"]
"""How scores become PURE's step rewards: ``prob`` maps a probability p to ``2p - 1``; ``raw`` keeps them."""


def pure_step_rewards(scores_S: Sequence[float] | FloatArray, scale: Scale = "prob") -> FloatArray:
    """PURE's step rewards ``P(pos) - P(neg)`` from step scores.

    >>> pure_step_rewards([1.0, 0.25]).tolist()
    [1.0, -0.5]
    """
    s = as_scores(scores_S)
    if scale == "prob":
        return 2.0 * s - 1.0
    if scale == "raw":
        return s
    raise ValueError(f"scale: expected 'prob' or 'raw', got {scale!r}")


def min_credit(
    scores_S: Sequence[float] | FloatArray,
    outcome: float = 0.0,
    *,
    temperature: float = 0.1,
    scale: Scale = "prob",
) -> StepCredit:
    """Min-form credit: the return from the first step is (close to) the worst step reward.

    >>> min_credit([1.0, 0.0, 1.0], temperature=0).returns.tolist()
    [-1.0, -1.0, 1.0]
    """
    if temperature < 0:
        raise ValueError(f"temperature: expected >= 0, got {temperature}")
    r = pure_step_rewards(scores_S, scale)
    if temperature == 0:
        future_min = np.minimum.accumulate(r[::-1])[::-1]
        return StepCredit.from_rewards(future_min - np.append(future_min[1:], 0.0), outcome)
    z = -r / temperature
    w = np.exp(z - z.max())
    return StepCredit.from_rewards(w / w.sum() * r, outcome)
