"""ProcessBench-style validation during training, through the ``hf`` scoring backend.

The model being trained is scored in place by :class:`~prmkit.scoring.hf.HFScorer`
(the same rendering and readout a user gets after export), and the earliest
predicted error is compared with the label: F1 is the harmonic mean of the
accuracy on solutions with an error and on solutions without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreResult, Solution, StepScores, labels_to_first_error

__all__ = ["first_error_f1", "validate"]


def first_error_f1(results: Sequence[ScoreResult], first_errors: Sequence[int], threshold: float) -> dict[str, float]:
    """ProcessBench F1 of step scores: the predicted error is the first step scoring below ``threshold``.

    A failed solution counts as a wrong prediction.

    >>> from prmkit.types import StepScores
    >>> first_error_f1([StepScores((0.9, 0.1)), StepScores((0.8,))], [1, -1], 0.5)["f1"]
    1.0
    """
    hit_err = n_err = hit_ok = n_ok = failures = 0
    for res, label in zip(results, first_errors, strict=True):
        pred = labels_to_first_error(res.scores, threshold) if isinstance(res, StepScores) else None
        failures += pred is None
        if label == -1:
            n_ok += 1
            hit_ok += pred == -1
        else:
            n_err += 1
            hit_err += pred == label
    acc_err = hit_err / n_err if n_err else 0.0
    acc_ok = hit_ok / n_ok if n_ok else 0.0
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok else 0.0
    return {"f1": f1, "acc_error": acc_err, "acc_correct": acc_ok, "n": float(len(results)), "failures": float(failures)}


def validate(
    model: Any,
    tokenizer: Any,
    spec: PRMSpec,
    records: Sequence[tuple[Solution, int]],
    *,
    reference: Any = None,
    device: str = "cpu",
    max_length: int | None = None,
) -> dict[str, float]:
    """Score ``records`` with the model in hand and return ProcessBench F1 and its two accuracies.

    ``model`` is switched to eval mode (the caller switches it back).
    """
    from prmkit.scoring.hf import HFScorer

    scorer = HFScorer(
        spec, model=model, tokenizer=tokenizer, reference_model=reference, device=device, max_length=max_length
    )
    results = scorer.score([s for s, _ in records])
    return first_error_f1(results, [fe for _, fe in records], spec.threshold)
