"""The "Lessons" diagnostics of a Best-of-N candidate set (method card B4): does the PRM judge steps?

Best-of-N accuracy alone rewards a PRM that acts as an outcome model. These
numbers, read off the step scores of every scored candidate, show it:

* ``min_on_last_step``: the share of solutions (with at least two steps)
  whose last step scores strictly below every earlier step (a tie goes to the
  earlier step). The Qwen "Lessons" paper finds 42-55% for BoN-tuned PRMs,
  17.5% for Qwen2.5-Math-PRM-7B.
* ``length``: Pearson correlation of the number of steps with the last and
  the minimum step score, and per-length-bucket means (with the accuracy of
  the bucket's solutions where correctness is known), to separate a length
  bias from a real accuracy drop.
* ``position``: correlation of the step's position (1-based) with its score,
  and the mean score per position bucket (with the mean label where known).
* ``steps`` (only where step labels are given): a step is good when its label
  is at least 0.5 and predicted good when its score is at least
  ``threshold``; ``error_recall`` / ``correct_recall`` are the shares of bad /
  good steps predicted so, ``f1`` their harmonic mean, ``auroc`` the chance a
  good step outscores a bad one (ties count half), plus Brier and ECE
  (:mod:`prmkit.evaluation.calibration`).

>>> out = lessons([[0.9, 0.8, 0.1], [0.9, 0.2, 0.7], [0.6]])
>>> out["min_on_last_step"]
{'share': 0.5, 'n': 2}
>>> [b["steps"] for b in out["length"]["buckets"]]
['1', '3-4']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from prmkit.data.candidates import CandidateSet
from prmkit.evaluation.calibration import brier, ece
from prmkit.evaluation.processbench import harmonic_f1

__all__ = ["BUCKET_STARTS", "auroc", "candidate_lessons", "lessons"]

BUCKET_STARTS = (1, 2, 3, 5, 9, 17, 33)
"""Where the length and position buckets start: 1, 2, 3-4, 5-8, 9-16, 17-32, 33+."""


def _bucket(k: int) -> str:
    i = int(np.searchsorted(BUCKET_STARTS, k, side="right")) - 1
    lo = BUCKET_STARTS[i]
    if i + 1 == len(BUCKET_STARTS):
        return f"{lo}+"
    hi = BUCKET_STARTS[i + 1] - 1
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.size < 2 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _mean(v: Sequence[float]) -> float | None:
    return float(np.mean(v)) if len(v) else None


def auroc(scores: Sequence[float] | npt.ArrayLike, good: Sequence[bool] | npt.ArrayLike) -> float | None:
    """Probability that a random good step outscores a random bad one, ties counting half (None: one class).

    >>> auroc([0.9, 0.4, 0.4, 0.1], [True, True, False, False])
    0.875
    """
    s, g = np.asarray(scores, dtype=np.float64), np.asarray(good, dtype=bool)
    pos, neg = s[g], s[~g]
    if not pos.size or not neg.size:
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def _step_metrics(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.float64],
                  threshold: float) -> dict[str, Any]:
    good, pred = labels >= 0.5, scores >= threshold
    error_recall = float((~pred[~good]).mean()) if (~good).any() else None
    correct_recall = float(pred[good].mean()) if good.any() else None
    in_unit = bool(((scores >= 0) & (scores <= 1)).all())
    return {
        "n": int(scores.size), "n_bad": int((~good).sum()), "threshold": threshold,
        "error_recall": error_recall, "correct_recall": correct_recall,
        "f1": None if error_recall is None or correct_recall is None else harmonic_f1(error_recall, correct_recall),
        "auroc": auroc(scores, good),
        "brier": brier(scores, labels) if in_unit else None,
        "ece": ece(scores, labels) if in_unit else None,
    }


def lessons(
    scores: Sequence[Sequence[float]],
    labels: Sequence[Sequence[float | None] | None] | None = None,
    correct: Sequence[bool | None] | None = None,
    *,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """The diagnostics of solutions given as step scores (one list per solution), as a JSON-ready dict.

    ``labels`` (optional, per solution, None entries unknown) and ``correct``
    (optional, per solution) are aligned with ``scores``; empty score lists are skipped.
    """
    labels = labels if labels is not None else [None] * len(scores)
    correct = correct if correct is not None else [None] * len(scores)
    sizes, lasts, mins = [], [], []
    min_last = with_two = 0
    length: dict[str, list[tuple[float, float, bool | None]]] = {}
    position: dict[str, list[tuple[float, float | None]]] = {}
    positions, step_scores, lab_s, lab_y = [], [], [], []
    for sc, lab, ok in zip(scores, labels, correct, strict=True):
        if not len(sc):
            continue
        s = [float(v) for v in sc]
        sizes.append(len(s))
        lasts.append(s[-1])
        mins.append(min(s))
        if len(s) >= 2:
            with_two += 1
            min_last += int(np.argmin(s)) == len(s) - 1
        length.setdefault(_bucket(len(s)), []).append((s[-1], min(s), ok))
        lab_row = list(lab) if lab is not None else [None] * len(s)
        for i, (v, y) in enumerate(zip(s, lab_row, strict=True)):
            positions.append(i + 1)
            step_scores.append(v)
            position.setdefault(_bucket(i + 1), []).append((v, y))
            if y is not None:
                lab_s.append(v)
                lab_y.append(float(y))
    order = sorted(length, key=lambda k: int(k.split("-")[0].rstrip("+")))
    out: dict[str, Any] = {
        "solutions": len(sizes),
        "steps": len(step_scores),
        "min_on_last_step": {"share": min_last / with_two if with_two else None, "n": with_two},
        "length": {
            "corr_last": _pearson(sizes, lasts),
            "corr_min": _pearson(sizes, mins),
            "buckets": [
                {
                    "steps": k, "n": len(length[k]),
                    "mean_last": _mean([a for a, _, _ in length[k]]),
                    "mean_min": _mean([b for _, b, _ in length[k]]),
                    "accuracy": _mean([float(c) for _, _, c in length[k] if c is not None]),
                }
                for k in order
            ],
        },
        "position": {
            "corr": _pearson(positions, step_scores),
            "buckets": [
                {
                    "step": k, "n": len(position[k]),
                    "mean_score": _mean([v for v, _ in position[k]]),
                    "mean_label": _mean([float(y) for _, y in position[k] if y is not None]),
                }
                for k in sorted(position, key=lambda k: int(k.split("-")[0].rstrip("+")))
            ],
        },
    }
    if lab_s:
        out["steps_vs_labels"] = _step_metrics(np.asarray(lab_s), np.asarray(lab_y), threshold)
    return out


def candidate_lessons(cset: CandidateSet, *, threshold: float = 0.5) -> dict[str, Any]:
    """:func:`lessons` of every candidate with one score per step (outcome-only scores are left out),
    with its ``step_labels`` where it has them.

    >>> from prmkit.answers import Answer
    >>> from prmkit.data.candidates import Candidate, CandidateProblem
    >>> c = Candidate(("a", "b"), Answer.of("1"), True, (0.9, 0.3))
    >>> candidate_lessons(CandidateSet((CandidateProblem("p", "?", (c,)),)))["min_on_last_step"]
    {'share': 1.0, 'n': 1}
    """
    scores, labels, correct = [], [], []
    for p in cset.problems:
        for c in p.candidates:
            if c.step_scores is not None and len(c.step_scores) == len(c.steps):
                scores.append(c.step_scores)
                labels.append(c.step_labels)
                correct.append(c.correct)
    return lessons(scores, labels, correct, threshold=threshold)
