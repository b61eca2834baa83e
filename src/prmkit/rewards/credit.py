"""What a credit rule returns, and the pieces every rule shares.

A credit rule turns the step scores of one solution (and its outcome reward)
into one reward per step and the return from each step: the sum of the
rewards from that step to the end (gamma = 1). The outcome reward is added to
the last step's reward, where RL trainers put it (the EOS token).

>>> c = StepCredit.from_rewards([0.5, -0.25, 1.0])
>>> c.returns.tolist(), c.value
([1.25, 0.75, 1.0], 1.25)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["CreditRule", "FloatArray", "StepCredit", "as_scores", "reverse_cumsum"]

FloatArray = npt.NDArray[np.float64]
"""A float64 numpy array; ``_S`` names one value per step, ``_T`` one per token."""


def as_scores(scores: Sequence[float] | FloatArray, name: str = "scores") -> FloatArray:
    """``scores`` as a 1-d float64 array; empty, non-finite or not 1-d is a ``ValueError`` naming ``name``.

    >>> as_scores((0.5, 1)).tolist()
    [0.5, 1.0]
    """
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-d sequence of floats, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite floats, got {arr.tolist()}")
    return arr


def reverse_cumsum(rewards: FloatArray) -> FloatArray:
    """The return from every position: ``out[k] = sum(rewards[k:])``.

    >>> reverse_cumsum(np.array([1.0, 2.0, 3.0])).tolist()
    [6.0, 5.0, 3.0]
    """
    return np.cumsum(rewards[::-1])[::-1].copy()


@dataclass(frozen=True)
class StepCredit:
    """The per-step rewards of one solution and the return from each step (one value per step each).

    >>> StepCredit.from_rewards([0.0, 1.0], outcome=2.0).rewards.tolist()
    [0.0, 3.0]
    """

    rewards: FloatArray
    """The reward of each step, the outcome reward included in the last one."""
    returns: FloatArray
    """The return from each step: ``returns[k] = rewards[k:].sum()``."""

    @classmethod
    def from_rewards(cls, rewards_S: Sequence[float] | FloatArray, outcome: float = 0.0) -> StepCredit:
        """Credit from per-step rewards, with ``outcome`` added to the last step's reward."""
        r = np.array(rewards_S, dtype=np.float64)
        r[-1] += outcome
        return cls(r, reverse_cumsum(r))

    @property
    def value(self) -> float:
        """The return from the first step: the scalar reward of the whole solution."""
        return float(self.returns[0])


class CreditRule(Protocol):
    """A rule of :data:`prmkit.rewards.CREDIT`: step scores and the outcome reward -> :class:`StepCredit`.

    Rule-specific options are keyword-only arguments with defaults.
    """

    def __call__(self, scores_S: Sequence[float] | FloatArray, outcome: float = 0.0) -> StepCredit: ...
