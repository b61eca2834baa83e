"""Random subsets of candidates and percentile-bootstrap intervals over problems."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

__all__ = ["bootstrap_ci", "bootstrap_index", "default_ns", "subset_masks"]


def default_ns(n_max: int) -> tuple[int, ...]:
    """1, 2, 4, ... up to ``n_max``, plus ``n_max`` itself when it is not a power of two.

    >>> default_ns(8), default_ns(6)
    ((1, 2, 4, 8), (1, 2, 4, 6))
    """
    out = []
    n = 1
    while n <= n_max:
        out.append(n)
        n *= 2
    if n_max >= 1 and out[-1] != n_max:
        out.append(n_max)
    return tuple(out)


def subset_masks(n_total: int, n: int, n_subsets: int, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Subsets of size ``n`` out of ``n_total`` candidates, as a boolean matrix (subsets x candidates).

    When there are at most ``n_subsets`` distinct subsets, all of them are
    returned (an exact average); otherwise ``n_subsets`` are drawn uniformly
    (each without replacement within the subset). Candidates keep their order.

    >>> subset_masks(3, 2, 100, np.random.default_rng(0)).astype(int).tolist()
    [[1, 1, 0], [1, 0, 1], [0, 1, 1]]
    """
    if not 1 <= n <= n_total:
        raise ValueError(f"subset size {n} outside [1, {n_total}]")
    if math.comb(n_total, n) <= n_subsets:
        combos = list(itertools.combinations(range(n_total), n))
        mask = np.zeros((len(combos), n_total), bool)
        rows = np.repeat(np.arange(len(combos)), n)
        mask[rows, np.asarray(combos).reshape(-1)] = True
        return mask
    picks = rng.random((n_subsets, n_total)).argsort(axis=1)[:, :n]
    mask = np.zeros((n_subsets, n_total), bool)
    np.put_along_axis(mask, picks, True, axis=1)
    return mask


def bootstrap_index(n_problems: int, n_bootstrap: int, seed: int) -> npt.NDArray[np.int64]:
    """Problem indices of ``n_bootstrap`` resamples (with replacement), shared by every row."""
    rng = np.random.default_rng([seed, 0xB007])
    return rng.integers(0, n_problems, size=(n_bootstrap, n_problems), dtype=np.int64)


def bootstrap_ci(
    per_problem: npt.NDArray[np.float64], index: npt.NDArray[np.int64], confidence: float
) -> tuple[float, float]:
    """Percentile interval of the mean over problems (linear interpolation between order statistics).

    >>> idx = bootstrap_index(4, 1000, 0)
    >>> lo, hi = bootstrap_ci(np.array([1.0, 1.0, 0.0, 0.0]), idx, 0.95)
    >>> lo < 0.5 < hi
    True
    """
    if index.shape[0] == 0:
        m = float(per_problem.mean())
        return m, m
    means = per_problem[index].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return float(lo), float(hi)
