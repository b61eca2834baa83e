"""ProcessBench-style validation during training, through the ``hf`` scoring backend.

The model being trained is scored in place by :class:`~prmkit.scoring.hf.HFScorer`
(the same rendering and readout a user gets after export), and the earliest
predicted error is compared with the label: F1 is the harmonic mean of the
accuracy on solutions with an error and on solutions without one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, cast

from prmkit.evaluation.processbench import predict_first_error, split_metrics
from prmkit.scoring import check_batch
from prmkit.scoring.hf import HFScorer
from prmkit.scoring.spec import DType, PRMSpec
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = ["first_error_f1", "step_auc", "validate"]


def step_auc(results: Sequence[ScoreResult], first_errors: Sequence[int]) -> float:
    """Threshold-free step discrimination: the probability that a step before the first error
    outscores a first wrong step (ties count half; later steps have no label and are left out).
    NaN when either kind is missing.

    >>> from prmkit.types import StepScores
    >>> step_auc([StepScores((0.9, 0.2)), StepScores((0.2, 0.5))], [1, 1])
    0.625
    """
    pos: list[float] = []
    neg: list[float] = []
    for r, fe in zip(results, first_errors, strict=True):
        if not isinstance(r, StepScores):
            continue
        pos.extend(r.scores if fe < 0 else r.scores[:fe])
        if 0 <= fe < len(r.scores):
            neg.append(r.scores[fe])
    if not pos or not neg:
        return float("nan")
    pos.sort()
    wins = 0.0
    for n in neg:  # pos above n, and half of the ties
        lo, hi = bisect.bisect_left(pos, n), bisect.bisect_right(pos, n)
        wins += len(pos) - hi + (hi - lo) / 2
    return wins / (len(pos) * len(neg))


def first_error_f1(results: Sequence[ScoreResult], first_errors: Sequence[int], threshold: float) -> dict[str, float]:
    """ProcessBench F1 of step scores (:mod:`prmkit.evaluation.processbench`): the predicted error
    is the first step scoring below ``threshold``; a failed solution counts as a wrong prediction.

    >>> from prmkit.types import StepScores
    >>> first_error_f1([StepScores((0.9, 0.1)), StepScores((0.8,))], [1, -1], 0.5)["f1"]
    1.0
    """
    preds = [predict_first_error(r.scores, threshold) if isinstance(r, StepScores) else None for r in results]
    m = split_metrics(list(first_errors), preds)
    return {"f1": m.f1, "acc_error": m.error_acc, "acc_correct": m.correct_acc, "n": float(m.n), "failures": float(m.n_failed),
            "step_auc": step_auc(results, first_errors)}


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
    """Score ``records`` with the model in hand and return ProcessBench F1, its two accuracies and
    the step AUC.

    ``model`` is switched to eval mode (the caller switches it back). It is scored in its own dtype:
    the scorer casts the model it is given to the spec's dtype otherwise (bf16 for prmkit-prm), which
    would change the weights in training and break the optimizer's state.
    """
    own = cast(DType, str(model.dtype).removeprefix("torch."))
    scorer = HFScorer(
        spec, model=model, tokenizer=tokenizer, reference_model=reference, dtype=own, device=device, max_length=max_length
    )
    sols = [s for s, _ in records]
    results = check_batch(sols, scorer.score(sols))
    return first_error_f1(results, [fe for _, fe in records], spec.threshold)
