"""Potential-based reward shaping with a PRM (Ng, Harada & Russell, ICML 1999).

The PRM's score of a prefix is its potential: ``Phi(h_k) = s_k`` after step k,
``Phi(h_0) = initial`` before the first step. Step k earns
``F_k = Phi(h_k) - Phi(h_{k-1})`` (gamma = 1) and the outcome reward is added
at the end. The shaped return from step k telescopes to
``v + Phi(h_K) - Phi(h_{k-1})``.

With the terminal potential fixed (``terminal=0.0``, the default:
``Phi(h_K)`` is replaced by it), the return of a whole solution is its outcome
reward minus the constant ``Phi(h_0)``: full solutions rank as the outcome
ranks them, the optimal policy is unchanged, and padding with steps that leave
the potential unchanged earns exactly 0. ``terminal=None`` keeps the PRM's
score of the full solution as its potential, which adds ``s_K`` to every
return: no longer policy-invariant, but a dense signal when there is no outcome.

Invariance also needs the RL discount to be 1 (as here) and a potential that
is not trained on the policy's own samples while it is used.

>>> potential_credit([0.6, 0.3, 0.9], initial=0.4, terminal=None).rewards.round(6).tolist()
[0.2, -0.3, 0.6]
>>> potential_credit([0.6, 0.3, 0.9], outcome=1.0, initial=0.4).returns.round(6).tolist()
[0.6, 0.4, 0.7]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from prmkit.rewards.credit import FloatArray, StepCredit, as_scores

__all__ = ["potential_credit"]


def potential_credit(
    scores_S: Sequence[float] | FloatArray,
    outcome: float = 0.0,
    *,
    initial: float = 0.0,
    terminal: float | None = 0.0,
) -> StepCredit:
    """Shaped step rewards ``Phi(h_k) - Phi(h_{k-1})`` with the outcome reward at the end.

    >>> potential_credit([0.5, 0.5, 0.5], outcome=1.0).value
    1.0
    """
    phi = np.concatenate(([initial], as_scores(scores_S)))
    if terminal is not None:
        phi[-1] = terminal
    return StepCredit.from_rewards(np.diff(phi), outcome)
