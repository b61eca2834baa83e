r"""Aggregation: one solution's step scores -> one solution score.

Rules (registry :data:`AGGREGATORS`; the name is also the CLI and JSON value):

=================  ===============================================================
``min``            :math:`\min_k s_k`
``last``           :math:`s_K`
``product``        :math:`\prod_k s_k`, computed as :math:`\exp\sum_k \log s_k`
``mean``           :math:`\frac1K\sum_k s_k`
``geometric_mean`` :math:`\exp(\frac1K\sum_k \log s_k)`
``window_min``     min over ``k`` of the mean of ``w`` consecutive scores
                   :math:`s_k..s_{k+w-1}` (``w = 1`` is ``min``; ``w >= K`` is ``mean``)
=================  ===============================================================

``product`` and ``geometric_mean`` need probabilities: every (transformed)
score must lie in [0, 1]; a score of exactly 0 gives 0. Unbounded rewards
(outcome-RM logits, implicit-PRM log-ratios) can first be mapped into (0, 1)
with ``transform="sigmoid"``.

**K = 0 rule.** A solution with no step scores (no steps, or the scorer
failed on it) aggregates to ``nan`` = "unscored" under every rule. Selectors
rank unscored candidates below every scored one and give them no weight.

**NaN rule.** A ``nan`` step score anywhere makes the whole solution
unscored (``nan``) under every rule, whatever its position: ``min`` does not
skip it, ``last`` does not ignore an earlier one, ``product`` and ``mean`` do
not propagate or drop it by accident. One rule, so the same candidates give
the same selection whichever aggregator reads them.

An aggregator is written as a string ``[sigmoid:]rule[:w]``, e.g. ``"last"``,
``"window_min:3"``, ``"sigmoid:product"``.

>>> agg = Aggregator.parse("window_min:2")
>>> agg([0.9, 0.2, 0.8, 0.9]), Aggregator("min")([0.9, 0.2, 0.8, 0.9])
(0.5, 0.2)
>>> round(aggregate([0.5, 0.5, 0.5], "product"), 6), aggregate([], "last")
(0.125, nan)
>>> aggregate([0.9, float("nan"), 0.8], "last"), aggregate([float("nan"), 0.2], "min")
(nan, nan)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from prmkit._registry import Registry
from prmkit.errors import ConfigError

__all__ = ["AGGREGATORS", "Aggregator", "Rule", "Transform", "aggregate"]

Rule = Literal["min", "last", "product", "mean", "geometric_mean", "window_min"]
Transform = Literal["none", "sigmoid"]

DEFAULT_WINDOW = 2
"""Window width of ``window_min`` when none is given: the smallest that differs from ``min``."""

_TOL = 1e-9


def _log_scores(scores: Sequence[float], rule: str) -> list[float]:
    out = []
    for s in scores:
        if not (-_TOL <= s <= 1 + _TOL):
            raise ConfigError(
                f"aggregator {rule!r} needs step scores in [0, 1], got {s!r}; "
                "use 'sigmoid:" + rule + "' for unbounded rewards, or min/last/mean"
            )
        out.append(-math.inf if s <= 0 else math.log(min(s, 1.0)))
    return out


def _product(scores: Sequence[float], window: int) -> float:
    return math.exp(math.fsum(_log_scores(scores, "product")))


def _geometric_mean(scores: Sequence[float], window: int) -> float:
    return math.exp(math.fsum(_log_scores(scores, "geometric_mean")) / len(scores))


def _window_min(scores: Sequence[float], window: int) -> float:
    w = min(window, len(scores))
    return min(math.fsum(scores[k : k + w]) / w for k in range(len(scores) - w + 1))


AGGREGATORS: Registry[Callable[[Sequence[float], int], float]] = Registry("aggregator")
"""Rule name -> ``f(scores, window) -> float`` for a non-empty score list."""
AGGREGATORS.register("min", lambda s, w: min(s))
AGGREGATORS.register("last", lambda s, w: s[-1])
AGGREGATORS.register("product", _product)
AGGREGATORS.register("mean", lambda s, w: math.fsum(s) / len(s))
AGGREGATORS.register("geometric_mean", _geometric_mean)
AGGREGATORS.register("window_min", _window_min)


@dataclass(frozen=True)
class Aggregator:
    """How step scores become a solution score.

    >>> Aggregator.parse("sigmoid:last").name, Aggregator("window_min", window=3).name
    ('sigmoid:last', 'window_min:3')
    """

    rule: str = "last"
    """One of :data:`AGGREGATORS` (see the module docstring for formulas)."""
    window: int | None = None
    """Window width for ``window_min`` (default 2); must be unset for every other rule."""
    transform: Transform = "none"
    """Applied to each step score before the rule: ``sigmoid`` = 1 / (1 + exp(-s))."""

    def __post_init__(self) -> None:
        if self.rule not in AGGREGATORS:
            AGGREGATORS.get(self.rule)  # raises UnknownNameError with close names
        problems = []
        if self.window is not None and self.rule != "window_min":
            problems.append(
                f"only window_min takes a window, got rule {self.rule!r} with window {self.window}"
            )
        if self.window is not None and self.window < 1:
            problems.append(f"window must be >= 1, got {self.window}")
        if self.transform not in get_args(Transform):
            problems.append(
                f"transform must be one of {get_args(Transform)}, got {self.transform!r}"
            )
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def name(self) -> str:
        """The spec string: ``[sigmoid:]rule[:w]``."""
        head = "sigmoid:" if self.transform == "sigmoid" else ""
        tail = f":{self.window}" if self.window is not None else ""
        return f"{head}{self.rule}{tail}"

    @classmethod
    def parse(cls, spec: str) -> Aggregator:
        """Read ``[sigmoid:]rule[:w]``; raises :class:`ConfigError` on a malformed spec."""
        parts = [p.strip() for p in spec.strip().split(":")]
        transform: Transform = "none"
        if parts and parts[0] in ("sigmoid", "none"):
            transform = "sigmoid" if parts[0] == "sigmoid" else "none"
            parts = parts[1:]
        if not parts or len(parts) > 2 or not parts[0]:
            raise ConfigError(
                f"malformed aggregator {spec!r}; expected [sigmoid:]rule[:window], e.g. 'window_min:3'"
            )
        window = None
        if len(parts) == 2:
            try:
                window = int(parts[1])
            except ValueError:
                raise ConfigError(
                    f"aggregator {spec!r}: window must be an integer, got {parts[1]!r}"
                ) from None
        return cls(parts[0], window, transform)

    def __call__(self, scores: Sequence[float]) -> float:
        """The solution score (``nan`` for an empty score list or any ``nan`` step score)."""
        if len(scores) == 0:
            return math.nan
        vals = [float(s) for s in scores]
        if any(math.isnan(v) for v in vals):  # the NaN rule: unscored, whatever the position
            return math.nan
        if self.transform == "sigmoid":
            vals = [_sigmoid(s) for s in vals]
        window = self.window if self.window is not None else DEFAULT_WINDOW
        return float(AGGREGATORS.get(self.rule)(vals, window))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def aggregate(
    scores: Sequence[float],
    rule: str = "last",
    *,
    window: int | None = None,
    transform: Transform = "none",
) -> float:
    """Aggregate one solution's step scores with a rule (see :class:`Aggregator`).

    >>> aggregate([0.9, 0.4, 0.7], "min"), aggregate([0.9, 0.4, 0.7], "last")
    (0.4, 0.7)
    """
    return Aggregator(rule, window, transform)(scores)
