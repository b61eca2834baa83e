"""Each live search on a stub policy and PRM whose step scores are known from the seeds: the outcome shows
the method's defining mechanism (see tests/_search_stub.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _search_stub import StepPolicy, ValuePRM

from prmkit.generation import Sampling
from prmkit.runtime import LocalRunner
from prmkit.search.adaptive import Adaptive, Calibration
from prmkit.search.beam import BeamSearch, EarlyRejection
from prmkit.search.block import BlockSearch
from prmkit.search.bon import BestOfN
from prmkit.search.dvts import DVTS, PATS, Greedy
from prmkit.search.live import run_search
from prmkit.search.particle import ParticleFilter, systematic
from prmkit.types import Problem

PROBLEMS = [Problem(f"p{i}", f"What is number {i}?", str(10 + i)) for i in range(4)]
SAMPLING = Sampling(temperature=0.8, max_tokens=64)


def policy(**kw: object) -> StepPolicy:
    return StepPolicy({p.problem: p.reference for p in PROBLEMS}, **kw)  # type: ignore[arg-type]


def search(method, tmp_path, *, problems=PROBLEMS, pol=None, **kw):  # type: ignore[no-untyped-def]
    pol = pol or policy()
    prm = ValuePRM()
    run = run_search(problems, method, LocalRunner(pol), prm, tmp_path / "run", sampling=SAMPLING, **kw)
    return run, pol, prm


def by_iteration(rec: dict) -> dict[int, list[dict]]:  # type: ignore[type-arg]
    out: dict[int, list[dict]] = {}  # type: ignore[type-arg]
    for node in rec["tree"]:
        out.setdefault(node["n_steps"], []).append(node)
    return out


def test_beam_keeps_the_top_scores_of_every_iteration(tmp_path):
    run, pol, prm = search(BeamSearch(n=8, width=4), tmp_path)
    for rec in run.results:
        for nodes in by_iteration(rec).values():
            kept = [n["score"] for n in nodes if n["status"] == "kept"]
            pruned = [n["score"] for n in nodes if n["status"] == "pruned"]
            if kept and pruned:
                assert min(kept) >= max(pruned)
            assert len(kept) <= 2  # n / width beams survive
        cands = rec["candidates"]
        assert rec["chosen"] == cands[0]["node"] and cands[0]["score"] == max(c["score"] for c in cands)
    # every round's beams of all four problems went to the policy and the PRM together
    assert max(pol.batches) == 4 * 8 and max(prm.calls) == 4 * 8


def test_dvts_subtrees_never_share_beams(tmp_path):
    run, _, _ = search(DVTS(n=8, width=2), tmp_path)
    for rec in run.results:
        nodes = {n["id"]: n for n in rec["tree"]}
        subtrees = {n["subtree"] for n in nodes.values()}
        assert subtrees == {0, 1, 2, 3}
        for n in nodes.values():
            parent = nodes.get(n["parent"])
            if parent is not None:
                assert parent["subtree"] == n["subtree"]
            siblings = [m for m in nodes.values() if m["parent"] == n["parent"] and m["subtree"] == n["subtree"]]
            assert len(siblings) == 2  # width candidates per subtree per step
        for nodes_d in by_iteration(rec).values():
            for s in subtrees:  # exactly one kept (or finished) node per subtree per step
                mine = [n for n in nodes_d if n["subtree"] == s]
                assert not mine or sum(n["status"] in ("kept", "final") for n in mine) >= 1
                best = max(n["score"] for n in mine) if mine else None
                assert all(n["score"] == best for n in mine if n["status"] == "kept")


def test_particle_resampling_follows_the_weights():
    w = np.array([0.5, 0.25, 0.125, 0.125])
    picks = systematic(w, np.random.default_rng(3))
    assert [picks.count(i) for i in range(4)] == [2, 1, 0, 1] or [picks.count(i) for i in range(4)] == [2, 1, 1, 0]
    counts = np.zeros(4)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        for i in systematic(w, rng):
            counts[i] += 1
    assert np.allclose(counts / counts.sum(), w, atol=0.01)


def test_particle_filter_resamples_toward_high_scores(tmp_path):
    run, _, _ = search(ParticleFilter(n=8, temperature=0.05, ess=1.0), tmp_path)
    for rec in run.results:
        assert rec["info"]["resamples"] >= 1
        nodes = {n["id"]: n for n in rec["tree"]}
        first = [n for n in nodes.values() if n["n_steps"] == 1]
        children_of = {n["parent"] for n in nodes.values() if n["n_steps"] == 2}
        survivors = [n for n in first if n["id"] in children_of]
        # with a sharp temperature, the step-1 particles that reproduce are the best-scored ones
        assert max(n["score"] for n in survivors) == max(n["score"] for n in first)
        assert min(n["score"] for n in survivors) >= np.median([n["score"] for n in first])


def test_early_rejection_drops_low_partial_beams_and_counts_the_tokens_saved(tmp_path):
    run, _, _ = search(EarlyRejection(n=8, width=4, tau=4, step_tokens=20), tmp_path)
    for rec in run.results:
        info = rec["info"]
        assert info["rejected"] > 0 and info["tokens_saved_estimate"] > 0
        rejected = [n for n in rec["tree"] if n["status"] == "rejected"]
        assert rejected and all("partial" in n for n in rejected)
        for nodes in by_iteration(rec).values():
            partial = [n for n in nodes if "partial" in n]
            lo = [n["score"] for n in partial if n["status"] == "rejected"]
            hi = [n["score"] for n in partial if n["status"] == "completed"]
            if lo and hi:
                assert min(hi) >= max(lo)
    beam, _, _ = search(BeamSearch(n=8, width=4, step_tokens=20), tmp_path / "beam")
    ours = sum(r["compute"]["policy_tokens"] for r in run.results)
    theirs = sum(r["compute"]["policy_tokens"] for r in beam.results)
    assert ours < theirs


def test_adaptive_spends_less_on_easy_problems(tmp_path):
    cal = Calibration.fit([0.2, 0.9], successes=[10, 97], trials=[100, 100])
    easy = Problem("easy", "What is number 0?", "10")
    hard = Problem("hard", "What is number 1?", "11")
    pol = StepPolicy({easy.problem: "10", hard.problem: "11"}, bias={easy.problem: 0.9})
    run, _, _ = search(Adaptive(n=16, n_min=2), tmp_path, problems=[easy, hard], pol=pol, calibration=cal)
    got = {r["id"]: r for r in run.results}
    assert got["easy"]["info"]["budget"] == 2 and len(got["easy"]["candidates"]) == 2
    assert got["hard"]["info"]["budget"] > 4 and len(got["hard"]["candidates"]) == got["hard"]["info"]["budget"]
    assert got["easy"]["compute"]["policy_tokens"] < got["hard"]["compute"]["policy_tokens"]


def test_best_of_n_pools_are_nested(tmp_path):
    four, _, _ = search(BestOfN(n=4), tmp_path / "a")
    eight, _, _ = search(BestOfN(n=8), tmp_path / "b")
    for a, b in zip(four.results, eight.results, strict=True):
        first = sorted(b["candidates"], key=lambda c: c["node"])[:4]
        assert [c["steps"] for c in sorted(a["candidates"], key=lambda c: c["node"])] == [c["steps"] for c in first]


@pytest.mark.parametrize("method", [Greedy(n=4), PATS(), BlockSearch(n=4, width=2, block=5)])
def test_every_method_reaches_an_answer(tmp_path, method):
    run, _, _ = search(method, tmp_path)
    for rec in run.results:
        assert rec["answer"] is not None and rec["candidates"]
        assert rec["compute"]["policy_tokens"] > 0 and rec["compute"]["prm_tokens"] > 0
        assert math.isfinite(rec["candidates"][0]["score"])


def test_adaptive_takes_any_scoring_calibrator(tmp_path):
    from prmkit.scoring.calibration import IsotonicCalibrator

    easy = Problem("easy", "What is number 0?", "10")
    pol = StepPolicy({easy.problem: "10"}, bias={easy.problem: 0.9})
    cal = IsotonicCalibrator((0.0, 0.5), (0.05, 0.99))  # scores >= 0.5 succeed 99 % of the time
    run, _, _ = search(Adaptive(n=16, n_min=2), tmp_path, problems=[easy], pol=pol, calibration=cal)
    assert run.results[0]["info"]["budget"] == 2


def test_default_particle_weights_are_log_odds_and_resample_confident_scores():
    from types import SimpleNamespace

    from prmkit.search.particle import ess

    scores = [0.9999, 0.99, 0.95, 0.5]
    pf = ParticleFilter(n=4)
    w = pf.weights([SimpleNamespace(score=s) for s in scores])
    odds = np.array([s / (1 - s) for s in scores])
    assert np.allclose(w, odds / odds.sum())
    assert ess(w) < pf.ess * pf.n  # a PRM this sure of one particle triggers resampling at the defaults
    raw = ParticleFilter(n=4, weight="score").weights([SimpleNamespace(score=s) for s in scores])
    assert np.allclose(raw, np.exp(scores) / np.exp(scores).sum()) and ess(raw) > 3.8  # nearly uniform: never below n / 2
    with pytest.raises(ValueError, match="weight='score'"):
        pf.weights([SimpleNamespace(score=1.5), SimpleNamespace(score=0.5)])
    assert pf.weights([SimpleNamespace(score=float("nan")), SimpleNamespace(score=0.5)]).tolist() == [0.0, 1.0]


def test_particle_filter_resamples_at_its_defaults(tmp_path):
    run, _, _ = search(ParticleFilter(n=8), tmp_path)
    assert sum(rec["info"]["resamples"] for rec in run.results) >= 1
