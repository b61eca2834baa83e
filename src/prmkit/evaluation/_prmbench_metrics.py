"""PRMBench metrics: step confusion counts at a threshold, the two F1s and PRMScore.

The positive class is a right step. A step is predicted right iff its score is
strictly above the threshold (PRMBench's ``score > validity_threshold``; NaN
is never above). Over the steps of the cases pooled together:

- TP: a right step predicted right; FN: a right step predicted wrong;
- FP: a wrong step predicted right; TN: a wrong step predicted wrong;
- F1 = 2PR/(P+R) with P = TP/(TP+FP), R = TP/(TP+FN); the negative F1 is the
  same with the classes swapped, P- = TN/(TN+FN), R- = TN/(TN+FP);
- PRMScore = 0.5 F1 + 0.5 F1-, clipped at 0; a ``multi_solutions`` category
  (no wrong step) is scored by F1 alone.

As in the benchmark's code, an undefined ratio is -1 (so F1 of a pool without
right steps is -1, and PRMScore clips it away).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "PRMBENCH_GROUPS",
    "Confusion",
    "confusion_at_thresholds",
    "prmscore",
    "ratio",
    "step_confusion",
]

PRMBENCH_GROUPS: dict[str, tuple[str, ...]] = {
    "simplicity": ("redundency", "circular"),
    "soundness": ("counterfactual", "step_contradiction", "domain_inconsistency", "confidence"),
    "sensitivity": ("missing_condition", "deception", "multi_solutions"),
}
"""The paper's three groups; a group's score is the unweighted mean of its categories' PRMScores."""


def ratio(num: int, den: int) -> float:
    """``num / den``, or -1 when ``den`` is 0 (PRMBench's convention)."""
    return num / den if den != 0 else -1


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if (p + r) != 0 else -1


@dataclass(frozen=True)
class Confusion:
    """Step counts of one pool of cases, and the ratios PRMBench derives from them.

    >>> c = Confusion(tp=6, fp=2, tn=3, fn=1)
    >>> round(c.f1, 4), round(c.negative_f1, 4), round(prmscore(c), 4)
    (0.8, 0.6667, 0.7333)
    """

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(self.tp + other.tp, self.fp + other.fp, self.tn + other.tn, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def negative_precision(self) -> float:
        return ratio(self.tn, self.tn + self.fn)

    @property
    def negative_recall(self) -> float:
        return ratio(self.tn, self.tn + self.fp)

    @property
    def negative_f1(self) -> float:
        return _f1(self.negative_precision, self.negative_recall)

    @property
    def correct_step_acc(self) -> float:
        """Fraction of right steps predicted right (-1: none)."""
        return ratio(self.tp, self.tp + self.fn)

    @property
    def wrong_step_acc(self) -> float:
        """Fraction of wrong steps predicted wrong (-1: none)."""
        return ratio(self.tn, self.tn + self.fp)

    @property
    def total_step_acc(self) -> float:
        return ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn)

    def to_dict(self) -> dict[str, float | int]:
        names = ("precision", "recall", "f1", "negative_precision", "negative_recall", "negative_f1",
                 "correct_step_acc", "wrong_step_acc", "total_step_acc")
        return {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn, **{n: getattr(self, n) for n in names}}


def prmscore(counts: Confusion, category: str | None = None) -> float:
    """PRMScore of pooled counts: ``0.5 F1 + 0.5 F1-`` (``multi_solutions``: F1), clipped at 0.

    >>> round(prmscore(Confusion(tp=5, fn=5), "multi_solutions"), 4), prmscore(Confusion(fp=5, fn=5))
    (0.6667, 0.0)
    """
    score = counts.f1 if category == "multi_solutions" else 0.5 * counts.f1 + 0.5 * counts.negative_f1
    return score if score > 0 else 0.0


def step_confusion(scores: Sequence[float], error_steps: Iterable[int], threshold: float) -> Confusion:
    """Counts of one case: ``error_steps`` are 1-based; a step is predicted right iff its score > ``threshold``.

    >>> step_confusion([0.9, 0.2, 0.6], [2, 3], 0.5)
    Confusion(tp=1, fp=1, tn=1, fn=0)
    """
    wrong = {k - 1 for k in error_steps}
    tp = fp = tn = fn = 0
    for i, s in enumerate(scores):
        valid = s > threshold
        if i in wrong:
            fp += valid
            tn += not valid
        else:
            tp += valid
            fn += not valid
    return Confusion(tp, fp, tn, fn)


def confusion_at_thresholds(
    cases: Iterable[tuple[Sequence[float] | None, Iterable[int]]], thresholds: Sequence[float]
) -> list[Confusion]:
    """Pooled counts of ``(scores, error_steps)`` cases at each threshold, by binary search.

    A case with ``None`` scores (the PRM failed on it) counts nothing, as in PRMBench.

    >>> confusion_at_thresholds([([0.9, 0.2, 0.6], [2, 3]), (None, [1])], [0.5, 0.1])
    [Confusion(tp=1, fp=1, tn=1, fn=0), Confusion(tp=1, fp=2, tn=0, fn=0)]
    """
    right: list[float] = []
    wrong: list[float] = []
    for scores, error_steps in cases:
        if scores is None:
            continue
        bad = {k - 1 for k in error_steps}
        for i, s in enumerate(scores):
            (wrong if i in bad else right).append(-math.inf if math.isnan(s) else float(s))
    right.sort()
    wrong.sort()
    out = []
    for tau in thresholds:
        fn = bisect_right(right, tau)
        tn = bisect_right(wrong, tau)
        out.append(Confusion(tp=len(right) - fn, fp=len(wrong) - tn, tn=tn, fn=fn))
    return out
