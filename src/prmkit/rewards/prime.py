"""PRIME: implicit token rewards and the outcome reward, each with an RLOO baseline (Cui et al.,
arXiv 2502.01456; ``PRIME-RL/PRIME``, ``core_algos.compute_rloo_returns``).

An implicit PRM gives every response token a reward
``r_{i,t} = log pi_psi(y_t) - log pi_ref(y_t)`` (see
:mod:`prmkit.training.implicit`); the outcome reward ``v_i`` (1 solved, 0 not)
sits on the last token. For a group of ``n >= 2`` responses to one prompt,
each source gets a leave-one-out baseline, as the reference code computes it:

- outcome: ``v_i - mean_{j != i} v_j``;
- process: ``r_{i,t} * n / (n - 1) - sum_j m_j / (n - 1)``, with ``m_j`` the
  mean token reward of response j (this is ``r_{i,t} - mean_{j != i} m_j``
  only when ``r_i`` is constant over its tokens).

Token returns are reverse sums (gamma = 1) of both sources added; trainers
then whiten them over the batch. ``batch_norm`` first divides every process
reward by the largest absolute reverse sum in the batch (``prime_norm:
batch_norm``). The paper scales rewards by beta; the code does not, nor does
this.

Both baselined sources average to zero over the group:
:attr:`PrimeCredit.advantage_N` sums to 0.

>>> c = prime_credit([[0.5, 0.5], [0.0, 0.0, 0.0]], [1.0, 0.0])
>>> c.outcome_N.tolist(), c.process_T_N[0].tolist(), c.returns_T_N[0].tolist()
([1.0, -1.0], [0.5, 0.5], [2.0, 1.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from prmkit.rewards.credit import FloatArray, as_scores, reverse_cumsum

__all__ = ["PrimeCredit", "prime_credit"]


@dataclass(frozen=True)
class PrimeCredit:
    """RLOO-baselined rewards of one group of responses (``T``: tokens of a response, ``N``: responses)."""

    process_T_N: list[FloatArray]
    """The baselined implicit process reward of every token."""
    outcome_N: FloatArray
    """The baselined outcome reward of every response (on its last token)."""
    rewards_T_N: list[FloatArray]
    """Process and outcome rewards added, per token."""
    returns_T_N: list[FloatArray]
    """The return from every token: reverse sums of ``rewards_T_N``."""

    @property
    def advantage_N(self) -> FloatArray:
        """Per response, the outcome advantage plus the mean process advantage over its tokens."""
        return self.outcome_N + np.array([p.mean() for p in self.process_T_N])


def prime_credit(
    token_rewards_N: Sequence[Sequence[float] | FloatArray],
    outcomes_N: Sequence[float],
    *,
    batch_norm: bool = False,
) -> PrimeCredit:
    """PRIME's RLOO credit for one group of responses.

    >>> round(float(prime_credit([[1.0, -1.0], [0.5], [0.0]], [1, 0, 1]).advantage_N.sum()), 12)
    0.0
    """
    n = len(token_rewards_N)
    if n < 2 or len(outcomes_N) != n:
        raise ValueError(f"expected a group of >= 2 responses with one outcome each, got {n} and {len(outcomes_N)}")
    r = [as_scores(x, f"token_rewards_N[{i}]") for i, x in enumerate(token_rewards_N)]
    if batch_norm:
        scale = max(float(np.abs(reverse_cumsum(x)).max()) for x in r)
        r = [x / scale for x in r] if scale > 0 else r
    v = np.asarray(outcomes_N, dtype=np.float64)
    outcome = v - (v.sum() - v) / (n - 1)
    means = sum(float(x.mean()) for x in r)
    process = [x * n / (n - 1) - means / (n - 1) for x in r]
    rewards = []
    for p, o in zip(process, outcome, strict=True):
        t = p.copy()
        t[-1] += o
        rewards.append(t)
    return PrimeCredit(process, outcome, rewards, [reverse_cumsum(t) for t in rewards])
