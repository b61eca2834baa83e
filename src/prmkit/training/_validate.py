"""ProcessBench-style validation during training, through the ``hf`` scoring backend.

The model being trained is scored in place by :class:`~prmkit.scoring.hf.HFScorer`
(the same rendering and readout a user gets after export), and the earliest
predicted error is compared with the label: F1 is the harmonic mean of the
accuracy on solutions with an error and on solutions without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmkit.evaluation.processbench import predict_first_error, split_metrics
from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = ["first_error_f1", "validate"]


def first_error_f1(results: Sequence[ScoreResult], first_errors: Sequence[int], threshold: float) -> dict[str, float]:
    """ProcessBench F1 of step scores (:mod:`prmkit.evaluation.processbench`): the predicted error
    is the first step scoring below ``threshold``; a failed solution counts as a wrong prediction.

    >>> from prmkit.types import StepScores
    >>> first_error_f1([StepScores((0.9, 0.1)), StepScores((0.8,))], [1, -1], 0.5)["f1"]
    1.0
    """
    preds = [predict_first_error(r.scores, threshold) if isinstance(r, StepScores) else None for r in results]
    m = split_metrics(list(first_errors), preds)
    return {"f1": m.f1, "acc_error": m.error_acc, "acc_correct": m.correct_acc, "n": float(m.n), "failures": float(m.n_failed)}


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
