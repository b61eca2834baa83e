"""Selectors on arrays, batched over subsets of one problem's candidates.

Shapes (letters as in :mod:`prmkit.types`): ``N`` candidates of one problem,
``R`` subsets, ``G`` vote groups.

* ``groups_N``: vote group of each candidate (first-seen numbering), -1 = no answer;
* ``scores_N``: aggregated solution scores, ``nan`` = unscored;
* ``correct_N``: correctness (only the oracle reads it);
* ``mask_RN``: which candidates each subset holds; a subset keeps candidate order.

Every selector returns ``chosen_R``: the index of the chosen candidate, or -1
when the subset has no answer to choose (a vote over missing answers only).

**Tie rule** (every selector): among equal values the group (or candidate)
seen first wins — the one whose first member has the lowest candidate index
in the subset. Values are compared after rounding to 12 decimals, so sums
that differ only by floating-point summation order still tie.

Work per subset is O(N): per-group sums, maxima and first positions are one
``ufunc.reduceat`` over candidates sorted by group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from prmkit.errors import ConfigError

BoolA = npt.NDArray[np.bool_]
IntA = npt.NDArray[np.int64]
FloatA = npt.NDArray[np.float64]

_DECIMALS = 12


def _tie_round(values: FloatA) -> FloatA:
    return np.round(values, _DECIMALS)


@dataclass(frozen=True)
class Stats:
    """Per-subset, per-group counts and first positions, shared by every selector on the same subsets.

    Answered candidates are kept sorted by group (``order``); ``starts`` are the
    offsets of each group in that order, so per-group reductions are one
    ``ufunc.reduceat`` over the subsets' columns.
    """

    order: IntA
    starts: IntA
    mask_RM: BoolA  # mask_RN[:, order]
    counts_RG: FloatA
    first_RG: IntA  # lowest candidate index of group g in subset r (N if absent)
    present_RG: BoolA
    size_R: FloatA  # candidates in the subset, answered or not

    @classmethod
    def of(cls, groups_N: IntA, mask_RN: BoolA) -> Stats:
        n = groups_N.shape[0]
        answered = np.flatnonzero(groups_N >= 0)
        order = answered[np.argsort(groups_N[answered], kind="stable")]
        g_sorted = groups_N[order]
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]]) if order.size else order
        if not np.array_equal(g_sorted[starts], np.arange(starts.size)):
            raise ValueError("vote groups must be numbered 0..G-1 with no gaps")
        sub = mask_RN[:, order]
        size = mask_RN.sum(axis=1, dtype=np.float64)
        if not order.size:
            empty = np.zeros((mask_RN.shape[0], 0))
            return cls(order, starts, sub, empty, empty.astype(np.int64), empty > 0, size)
        counts = np.add.reduceat(sub.astype(np.float64), starts, axis=1)
        first = np.minimum.reduceat(np.where(sub, order[None, :], n), starts, axis=1)
        return cls(order, starts, sub, counts, first.astype(np.int64), counts > 0, size)

    def group_sum(self, values_N: FloatA) -> FloatA:
        """Per subset and group: the sum of ``values_N`` over the group's members in the subset."""
        if not self.order.size:
            return self.counts_RG.copy()
        vals = np.where(self.mask_RM, values_N[self.order][None, :], 0.0)
        return np.add.reduceat(vals, self.starts, axis=1)

    def group_max(self, values_N: FloatA) -> FloatA:
        """Per subset and group: the max of ``values_N`` over members in the subset (-inf if none)."""
        if not self.order.size:
            return self.counts_RG.copy()
        vals = np.where(self.mask_RM, values_N[self.order][None, :], -np.inf)
        return np.maximum.reduceat(vals, self.starts, axis=1)


def _first_seen_argmax(values_RG: FloatA, stats: Stats) -> IntA:
    """Winning group per subset (-1 if the subset has no answered candidate)."""
    if values_RG.shape[1] == 0:
        return np.full(values_RG.shape[0], -1, np.int64)
    vals = np.where(stats.present_RG, _tie_round(values_RG), -np.inf)
    best = vals.max(axis=1, keepdims=True)
    tied = stats.present_RG & (vals == best)
    key = np.where(tied, stats.first_RG, np.iinfo(np.int64).max)
    g = key.argmin(axis=1)
    return np.where(stats.present_RG.any(axis=1), g, -1).astype(np.int64)


def _representative(group_R: IntA, stats: Stats) -> IntA:
    """First candidate of the chosen group in each subset."""
    if stats.first_RG.shape[1] == 0:
        return np.full(group_R.shape[0], -1, np.int64)
    first = stats.first_RG[np.arange(group_R.shape[0]), np.maximum(group_R, 0)]
    return np.where(group_R >= 0, first, -1).astype(np.int64)


def best_of_n(groups_N: IntA, scores_N: FloatA, mask_RN: BoolA) -> IntA:
    """Highest score; unscored candidates rank below every scored one; ties -> lowest index."""
    scored = mask_RN & ~np.isnan(scores_N)[None, :]
    vals = np.where(scored, _tie_round(scores_N)[None, :], -np.inf)
    best = vals.max(axis=1, keepdims=True)
    tied = scored & (vals == best)
    pool = np.where(scored.any(axis=1, keepdims=True), tied, mask_RN)
    chosen = pool.argmax(axis=1)
    return np.where(mask_RN.any(axis=1), chosen, -1).astype(np.int64)


def majority(groups_N: IntA, mask_RN: BoolA, stats: Stats | None = None) -> IntA:
    """Most frequent answer group; missing answers do not vote."""
    st = stats or Stats.of(groups_N, mask_RN)
    return _representative(_first_seen_argmax(st.counts_RG, st), st)


def weighted(
    groups_N: IntA, scores_N: FloatA, mask_RN: BoolA, how: str, stats: Stats | None = None
) -> IntA:
    """PRM-weighted vote: per answer group the ``sum`` (or ``max``) of its solution scores."""
    st = stats or Stats.of(groups_N, mask_RN)
    scored = ~np.isnan(scores_N)
    if how == "sum":
        if np.any(scores_N[scored] < 0):
            raise ConfigError(
                f"weighted_sum needs non-negative solution scores, got {float(np.nanmin(scores_N))}; "
                "use a 'sigmoid:' aggregator for unbounded rewards, or weighted_max"
            )
        vals = st.group_sum(np.where(scored, scores_N, 0.0))
    else:
        vals = st.group_max(np.where(scored, scores_N, -np.inf))
    return _representative(_first_seen_argmax(vals, st), st)


def hmrv(
    groups_N: IntA, scores_N: FloatA, mask_RN: BoolA, threshold: float, stats: Stats | None = None
) -> IntA:
    """Majority when ``max_a count(a) / n >= threshold`` (n = subset size), else the reward vote.

    The reward vote is the PRM-weighted vote (largest sum of solution scores per
    answer). When no candidate has an answer, neither vote can choose, and the
    best-of-N candidate is returned.
    """
    st = stats or Stats.of(groups_N, mask_RN)
    top = st.counts_RG.max(axis=1, initial=0.0)
    confident = top / np.maximum(st.size_R, 1.0) >= threshold
    reward = weighted(groups_N, scores_N, mask_RN, "sum", st)
    reward = np.where(reward >= 0, reward, best_of_n(groups_N, scores_N, mask_RN))
    return np.where(confident, majority(groups_N, mask_RN, st), reward)


def wrfv(
    groups_N: IntA, scores_N: FloatA, mask_RN: BoolA, weight: float, stats: Stats | None = None
) -> IntA:
    """argmax_a of ``weight * R(a) + (1 - weight) * count(a) / n``.

    R(a) is the mean solution score of a's scored candidates, min-max normalised
    across the subset's answers: (R - min) / (max - min). When all answers have
    the same mean (or only one answer has scores) every scored answer gets
    R = 1. An answer none of whose candidates is scored gets R = 0.
    """
    st = stats or Stats.of(groups_N, mask_RN)
    scored = ~np.isnan(scores_N)
    n_scored = st.group_sum(scored.astype(np.float64))
    total = st.group_sum(np.where(scored, scores_N, 0.0))
    has = n_scored > 0
    mean = np.where(has, total / np.maximum(n_scored, 1.0), np.nan)
    lo = np.where(has, mean, np.inf).min(axis=1, keepdims=True, initial=np.inf)
    hi = np.where(has, mean, -np.inf).max(axis=1, keepdims=True, initial=-np.inf)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(span > 0, (mean - lo) / np.where(span > 0, span, 1.0), 1.0)
    r = np.where(has, norm, 0.0)
    freq = st.counts_RG / np.maximum(st.size_R, 1.0)[:, None]
    vals = weight * r + (1.0 - weight) * freq
    return _representative(_first_seen_argmax(vals, st), st)


def oracle(correct_N: BoolA, mask_RN: BoolA) -> IntA:
    """pass@n: the first correct candidate, else the subset's first candidate."""
    hit = mask_RN & correct_N[None, :]
    chosen = np.where(hit.any(axis=1), hit.argmax(axis=1), mask_RN.argmax(axis=1))
    return np.where(mask_RN.any(axis=1), chosen, -1).astype(np.int64)
