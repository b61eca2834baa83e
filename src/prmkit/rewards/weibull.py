"""Weibull length shaping, after PSPO-WRS (Li et al., arXiv 2411.11681). Follows a partial card.

PSPO-WRS makes the reward of a reasoning chain a nonlinear function of its
step accuracy and its number of steps, shaped by an adjusted Weibull
distribution so that chains much shorter or longer than usual are penalised.
The paper's formula and parameters could not be checked; what is here is a
stand-in of that shape, not the paper's method:

``R = mean_k(s_k) * f(K)``, ``f(K) = W(K; shape, scale) / max_x W(x; shape, scale)``

with ``W`` the Weibull density, so ``f`` peaks at 1 at the mode
``scale * ((shape - 1) / shape) ** (1 / shape)``. ``R`` plus the outcome
reward is placed on the last step (every step's return is the solution's
reward).

>>> [round(weibull_length_factor(k, shape=2.0, scale=7.0), 3) for k in (1, 5, 12, 30)]
[0.326, 1.0, 0.212, 0.0]
>>> weibull_credit([1.0, 1.0, 0.5], shape=2.0, scale=4.0).returns.round(4).tolist()
[0.8303, 0.8303, 0.8303]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from prmkit.rewards.credit import FloatArray, StepCredit, as_scores

__all__ = ["weibull_credit", "weibull_length_factor"]


def weibull_length_factor(n_steps: int, *, shape: float = 2.0, scale: float = 8.0) -> float:
    """The Weibull density at ``n_steps``, divided by its maximum (shape > 1, so the mode is inside).

    >>> weibull_length_factor(1, shape=2.0, scale=math.sqrt(2))
    1.0
    """
    if shape <= 1 or scale <= 0:
        raise ValueError(f"shape must be > 1 and scale > 0, got shape={shape}, scale={scale}")
    mode = scale * ((shape - 1) / shape) ** (1 / shape)

    def log_density(x: float) -> float:
        return (shape - 1) * math.log(x / scale) - (x / scale) ** shape

    return math.exp(log_density(n_steps) - log_density(mode))


def weibull_credit(
    scores_S: Sequence[float] | FloatArray,
    outcome: float = 0.0,
    *,
    shape: float = 2.0,
    scale: float = 8.0,
) -> StepCredit:
    """Mean step score times the length factor, placed on the last step with the outcome reward.

    >>> weibull_credit([1.0], outcome=1.0, shape=2.0, scale=math.sqrt(2)).value
    2.0
    """
    s = as_scores(scores_S)
    rewards = np.zeros_like(s)
    rewards[-1] = s.mean() * weibull_length_factor(s.size, shape=shape, scale=scale)
    return StepCredit.from_rewards(rewards, outcome)
