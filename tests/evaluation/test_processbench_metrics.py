"""ProcessBench metrics and thresholds, checked against B1's vectors and a brute-force reference."""

from __future__ import annotations

import math
import random

import pytest

from prmkit.evaluation import (
    SplitMetrics,
    candidate_thresholds,
    fit_threshold,
    harmonic_f1,
    mean_f1,
    metrics_at_thresholds,
    predict_first_error,
    split_metrics,
    weighted_f1,
)


def test_b1_vectors() -> None:
    assert round(harmonic_f1(72.0, 96.4), 2) == 82.43
    assert round(harmonic_f1(0.720, 0.964), 4) == 0.8243
    assert predict_first_error([0.9, 0.3, 0.8], 0.5) == 1
    assert predict_first_error([0.9, 0.3, 0.8], 0.2) == -1
    assert predict_first_error([0.5, 0.5], 0.5) == -1  # strictly below
    assert harmonic_f1(0.0, 0.0) == 0.0


def test_paper_average_is_the_unweighted_mean_and_differs_from_the_weighted_one() -> None:
    # Qwen2.5-Math-PRM-7B, B1: err/cor 72.0/96.4, 68.0/90.4, 55.7/85.5, 55.2/83.0 -> paper 73.5, weighted ~71.9
    accs = {
        "gsm8k": (72.0, 96.4, 400),
        "math": (68.0, 90.4, 1000),
        "olympiadbench": (55.7, 85.5, 1000),
        "omnimath": (55.2, 83.0, 1000),
    }
    metrics = {
        k: SplitMetrics(n, 0, 0, 0, e / 100, c / 100, harmonic_f1(e / 100, c / 100))
        for k, (e, c, n) in accs.items()
    }
    assert round(100 * mean_f1(metrics), 1) == 73.5
    assert round(100 * weighted_f1(metrics), 1) == 71.9


def test_split_metrics_counts_failures_as_wrong() -> None:
    m = split_metrics([2, 2, -1, -1, -1], [2, None, -1, None, 0])
    assert (m.n, m.n_error, m.n_correct, m.n_failed) == (5, 2, 3, 2)
    assert m.error_acc == 0.5 and m.correct_acc == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def naive(labels: list[int], scores: list[list[float] | None], tau: float) -> SplitMetrics:
    preds = [None if s is None else predict_first_error(s, tau) for s in scores]
    return split_metrics(labels, preds)


def random_split(rng: random.Random, n: int) -> tuple[list[int], list[list[float] | None]]:
    labels, scores = [], []
    for _ in range(n):
        steps = rng.randint(1, 6)
        labels.append(rng.choice([-1, rng.randrange(steps)]))
        row = [rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, rng.random()]) for _ in range(steps)]
        if rng.random() < 0.05:
            row[0] = math.nan
        scores.append(None if rng.random() < 0.05 else row)
    return labels, scores


@pytest.mark.parametrize("seed", range(5))
def test_fast_thresholds_equal_the_brute_force_reference(seed: int) -> None:
    rng = random.Random(seed)
    labels, scores = random_split(rng, 300)
    taus = [*candidate_thresholds(scores, grid=[0.0, 0.5, 1.0, 2.0]), 0.25, 0.75, -1.0]
    fast = metrics_at_thresholds(labels, scores, taus)
    assert fast == [naive(labels, scores, t) for t in taus]


def test_fit_threshold_maximises_f1_over_the_candidates() -> None:
    rng = random.Random(7)
    labels, scores = random_split(rng, 200)
    tau, best = fit_threshold(labels, scores, grid=[0.5])
    every = {t: naive(labels, scores, t).f1 for t in candidate_thresholds(scores, [0.5])}
    assert best.f1 == max(every.values())
    assert tau == min(t for t, f in every.items() if f == best.f1)
    assert best == naive(labels, scores, tau)


def test_candidates_are_midpoints_plus_grid_and_fit_falls_back_to_default() -> None:
    assert candidate_thresholds([[1.0, 0.0], None, [0.5]], grid=[0.9]) == [0.25, 0.75, 0.9]
    tau, m = fit_threshold([-1], [[1.0]], default=0.3)
    assert tau == 0.3 and m.correct_acc == 1.0
