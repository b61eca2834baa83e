"""ProcessBench metrics: earliest-error prediction, per-split accuracies, F1 and its two averages.

All accuracies are fractions in [0, 1]; F1 is the harmonic mean of the
accuracy on erroneous cases and the accuracy on correct cases (not a
precision/recall F1). The paper's "Average" is the unweighted mean of the
split F1s (:func:`mean_f1`); some forks print a sample-weighted average
(:func:`weighted_f1`), which is not comparable with the paper's tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

__all__ = [
    "SplitMetrics",
    "harmonic_f1",
    "mean_f1",
    "predict_first_error",
    "split_metrics",
    "weighted_f1",
]


def predict_first_error(scores: Sequence[float], threshold: float) -> int:
    """Index of the earliest step scoring strictly below ``threshold``, else -1.

    >>> predict_first_error([0.9, 0.3, 0.8], 0.5), predict_first_error([0.9, 0.3, 0.8], 0.2)
    (1, -1)
    """
    return next((i for i, s in enumerate(scores) if s < threshold), -1)


def harmonic_f1(error_acc: float, correct_acc: float) -> float:
    """ProcessBench F1: ``2ab/(a+b)``, 0 when both are 0. Scale-free (fractions or percent).

    >>> round(harmonic_f1(72.0, 96.4), 2)
    82.43
    """
    total = error_acc + correct_acc
    return 0.0 if total == 0 else 2 * error_acc * correct_acc / total


@dataclass(frozen=True)
class SplitMetrics:
    """ProcessBench numbers for one split (accuracies as fractions).

    ``n_failed`` cases got no scores from the PRM; they count as wrong.
    """

    n: int
    n_error: int
    n_correct: int
    n_failed: int
    error_acc: float
    correct_acc: float
    f1: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def split_metrics(labels: Sequence[int], preds: Sequence[int | None]) -> SplitMetrics:
    """Accuracies and F1 from gold labels and predictions (``None``: the PRM failed on that case).

    >>> m = split_metrics([1, -1, 2, -1], [1, -1, 0, None])
    >>> m.error_acc, m.correct_acc, round(m.f1, 4), m.n_failed
    (0.5, 0.5, 0.5, 1)
    """
    n_error = n_correct = hit_error = hit_correct = failed = 0
    for label, pred in zip(labels, preds, strict=True):
        failed += pred is None
        if label == -1:
            n_correct += 1
            hit_correct += pred == -1
        else:
            n_error += 1
            hit_error += pred == label
    error_acc = hit_error / n_error if n_error else 0.0
    correct_acc = hit_correct / n_correct if n_correct else 0.0
    return SplitMetrics(
        n=len(labels),
        n_error=n_error,
        n_correct=n_correct,
        n_failed=failed,
        error_acc=error_acc,
        correct_acc=correct_acc,
        f1=harmonic_f1(error_acc, correct_acc),
    )


def mean_f1(metrics: Mapping[str, SplitMetrics]) -> float:
    """The ProcessBench paper's "Average": the unweighted mean of the split F1s.

    >>> s = lambda f1, n: SplitMetrics(n, n, 0, 0, f1, f1, f1)
    >>> round(mean_f1({"gsm8k": s(0.708, 400), "math": s(0.536, 1000), "olympiadbench": s(0.229, 1000),
    ...                "omnimath": s(0.210, 1000)}), 4)
    0.4208
    """
    return sum(m.f1 for m in metrics.values()) / len(metrics) if metrics else 0.0


def weighted_f1(metrics: Mapping[str, SplitMetrics]) -> float:
    """F1 averaged with weights = split sizes (what some forks print; not the paper's number).

    >>> s = lambda f1, n: SplitMetrics(n, n, 0, 0, f1, f1, f1)
    >>> round(weighted_f1({"a": s(1.0, 400), "b": s(0.0, 1000)}), 4)
    0.2857
    """
    total = sum(m.n for m in metrics.values())
    return sum(m.f1 * m.n for m in metrics.values()) / total if total else 0.0
