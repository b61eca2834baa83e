"""Clip and Delta (Gao et al., "On Designing Effective RL Reward at Training Time", arXiv 2410.15115).

Both bound the cumulative process reward, so writing more correct steps earns
nothing; the outcome (success) reward is added at the last step on top.

- Clip: ``r~_k = min(r_k - eta, 0)``. Steps above the threshold get 0, steps
  below it a penalty; an extra step can only lower the return.
- Delta: ``r~_k = r_k - r_{k+1}`` for k < K, so the return telescopes to
  ``r_k - r_K`` (``last="zero"``, the last step's process reward dropped, as
  the paper's overview figure draws it) or to ``r_k`` (``last="keep"``, the
  other common reading). It is the negative of a potential difference
  (:mod:`prmkit.rewards.shaping`).
- Clip-Delta: Clip, then Delta.

The paper body was not available when this was written: the threshold
``eta`` (default 0.5, for probability scores) and the last-step convention are
choices here, not the paper's stated values.

>>> clip_credit([0.9, 0.3, 0.8]).rewards.round(6).tolist()
[0.0, -0.2, 0.0]
>>> delta_credit([0.9, 0.3, 0.8]).returns.round(6).tolist()
[0.1, -0.5, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from prmkit.rewards.credit import FloatArray, StepCredit, as_scores

__all__ = ["LastStep", "clip_credit", "clip_delta_credit", "clip_rewards", "delta_credit", "delta_rewards"]

LastStep = Literal["zero", "keep"]
"""Delta's last step: ``zero`` drops its process reward, ``keep`` keeps ``r_K``."""


def clip_rewards(scores_S: Sequence[float] | FloatArray, eta: float = 0.5) -> FloatArray:
    """``min(r_k - eta, 0)`` for every step.

    >>> clip_rewards([1.0, 0.25]).tolist()
    [0.0, -0.25]
    """
    return np.minimum(as_scores(scores_S) - eta, 0.0)


def delta_rewards(scores_S: Sequence[float] | FloatArray, last: LastStep = "zero") -> FloatArray:
    """``r_k - r_{k+1}``, and the last step per ``last``.

    >>> delta_rewards([0.5, 1.0, 0.75], last="keep").tolist()
    [-0.5, 0.25, 0.75]
    """
    r = as_scores(scores_S)
    if last not in ("zero", "keep"):
        raise ValueError(f"last: expected 'zero' or 'keep', got {last!r}")
    return r - np.append(r[1:], 0.0 if last == "keep" else r[-1])


def clip_credit(scores_S: Sequence[float] | FloatArray, outcome: float = 0.0, *, eta: float = 0.5) -> StepCredit:
    """Clip credit: every step reward is at most 0.

    >>> clip_credit([1.0, 1.0, 1.0], outcome=1.0).value
    1.0
    """
    return StepCredit.from_rewards(clip_rewards(scores_S, eta), outcome)


def delta_credit(
    scores_S: Sequence[float] | FloatArray, outcome: float = 0.0, *, last: LastStep = "zero"
) -> StepCredit:
    """Delta credit: the return from step k is ``r_k - r_K`` (or ``r_k``) plus the outcome.

    >>> delta_credit([0.2, 0.9, 0.6], last="keep").returns.round(6).tolist()
    [0.2, 0.9, 0.6]
    """
    return StepCredit.from_rewards(delta_rewards(scores_S, last), outcome)


def clip_delta_credit(
    scores_S: Sequence[float] | FloatArray,
    outcome: float = 0.0,
    *,
    eta: float = 0.5,
    last: LastStep = "zero",
) -> StepCredit:
    """Clip, then Delta.

    >>> clip_delta_credit([0.9, 0.3, 0.8]).rewards.round(6).tolist()
    [0.2, -0.2, 0.0]
    """
    return StepCredit.from_rewards(delta_rewards(clip_rewards(scores_S, eta), last), outcome)
