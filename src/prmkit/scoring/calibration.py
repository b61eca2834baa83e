"""Post-hoc calibration of step scores: Platt / temperature scaling, isotonic regression, a calibrated scorer.

A calibrator is a monotone map fitted on (step score, target) pairs, the target
being a step label (0/1) or a Monte Carlo value (a fraction in [0, 1]); the
map's output estimates the target. Calibration is specific to the PRM and to
the policy whose steps it was fitted on (method card B5).

* :class:`PlattCalibrator`: ``sigmoid(a * logit(score) + b)``, fitted by
  minimising the mean log loss (soft targets allowed) with Newton's method in
  numpy. ``temperature=True`` fixes ``b = 0`` (temperature scaling, ``T = 1/a``).
* :class:`IsotonicCalibrator`: the non-decreasing step function that
  minimises the squared error (pool-adjacent-violators). Equal scores are
  pooled first, so they always map to the same value.

Each has ``apply``, ``to_json`` / :func:`calibrator_from_json`, ``save`` /
:func:`load_calibrator` and a ``digest`` that :class:`CalibratedScorer` puts
into its identity, so the step-score cache never mixes calibrated and raw scores.

>>> iso = IsotonicCalibrator.fit([0.1, 0.2, 0.2, 0.9], [0, 1, 0, 1])
>>> iso.apply([0.1, 0.2, 0.5, 0.95]).tolist()
[0.0, 0.5, 0.5, 1.0]
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from prmkit.errors import ConfigError, DataFormatError
from prmkit.scoring._backend import Scorer, ScorerInfo, check_batch, scorer_info
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = [
    "CALIBRATORS",
    "CalibratedScorer",
    "Calibrator",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "calibrator_from_json",
    "digest",
    "fit_calibrator",
    "load_calibrator",
    "save_calibrator",
]

CalibratorKind = Literal["platt", "temperature", "isotonic"]
CALIBRATORS: tuple[CalibratorKind, ...] = ("platt", "temperature", "isotonic")
"""The calibrator kinds :func:`fit_calibrator` knows."""
_EPS = 1e-6  # scores are clipped to [eps, 1 - eps] before the logit


class Calibrator(Protocol):
    """A fitted monotone map from step score to calibrated score."""

    @property
    def kind(self) -> str: ...

    def apply(self, scores: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]: ...

    def to_json(self) -> dict[str, Any]: ...


def _pairs(scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    if s.shape != t.shape or not s.size:
        raise ConfigError(f"calibration needs equally many scores and targets, at least one ({s.size}, {t.size})")
    if not (np.isfinite(s).all() and ((t >= 0) & (t <= 1)).all()):
        raise ConfigError("calibration needs finite scores and targets in [0, 1]")
    return s, t


def _logit(s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c = np.clip(s, _EPS, 1 - _EPS)
    return np.asarray(np.log(c) - np.log1p(-c))


def digest(cal: Calibrator) -> str:
    """16 hex digits of SHA-256 over the calibrator's canonical JSON."""
    text = json.dumps(cal.to_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PlattCalibrator:
    """``sigmoid(a * logit(score) + b)`` (scores clipped to ``[1e-6, 1 - 1e-6]``).

    >>> PlattCalibrator(1.0, 0.0).apply([0.25]).round(6).tolist()  # the identity
    [0.25]
    """

    a: float
    b: float
    kind: str = "platt"

    @classmethod
    def fit(cls, scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
            *, temperature: bool = False, ridge: float = 1e-6) -> PlattCalibrator:
        """Minimise mean log loss ``+ ridge * (a² + b²)`` (the ridge keeps separable data finite).

        >>> cal = PlattCalibrator.fit([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1])
        >>> cal.apply([0.2, 0.8]).round(3).tolist()
        [0.5, 1.0]
        """
        s, t = _pairs(scores, targets)
        x = _logit(s)
        feats = np.stack([x] if temperature else [x, np.ones_like(x)], axis=1)
        w = np.zeros(feats.shape[1])
        w[0] = 1.0

        def loss(w: npt.NDArray[np.float64]) -> float:
            z = feats @ w
            return float(np.mean(np.logaddexp(0, z) - t * z) + ridge * w @ w)

        for _ in range(100):
            p = 1 / (1 + np.exp(-(feats @ w)))
            grad = feats.T @ (p - t) / len(t) + 2 * ridge * w
            hess = (feats * (p * (1 - p))[:, None]).T @ feats / len(t) + 2 * ridge * np.eye(len(w))
            step = np.linalg.solve(hess, grad)
            size, now = 1.0, loss(w)
            while loss(w - size * step) > now + 1e-12 and size > 1e-8:
                size /= 2
            w = w - size * step
            if np.abs(size * step).max() < 1e-10:
                break
        return cls(float(w[0]), 0.0 if temperature else float(w[1]), "temperature" if temperature else "platt")

    def apply(self, scores: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The calibrated scores."""
        z = self.a * _logit(np.asarray(scores, dtype=np.float64)) + self.b
        return np.asarray(1 / (1 + np.exp(-z)))

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "a", "b"}``."""
        return {"kind": self.kind, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class IsotonicCalibrator:
    """A non-decreasing step function: a score maps to the value of the last block starting at or below it.

    >>> IsotonicCalibrator((0.1, 0.5), (0.2, 0.7)).apply([0.0, 0.3, 0.5, 1.0]).tolist()
    [0.2, 0.2, 0.7, 0.7]
    """

    starts: tuple[float, ...]
    """Lowest fitted score of each block, ascending (scores below the first use the first block)."""
    values: tuple[float, ...]
    """Pooled mean target of each block, non-decreasing."""
    kind: str = "isotonic"

    @classmethod
    def fit(cls, scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
            ) -> IsotonicCalibrator:
        """Pool-adjacent-violators on the mean target of each distinct score, weighted by its count."""
        s, t = _pairs(scores, targets)
        uniq, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
        sums = np.bincount(inverse, weights=t)
        blocks: list[list[float]] = []  # [start, target sum, count]
        for u, tot, n in zip(uniq.tolist(), sums.tolist(), counts.tolist(), strict=True):
            blocks.append([u, tot, n])
            while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
                _, tot2, n2 = blocks.pop()
                blocks[-1][1] += tot2
                blocks[-1][2] += n2
        return cls(tuple(b[0] for b in blocks), tuple(b[1] / b[2] for b in blocks))

    def apply(self, scores: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The calibrated scores."""
        idx = np.searchsorted(np.asarray(self.starts), np.asarray(scores, dtype=np.float64), side="right") - 1
        return np.asarray(self.values, dtype=np.float64)[np.maximum(idx, 0)]

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "starts", "values"}``."""
        return {"kind": self.kind, "starts": list(self.starts), "values": list(self.values)}


def fit_calibrator(kind: str, scores: Sequence[float] | npt.ArrayLike,
                   targets: Sequence[float] | npt.ArrayLike) -> PlattCalibrator | IsotonicCalibrator:
    """Fit a calibrator of ``kind`` (one of :data:`CALIBRATORS`).

    >>> fit_calibrator("temperature", [0.1, 0.9], [0, 1]).b
    0.0
    """
    if kind == "isotonic":
        return IsotonicCalibrator.fit(scores, targets)
    if kind in ("platt", "temperature"):
        return PlattCalibrator.fit(scores, targets, temperature=kind == "temperature")
    raise ConfigError(f"unknown calibrator {kind!r}; available: {', '.join(CALIBRATORS)}")


def calibrator_from_json(doc: dict[str, Any]) -> PlattCalibrator | IsotonicCalibrator:
    """The calibrator a ``to_json`` dict describes."""
    kind = doc.get("kind")
    if kind in ("platt", "temperature"):
        return PlattCalibrator(float(doc["a"]), float(doc["b"]), str(kind))
    if kind == "isotonic":
        starts, values = tuple(map(float, doc["starts"])), tuple(map(float, doc["values"]))
        if len(starts) != len(values) or not starts:
            raise ValueError("starts and values differ in length or are empty")
        return IsotonicCalibrator(starts, values)
    raise ValueError(f"unknown kind {kind!r}")


def save_calibrator(cal: Calibrator, path: str | os.PathLike[str]) -> None:
    """Write ``cal.to_json()`` to ``path``."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(cal.to_json(), fh, indent=1)
        fh.write("\n")


def load_calibrator(path: str | os.PathLike[str]) -> PlattCalibrator | IsotonicCalibrator:
    """Read a calibrator written by :func:`save_calibrator`.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "cal.json")
    >>> save_calibrator(PlattCalibrator(2.0, -1.0), p)
    >>> load_calibrator(p)
    PlattCalibrator(a=2.0, b=-1.0, kind='platt')
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return calibrator_from_json(json.load(fh))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise DataFormatError(f"not a calibrator file ({e})", path=str(path)) from None


class CalibratedScorer:
    """A :class:`~prmkit.scoring.Scorer` whose step scores are ``calibrator.apply`` of the inner scorer's.

    Its identity is the inner identity plus the calibrator's digest; it is causal
    when the inner scorer is, and its threshold is 0.5 (its scores estimate a
    probability). Failures pass through.

    >>> from prmkit.scoring import load_prm
    >>> prm = CalibratedScorer(load_prm("arith"), IsotonicCalibrator((0.0, 1.0), (0.25, 0.75)))
    >>> prm.score([Solution("?", ("2 + 2 = 4", "2 + 3 = 6"))])[0].scores
    (0.75, 0.25)
    """

    def __init__(self, scorer: Scorer, calibrator: Calibrator) -> None:
        self.inner = scorer
        self.calibrator = calibrator
        inner = scorer_info(scorer)
        self.info = ScorerInfo(f"{inner.identity}|calibrated-{calibrator.kind}:{digest(calibrator)}",
                               threshold=0.5, causal=inner.causal)

    @property
    def identity(self) -> str:
        """Inner identity ``|calibrated-<kind>:<digest>``."""
        return self.info.identity

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """The inner scorer's results with every step score calibrated."""
        results = check_batch(solutions, self.inner.score(solutions), self.inner.identity)
        out: list[ScoreResult] = []
        for res in results:
            if isinstance(res, StepScores):
                cal = self.calibrator.apply(res.scores) if res.scores else np.zeros(0)
                out.append(StepScores(tuple(float(v) for v in cal), tokens=res.tokens))
            else:
                out.append(res)
        return out
