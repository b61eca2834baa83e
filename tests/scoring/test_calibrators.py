"""Post-hoc calibrators against independent fits written out here, and the calibrated scorer's contract."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from prmkit.errors import ConfigError, DataFormatError
from prmkit.scoring import (
    CalibratedScorer,
    IsotonicCalibrator,
    PlattCalibrator,
    Scorer,
    fit_calibrator,
    load_calibrator,
    load_prm,
    scorer_info,
)
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.calibration import calibrator_from_json, save_calibrator
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

RNG = np.random.default_rng(7)
SCORES = np.round(RNG.uniform(0, 1, 60), 2)  # rounded: many ties
MC = np.clip(np.round(SCORES * 0.6 + RNG.normal(0, 0.2, 60), 3), 0, 1)


def _literal_isotonic(x: Sequence[float], y: Sequence[float]) -> dict[float, float]:
    """Min-max formula of isotonic regression on the distinct scores (count-weighted means):
    fit(u_i) = max over j <= i of min over k >= i of mean(y over u_j..u_k)."""
    u = sorted(set(x))
    tot = [sum(t for s, t in zip(x, y, strict=True) if s == v) for v in u]
    cnt = [sum(1 for s in x if s == v) for v in u]
    out = {}
    for i in range(len(u)):
        out[u[i]] = max(min(sum(tot[j : k + 1]) / sum(cnt[j : k + 1]) for k in range(i, len(u)))
                        for j in range(i + 1))
    return out


@pytest.mark.parametrize("targets", [MC, (MC > 0.4).astype(float)], ids=["mc", "labels"])
def test_isotonic_equals_the_min_max_formula(targets: np.ndarray) -> None:
    cal = IsotonicCalibrator.fit(SCORES, targets)
    want = _literal_isotonic(SCORES.tolist(), targets.tolist())
    got = cal.apply(sorted(want))
    assert got.tolist() == pytest.approx([want[u] for u in sorted(want)], abs=1e-12)
    assert all(a <= b for a, b in itertools.pairwise(cal.values))


def test_isotonic_pools_ties_before_violators() -> None:
    # equal scores with targets 1 then 0: in input order a pass without pooling would keep them apart
    cal = IsotonicCalibrator.fit([0.5, 0.5, 0.9], [1, 0, 1])
    assert cal.starts == (0.5, 0.9) and cal.values == (0.5, 1.0)
    assert cal.apply([0.5, 0.5]).tolist() == [0.5, 0.5]


def _literal_log_loss(a: float, b: float, scores: Sequence[float], targets: Sequence[float]) -> float:
    total = 0.0
    for s, t in zip(scores, targets, strict=True):
        c = min(max(s, 1e-6), 1 - 1e-6)
        p = 1 / (1 + math.exp(-(a * math.log(c / (1 - c)) + b)))
        total -= t * math.log(p) + (1 - t) * math.log(1 - p)
    return total / len(scores)


@pytest.mark.parametrize("kind", ["platt", "temperature"])
def test_platt_is_the_log_loss_minimum(kind: str) -> None:
    """No point of a fine grid around the fit (a, and b for Platt) has a lower log loss, computed literally."""
    cal = fit_calibrator(kind, SCORES.tolist(), MC.tolist())
    assert isinstance(cal, PlattCalibrator) and (cal.b == 0.0) == (kind == "temperature")
    best = _literal_log_loss(cal.a, cal.b, SCORES.tolist(), MC.tolist())
    steps = [-1e-2, -1e-3, 0.0, 1e-3, 1e-2]
    for da, db in itertools.product(steps, steps if kind == "platt" else [0.0]):
        assert best <= _literal_log_loss(cal.a + da, cal.b + db, SCORES.tolist(), MC.tolist()) + 1e-9
    assert 0.1 < cal.a < 2  # MC ~ 0.6 * score + noise: flatter than the identity


def test_platt_is_finite_on_separable_data() -> None:
    cal = PlattCalibrator.fit([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    assert np.isfinite([cal.a, cal.b]).all()
    assert cal.apply([0.1])[0] < 0.01 and cal.apply([0.9])[0] > 0.99


@pytest.mark.parametrize("kind", ["platt", "temperature", "isotonic"])
def test_save_load_round_trip(kind: str, tmp_path: Path) -> None:
    cal = fit_calibrator(kind, SCORES, MC)
    save_calibrator(cal, tmp_path / "c.json")
    back = load_calibrator(tmp_path / "c.json")
    assert back == cal
    assert back.apply(SCORES).tolist() == cal.apply(SCORES).tolist()
    assert calibrator_from_json(json.loads(json.dumps(cal.to_json()))) == cal


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown calibrator 'beta'"):
        fit_calibrator("beta", [0.5], [1])
    with pytest.raises(ConfigError, match="equally many"):
        fit_calibrator("isotonic", [0.5, 0.2], [1])
    with pytest.raises(ConfigError, match="targets in"):
        fit_calibrator("platt", [0.5], [2])
    (tmp_path / "bad.json").write_text('{"kind": "isotonic", "starts": [0.1], "values": []}')
    with pytest.raises(DataFormatError, match=r"bad\.json"):
        load_calibrator(tmp_path / "bad.json")


class Fixed:
    """Scores each step 0.2, 0.6, 0.2, ...; fails a solution whose first step is 'fail'."""

    identity = "fixed-v1"

    def __init__(self) -> None:
        self.calls = 0

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        self.calls += 1
        return [ScoreFailure("backend_error", "asked to", s.id) if s.steps[0] == "fail"
                else StepScores(tuple(0.2 if i % 2 == 0 else 0.6 for i in range(s.n_steps)), tokens=3)
                for s in solutions]


def test_calibrated_scorer_maps_scores_and_passes_failures() -> None:
    cal = IsotonicCalibrator((0.0, 0.5), (0.1, 0.7))
    prm = CalibratedScorer(Fixed(), cal)
    assert isinstance(prm, Scorer)
    out = prm.score([Solution("?", ("a", "b", "c")), Solution("?", ("fail",), id="x")])
    assert out[0] == StepScores((0.1, 0.7, 0.1), tokens=3)
    assert isinstance(out[1], ScoreFailure) and out[1].id == "x"


def test_identity_names_the_calibrator_and_info_is_declared() -> None:
    a = CalibratedScorer(Fixed(), IsotonicCalibrator((0.0,), (0.3,)))
    b = CalibratedScorer(Fixed(), IsotonicCalibrator((0.0,), (0.4,)))
    assert a.identity.startswith("fixed-v1|calibrated-isotonic:") and a.identity != b.identity
    info = scorer_info(a)
    assert (info.identity, info.threshold, info.causal) == (a.identity, 0.5, True)
    arith = CalibratedScorer(load_prm("arith"), PlattCalibrator(1.0, 0.0))
    assert scorer_info(arith).causal == scorer_info(load_prm("arith")).causal


def test_cache_keeps_calibrated_and_raw_scores_apart(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    inner = Fixed()
    sol = [Solution("?", ("a", "b"))]
    raw = CachedScorer(inner, path).score(sol)[0]
    calibrated = CachedScorer(CalibratedScorer(inner, PlattCalibrator(1.0, 1.0)), path).score(sol)[0]
    assert isinstance(raw, StepScores) and isinstance(calibrated, StepScores)
    assert raw.scores == (0.2, 0.6) and calibrated.scores != raw.scores and inner.calls == 2
