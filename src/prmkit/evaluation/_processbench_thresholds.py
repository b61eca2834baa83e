"""Thresholds for scalar PRMs on ProcessBench: F1 at many thresholds at once, fitting, sweeping.

A case is predicted right on an interval of thresholds, which makes every
candidate threshold cost a binary search instead of a pass over the data:

- a correct case (label -1) is right iff no step scores below tau, i.e.
  ``tau <= min(scores)``;
- an erroneous case with label L is right iff step L scores below tau and no
  earlier step does, i.e. ``scores[L] < tau <= min(scores[:L])``.

Failed cases (``None`` scores) are never right. A NaN score is never below a
threshold, exactly as in :func:`predict_first_error`.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from prmkit.evaluation._processbench_metrics import SplitMetrics, harmonic_f1

__all__ = ["candidate_thresholds", "fit_threshold", "metrics_at_thresholds"]

Scores = Sequence[float] | None


def candidate_thresholds(scores_C_S: Iterable[Scores], grid: Iterable[float] = ()) -> list[float]:
    """Midpoints between consecutive distinct step scores, plus ``grid``; sorted, distinct.

    Every achievable set of predictions is reached by one of the midpoints.

    >>> candidate_thresholds([[0.9, 0.3], [0.3, 0.5]], grid=[0.5])
    [0.4, 0.5, 0.7]
    """
    distinct = sorted(
        {_clean(s) for scores in scores_C_S if scores is not None for s in scores} - {math.inf}
    )
    mids = {(a + b) / 2 for a, b in itertools.pairwise(distinct)}
    return sorted(mids | {float(t) for t in grid})


def metrics_at_thresholds(
    labels: Sequence[int], scores_C_S: Sequence[Scores], thresholds: Sequence[float]
) -> list[SplitMetrics]:
    """:class:`SplitMetrics` at each threshold, in O((cases + thresholds) log cases).

    >>> [round(m.f1, 3) for m in metrics_at_thresholds([1, -1], [[0.9, 0.3], [0.8, 0.6]], [0.5, 0.7])]
    [1.0, 0.0]
    """
    mins_correct: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    n_error = n_correct = n_failed = 0
    for label, scores in zip(labels, scores_C_S, strict=True):
        n_failed += scores is None
        if label == -1:
            n_correct += 1
            if scores is not None:
                mins_correct.append(min((_clean(s) for s in scores), default=math.inf))
            continue
        n_error += 1
        if scores is None:
            continue
        low = _clean(scores[label])
        high = min((_clean(s) for s in scores[:label]), default=math.inf)
        if low < high:
            lows.append(low)
            highs.append(high)
    mins_correct.sort()
    lows.sort()
    highs.sort()
    out = []
    for tau in thresholds:
        hit_correct = len(mins_correct) - bisect_left(mins_correct, tau)
        hit_error = bisect_left(lows, tau) - bisect_left(highs, tau)
        err = hit_error / n_error if n_error else 0.0
        cor = hit_correct / n_correct if n_correct else 0.0
        out.append(
            SplitMetrics(len(labels), n_error, n_correct, n_failed, err, cor, harmonic_f1(err, cor))
        )
    return out


def fit_threshold(
    labels: Sequence[int],
    scores_C_S: Sequence[Scores],
    grid: Iterable[float] = (),
    default: float = 0.5,
) -> tuple[float, SplitMetrics]:
    """The candidate threshold with the highest F1 (ties: the smallest); ``default`` if there is none.

    This is the paper's protocol when fitted on GSM8K and applied to the other splits.

    >>> tau, m = fit_threshold([1, -1, 0], [[0.9, 0.2], [0.7, 0.6], [0.4, 0.9]])
    >>> tau, m.f1
    (0.5, 1.0)
    """
    candidates = candidate_thresholds(scores_C_S, grid) or [default]
    metrics = metrics_at_thresholds(labels, scores_C_S, candidates)
    best = max(range(len(candidates)), key=lambda i: (metrics[i].f1, -candidates[i]))
    return candidates[best], metrics[best]


def _clean(s: float) -> float:
    return math.inf if math.isnan(s) else float(s)
