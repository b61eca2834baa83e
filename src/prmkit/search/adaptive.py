"""Instance-adaptive sampling (IAS, ``../methods/C-search.md`` C9): spend samples where the PRM is unsure.

From a calibrated PRM's estimate ``p`` that one sample solves the problem, the
samples needed to solve it with confidence ``q`` are

    N_IAS(p) = ceil(ln(1 - q) / ln(1 - p)),   p clipped to [1e-4, 1 - 1e-4]

(q = 0.99: p = 0.9 -> 2, p = 0.5 -> 7, p = 0.1 -> 44). :class:`Adaptive` draws
``n_min`` solutions, estimates ``p`` as the mean conservative (lower-bound)
success probability of their scores, and draws up to ``min(N_IAS(p), n)`` in
all; an easy problem stops after a few samples, a hard one gets the full budget.

:class:`Calibration` maps a PRM score to a success probability: an isotonic
(monotone) fit of observed success rates on scores (pool-adjacent-violators),
with a Wilson lower bound per fitted block at ``z`` (1.2816: the 10 % quantile,
the card's conservative choice). It is fitted on Monte Carlo rollouts: each
prefix's PRM score against how many of its rollouts reached the right answer
(``prmkit search calibrate``).

>>> n_ias(0.9), n_ias(0.5), n_ias(0.1)
(2, 7, 44)
>>> cal = Calibration.fit([0.1, 0.2, 0.8, 0.9], successes=[0, 1, 8, 7], trials=[8, 8, 8, 8])
>>> round(cal.mean(0.85), 4), cal.lower(0.85) < cal.mean(0.85)  # 0.8 and 0.9 pooled: 15 of 16
(0.9375, True)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prmkit.errors import ConfigError, DataFormatError
from prmkit.runtime import Plan
from prmkit.scoring.calibration import IsotonicCalibrator
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Tree
from prmkit.types import Problem

__all__ = ["CALIBRATIONS", "Adaptive", "Calibration", "default_calibration", "n_ias", "success_probability"]

CALIBRATIONS = Path(__file__).parent / "calibrations"
"""Calibrations shipped with prmkit, ``<PRM name>.json``: the embedded default PRM's, fitted by
``prmkit search-calibrate`` on the Monte Carlo labels of ``datasets/gsm8k-train-qwen2.5-coder-0.5b``."""


def default_calibration(prm: str) -> Calibration | None:
    """The shipped calibration of a PRM, if prmkit has one.

    >>> default_calibration("arith+prmkit-prm") is not None, default_calibration("math-shepherd")
    (True, None)
    """
    path = CALIBRATIONS / f"{prm}.json"
    return Calibration.load(path) if path.exists() else None


def n_ias(p: float, q: float = 0.99) -> int:
    """Samples needed for at least one success with probability ``q`` when each succeeds with ``p``."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return max(1, math.ceil(math.log(1 - q) / math.log(1 - p)))


@dataclass(frozen=True)
class Calibration:
    """A monotone map from PRM score to success probability, with a conservative lower bound."""

    edges: tuple[float, ...]
    """Lowest score of each fitted block (ascending); block ``i`` covers scores from its edge to the next."""
    rates: tuple[float, ...]
    """Pooled success rate of each block."""
    lows: tuple[float, ...]
    """Wilson lower bound of each block's rate."""

    @classmethod
    def fit(cls, scores: Sequence[float], *, successes: Sequence[int], trials: Sequence[int],
            z: float = 1.2816) -> Calibration:
        """Isotonic fit of ``successes / trials`` on ``scores`` (weights: trials;
        :class:`~prmkit.scoring.calibration.IsotonicCalibrator`), and each block's Wilson lower bound."""
        if not len(scores) == len(successes) == len(trials) or not len(scores):
            raise ConfigError("calibration needs equally many scores, successes and trials (at least one)")
        s = np.asarray(scores, dtype=float)
        wins, tries = np.asarray(successes, dtype=float), np.asarray(trials, dtype=int)
        # each rollout is one 0/1 target: the isotonic fit of the rollouts is the trials-weighted fit of the rates
        ones = np.concatenate([np.arange(t) < k for k, t in zip(wins, tries, strict=True)]).astype(float)
        iso = IsotonicCalibrator.fit(np.repeat(s, tries), ones)
        block = np.searchsorted(np.asarray(iso.starts), s, side="right") - 1
        k_b = np.bincount(block, weights=wins, minlength=len(iso.starts))
        t_b = np.bincount(block, weights=tries, minlength=len(iso.starts))
        lows = [_wilson_low(k, t, z) for k, t in zip(k_b.tolist(), t_b.tolist(), strict=True)]
        return cls(iso.starts, iso.values, tuple(lows))

    def _block(self, score: float) -> int:
        return max(0, int(np.searchsorted(self.edges, score, side="right")) - 1)

    def mean(self, score: float) -> float:
        return self.rates[self._block(score)]

    def lower(self, score: float) -> float:
        return self.lows[self._block(score)]

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"edges": self.edges, "rates": self.rates, "lows": self.lows}, fh, indent=1)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Calibration:
        try:
            with open(path, encoding="utf-8") as fh:
                d = json.load(fh)
            return cls(tuple(d["edges"]), tuple(d["rates"]), tuple(d["lows"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataFormatError(f"not a calibration file ({e})", path=str(path)) from None


def success_probability(cal: Any) -> Callable[[float], float]:
    """The conservative success probability of a score under ``cal``: a :class:`Calibration`'s lower bound,
    or the output of any :mod:`prmkit.scoring.calibration` calibrator (``apply``), e.g. one fitted to the
    10 % quantile (the E6 quantile calibrator), or a plain isotonic or Platt map (not conservative)."""
    if isinstance(cal, Calibration):
        return cal.lower
    apply = getattr(cal, "apply", None)
    if not callable(apply):
        raise ConfigError(f"not a calibration: {type(cal).__name__} has neither lower() nor apply()")
    return lambda score: float(apply([score])[0])


def _wilson_low(k: float, n: float, z: float) -> float:
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


@dataclass(frozen=True)
class Adaptive:
    """Best-of-N whose N is chosen per problem from a calibrated PRM (BoN-IAS)."""

    n: int = 16
    """The most solutions drawn for one problem."""
    n_min: int = 2
    """Solutions drawn before the budget is decided."""
    q: float = 0.99
    """Wanted probability that at least one drawn solution is right."""
    agg: str = "last"

    def __post_init__(self) -> None:
        if not 1 <= self.n_min <= self.n:
            raise ConfigError(f"need 1 <= n_min <= n, got n_min={self.n_min}, n={self.n}")
        if not 0 < self.q < 1:
            raise ConfigError(f"q must be in (0, 1), got {self.q}")

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        cal = context.calibration
        if cal is None:
            raise ConfigError("the adaptive search needs a calibration (--calibration FILE)")
        prob = success_probability(cal)
        tree = Tree(problem, agg=self.agg)
        (first,) = yield from tree.extend([tree.root], [self.n_min], None)
        yield from tree.score(first)
        scored = [c.score for c in first if math.isfinite(c.score)]
        p = float(np.mean([prob(s) for s in scored])) if scored else 0.0
        budget = min(self.n, max(self.n_min, n_ias(p, self.q)))
        more = []
        if budget > self.n_min:
            (more,) = yield from tree.extend([tree.root], [budget - self.n_min], None)
            yield from tree.score(more)
        return outcome(tree, first + more, p=p, budget=budget)
