"""Calibration of step scores: expected calibration error, Brier score, reliability-diagram bins.

A prediction is a step score in [0, 1] read as the probability that the step
is good; its target is the step's label (0 or 1) or its Monte Carlo value
(the fraction of ``k`` rollouts from the prefix that reached the right answer,
method card B5). Every step counts once.

* **Brier score**: mean of ``(score - target) ** 2``. Lower is better; 0.25 is
  what a constant 0.5 scores against 0/1 targets.
* **ECE**: ``sum over bins b of (n_b / n) * |mean target_b - mean score_b|``,
  so each bin is weighted by its share of the predictions and empty bins add
  nothing. ``bins`` defaults to 10 (ThinkPRM's script). Two binnings:

  - ``"width"`` (equal width): bin ``b`` holds scores in ``[b/B, (b+1)/B)``,
    the last bin also 1.0 — the standard definition;
  - ``"mass"`` (equal mass): about ``n/B`` predictions per bin, bin ``i``
    ending at the ``round((i + 1) * n / B)``-th smallest score; scores tied
    with that one join it, so a model with few distinct scores (a 0/1
    verifier) gets fewer, larger bins.

>>> scores, targets = [0.1, 0.4, 0.8, 0.9], [0.0, 1.0, 1.0, 1.0]
>>> round(brier(scores, targets), 4)
0.105
>>> round(ece(scores, targets), 4)  # bins 0.1, 0.4, 0.8, 0.9: (0.1 + 0.6 + 0.2 + 0.1) / 4
0.25
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_BINS",
    "Binning",
    "CalibrationMetrics",
    "ReliabilityBin",
    "bin_index",
    "brier",
    "calibration_metrics",
    "ece",
    "reliability",
]

DEFAULT_BINS = 10
"""Bins of the ECE and the reliability diagram (ThinkPRM's ``evaluate_verifier_calibration.py`` uses 10)."""

Binning = Literal["width", "mass"]
"""``width``: equal-width bins on [0, 1]; ``mass``: bins of about equally many predictions."""


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability diagram."""

    low: float
    """Smallest score in the bin."""
    high: float
    """Largest score in the bin."""
    mean_score: float
    """Mean predicted score (the confidence of the bin)."""
    observed: float
    """Mean target: the observed rate of good steps (or mean Monte Carlo value)."""
    count: int
    """Predictions in the bin."""


@dataclass(frozen=True)
class CalibrationMetrics:
    """Calibration of one set of predictions against its targets."""

    n: int
    """Predictions (steps) counted."""
    brier: float
    ece: float
    """ECE with equal-width bins."""
    ece_mass: float
    """ECE with equal-mass bins."""
    mean_score: float
    mean_target: float
    bins: int
    """Bins of both ECEs."""

    def to_json(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def _arrays(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    if s.shape != t.shape:
        raise ValueError(f"{s.size} scores for {t.size} targets")
    if not s.size:
        raise ValueError("no predictions")
    for name, a in (("score", s), ("target", t)):
        bad = ~((a >= 0.0) & (a <= 1.0))  # NaN is bad too
        if bad.any():
            raise ValueError(f"{name} {float(a[bad][0])!r} at position {int(np.argmax(bad))} is not in [0, 1]")
    return s, t


def bin_index(scores: Sequence[float] | npt.ArrayLike, bins: int = DEFAULT_BINS,
              binning: Binning = "width") -> npt.NDArray[np.int64]:
    """The bin of every score (``0 .. bins - 1``; with ``mass`` some bins may stay empty).

    >>> bin_index([0.0, 0.05, 0.1, 0.95, 1.0]).tolist()
    [0, 0, 1, 9, 9]
    >>> bin_index([0.2, 0.2, 0.2, 0.9], bins=2, binning="mass").tolist()
    [0, 0, 0, 1]
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if binning == "width":
        return np.minimum(np.floor(s * bins), bins - 1).astype(np.int64)
    if binning == "mass":
        ordered = np.sort(s)
        # bin b ends at the (round((b + 1) * n / B))-th smallest score; scores tied with it stay in bin b
        cuts = ordered[[min(max(round(i * s.size / bins) - 1, 0), s.size - 1) for i in range(1, bins)]]
        return np.searchsorted(cuts, s, side="left").astype(np.int64)
    raise ValueError(f"binning must be 'width' or 'mass', got {binning!r}")


def reliability(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
                bins: int = DEFAULT_BINS, binning: Binning = "width") -> list[ReliabilityBin]:
    """The non-empty bins of a reliability diagram, in score order.

    >>> [(b.mean_score, b.observed, b.count) for b in reliability([0.1, 0.2, 0.9], [0, 1, 1], bins=2)]
    [(0.15000000000000002, 0.5, 2), (0.9, 1.0, 1)]
    """
    s, t = _arrays(scores, targets)
    idx = bin_index(s, bins, binning)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append(ReliabilityBin(float(s[m].min()), float(s[m].max()), float(s[m].mean()),
                                      float(t[m].mean()), int(m.sum())))
    return out


def ece(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
        bins: int = DEFAULT_BINS, binning: Binning = "width") -> float:
    """Expected calibration error: the count-weighted mean over bins of ``|observed - mean score|``.

    >>> ece([0.3, 0.3, 0.3], [0, 0, 1], bins=10)  # one bin: |1/3 - 0.3|
    0.033333333333333326
    """
    rel = reliability(scores, targets, bins, binning)
    n = sum(b.count for b in rel)
    return float(sum(b.count / n * abs(b.observed - b.mean_score) for b in rel))


def brier(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike) -> float:
    """Brier score: the mean squared difference between score and target.

    >>> brier([1.0, 0.5], [1, 0])
    0.125
    """
    s, t = _arrays(scores, targets)
    return float(np.mean((s - t) ** 2))


def calibration_metrics(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
                        bins: int = DEFAULT_BINS) -> CalibrationMetrics:
    """Brier score, both ECEs and the means, in one record.

    >>> m = calibration_metrics([0.1, 0.4, 0.8, 0.9], [0, 1, 1, 1])
    >>> m.n, round(m.ece, 3), round(m.ece_mass, 3)
    (4, 0.25, 0.25)
    """
    s, t = _arrays(scores, targets)
    return CalibrationMetrics(int(s.size), brier(s, t), ece(s, t, bins, "width"), ece(s, t, bins, "mass"),
                              float(s.mean()), float(t.mean()), bins)
