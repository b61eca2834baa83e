"""ECE, Brier and reliability bins against a literal computation written out here, and a golden file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from _golden import update_golden

from prmkit.evaluation.calibration import bin_index, brier, calibration_metrics, ece, reliability

GOLDEN = Path(__file__).parent / "golden" / "calibration.json"

SCORES = [0.02, 0.15, 0.15, 0.33, 0.41, 0.5, 0.58, 0.6, 0.72, 0.77, 0.85, 0.9, 0.97, 1.0, 0.0, 0.25]
LABELS = [0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0]
MC = [0.0, 0.125, 0.25, 0.25, 0.5, 0.375, 0.5, 0.75, 0.625, 0.75, 0.875, 1.0, 0.875, 1.0, 0.0, 0.125]


def _literal_ece_width(scores: list[float], targets: list[float], n_bins: int) -> float:
    """ECE = sum_b |b|/n * |acc_b - conf_b| over bins [b/B, (b+1)/B), the last closed."""
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        members = [i for i, s in enumerate(scores) if lo <= s < hi or (b == n_bins - 1 and s == 1.0)]
        if members:
            conf = sum(scores[i] for i in members) / len(members)
            acc = sum(targets[i] for i in members) / len(members)
            total += len(members) / len(scores) * abs(acc - conf)
    return total


def _literal_ece_mass(scores: list[float], targets: list[float], n_bins: int) -> float:
    """Equal mass: bin k is the k-th run of about n/B sorted scores; a score tied with a bin's last joins it."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ends = [scores[order[min(max(round(k * len(scores) / n_bins) - 1, 0), len(scores) - 1)]]
            for k in range(1, n_bins)]
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(scores):
        groups.setdefault(sum(e < s for e in ends), []).append(i)
    return sum(len(g) / len(scores) * abs(sum(targets[i] for i in g) / len(g) - sum(scores[i] for i in g) / len(g))
               for g in groups.values())


def _literal_brier(scores: list[float], targets: list[float]) -> float:
    return sum((s - t) ** 2 for s, t in zip(scores, targets, strict=True)) / len(scores)


@pytest.mark.parametrize("targets", [LABELS, MC], ids=["labels", "mc"])
@pytest.mark.parametrize("n_bins", [1, 4, 10, 15])
def test_metrics_equal_the_literal_computation(targets: list[float], n_bins: int) -> None:
    t = [float(x) for x in targets]
    assert ece(SCORES, t, n_bins) == pytest.approx(_literal_ece_width(SCORES, t, n_bins), abs=1e-12)
    assert ece(SCORES, t, n_bins, "mass") == pytest.approx(_literal_ece_mass(SCORES, t, n_bins), abs=1e-12)
    assert brier(SCORES, t) == pytest.approx(_literal_brier(SCORES, t), abs=1e-12)


def test_hand_worked_values() -> None:
    # two bins of width 0.5: {0.2, 0.4} observed 0.5 vs 0.3; {0.6, 1.0} observed 1 vs 0.8
    assert ece([0.2, 0.4, 0.6, 1.0], [0, 1, 1, 1], bins=2) == pytest.approx(0.5 * 0.2 + 0.5 * 0.2)
    assert brier([0.2, 0.4, 0.6, 1.0], [0, 1, 1, 1]) == pytest.approx((0.04 + 0.36 + 0.16 + 0) / 4)
    assert ece([0.7] * 10, [1] * 7 + [0] * 3) == pytest.approx(0.0)  # a perfectly calibrated constant


def test_equal_mass_bins_hold_about_equally_many_and_keep_ties_together() -> None:
    counts = np.bincount(bin_index(np.linspace(0, 1, 100), 10, "mass"), minlength=10)
    assert counts.tolist() == [10] * 10
    idx = bin_index([0.0] * 6 + [1.0] * 4, 5, "mass")
    assert len(set(idx[:6].tolist())) == 1 and len(set(idx[6:].tolist())) == 1
    assert len({b.mean_score for b in reliability([0.0] * 6 + [1.0] * 4, [0] * 10, 5, "mass")}) == 2


def test_reliability_bins_partition_the_predictions() -> None:
    rel = reliability(SCORES, LABELS, 4)
    assert sum(b.count for b in rel) == len(SCORES)
    assert [b.count for b in rel] == [4, 3, 4, 5]
    assert rel[0].observed == pytest.approx(1 / 4) and rel[0].mean_score == pytest.approx(0.32 / 4)
    assert (rel[0].low, rel[0].high) == (0.0, 0.15)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match=r"1\.5 at position 1"):
        ece([0.2, 1.5], [0, 1])
    with pytest.raises(ValueError, match="target nan"):
        brier([0.2, 0.5], [0, math.nan])
    with pytest.raises(ValueError, match="2 scores for 1 targets"):
        brier([0.2, 0.5], [0])
    with pytest.raises(ValueError, match="bins"):
        ece([0.2], [1], bins=0)


def _rounded(x: object) -> object:
    if isinstance(x, float):
        return round(x, 12)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def test_golden() -> None:
    doc = {
        name: {**calibration_metrics(SCORES, t, 10).to_json(),
               "reliability": [vars(b) for b in reliability(SCORES, t, 10)]}
        for name, t in (("labels", LABELS), ("mc", MC))
    }
    text = json.dumps(_rounded(doc), indent=1, sort_keys=True) + "\n"
    update_golden(GOLDEN, text)
    assert json.loads(GOLDEN.read_text(encoding="utf-8")) == json.loads(text)
