"""PROF: keep the rollouts whose process agrees with their outcome (Ye et al., arXiv 2509.03403;
``amazon-science/PROF-GRPO``).

The PRM never enters the gradient: it only decides which of a prompt's ``n``
rollouts GRPO trains on. Consistency of rollout i with H_i steps, step scores
``s_{i,h}`` in [0, 1] and outcome ``o_i`` in {0, 1}:

``c_i = mean_h (2 s_{i,h} - 1)(2 o_i - 1) - length_penalty * [H_i < min_steps or H_i > max_steps]``

high for a correct rollout the PRM likes and for a wrong one it dislikes. To
keep ``keep`` of ``n`` (remove ``R = n - keep``) with ``n+`` correct and
``n-`` wrong rollouts: remove ``k+ = min(R, round((n+ - n- + R) / 2))``
correct ones with the lowest consistency and the other ``R - k+`` from the
wrong ones, also lowest first (the wrong ones the PRM rates highest); when
``k+ <= 0`` all ``R`` come from the wrong ones. ``round`` is Python's (half
to even), as in the reference code; removals are capped at the group sizes,
and ties go to the earlier rollout being kept.

Use it with outcome-reward GRPO when the PRM is good enough to tell sound
reasoning from lucky answers but should not be optimised against.

>>> keep = prof_keep([[0.9, 0.9], [0.2, 0.9], [0.9, 0.8], [0.1, 0.2]], [1, 1, 0, 0], keep=2)
>>> keep.tolist()
[0, 3]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from prmkit.rewards.credit import FloatArray, as_scores

__all__ = ["prof_consistency", "prof_keep"]


def prof_consistency(
    scores_N: Sequence[Sequence[float] | FloatArray],
    correct_N: Sequence[bool | int],
    *,
    length_penalty: float = 0.0,
    min_steps: int = 2,
    max_steps: int = 30,
) -> FloatArray:
    """Each rollout's process-outcome consistency, with the length penalty.

    >>> prof_consistency([[1.0, 0.5], [1.0]], [1, 0], length_penalty=10.0).tolist()
    [0.5, -11.0]
    """
    if len(scores_N) != len(correct_N):
        raise ValueError(f"scores_N has {len(scores_N)} rollouts but correct_N has {len(correct_N)}")
    out = np.empty(len(scores_N))
    for i, (scores, correct) in enumerate(zip(scores_N, correct_N, strict=True)):
        s = as_scores(scores, f"scores_N[{i}]")
        sign = 1.0 if correct else -1.0
        out[i] = float(np.mean((2 * s - 1) * sign))
        if s.size < min_steps or s.size > max_steps:
            out[i] -= length_penalty
    return out


def prof_keep(
    scores_N: Sequence[Sequence[float] | FloatArray],
    correct_N: Sequence[bool | int],
    keep: int,
    *,
    length_penalty: float = 0.0,
    min_steps: int = 2,
    max_steps: int = 30,
) -> npt.NDArray[np.int64]:
    """The indices (ascending) of the rollouts of one prompt that PROF keeps.

    >>> prof_keep([[0.9]] * 8, [1, 1, 1, 1, 1, 0, 0, 0], keep=4).tolist()
    [0, 1, 5, 6]
    """
    n = len(scores_N)
    if not 0 < keep <= n:
        raise ValueError(f"keep: expected 1..{n} (the group size), got {keep}")
    c = prof_consistency(
        scores_N, correct_N, length_penalty=length_penalty, min_steps=min_steps, max_steps=max_steps
    )
    ok = np.array([bool(x) for x in correct_N])
    pos, neg = np.flatnonzero(ok), np.flatnonzero(~ok)
    remove = n - keep
    k_pos = min(remove, round((pos.size - neg.size + remove) / 2))
    k_pos = min(max(k_pos, 0), pos.size)
    k_neg = min(remove - k_pos, neg.size)
    k_pos = min(remove - k_neg, pos.size)
    dropped = [*_lowest(pos, c, k_pos), *_lowest(neg, c, k_neg)]
    return np.setdiff1d(np.arange(n), np.array(dropped, dtype=np.int64)).astype(np.int64)


def _lowest(idx: npt.NDArray[np.int64], c: FloatArray, k: int) -> list[int]:
    """The ``k`` indices of ``idx`` with the lowest consistency; of equals, the later ones go first."""
    order = np.lexsort((-idx, c[idx]))
    return [int(i) for i in idx[order[:k]]]
