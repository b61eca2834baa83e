"""Best-of-N evaluation: parity with the files' own numbers, exact subset averages, CIs, settings."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from prmkit.answers import Answer, NoAnswer, as_answer
from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet, load_candidates
from prmkit.errors import ConfigError, DataFormatError
from prmkit.evaluation.bon import BonConfig, evaluate_bon
from prmkit.search.aggregate import Aggregator
from prmkit.search.select import select


@pytest.fixture
def math_cot(shared_data: Path) -> Path:
    return shared_data / "bon_qwen25math_math_cot_100" / "math_cot_100.jsonl"


def acc(res, selector: str, n: int, aggregator: str | None = None) -> float:  # type: ignore[no-untyped-def]
    rows = [
        r
        for r in res.rows
        if r.selector == selector
        and r.n == n
        and (aggregator is None or r.aggregator in (aggregator, None))
    ]
    assert len(rows) == 1, rows
    return rows[0].accuracy


# ---- parity with an independent recomputation from the file ------------------------


def test_math_cot_rm8_maj8_pass8_equal_the_files_own(math_cot: Path) -> None:
    rows = [
        json.loads(line)
        for line in math_cot.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rm = maj = oracle = 0
    for r in rows:  # Qwen2.5-Math rm_maj_eval.py semantics: first max score, Counter.most_common
        flat = [s[0] for s in r["pred_score"]]
        rm += r["score"][flat.index(max(flat))]
        top = Counter(r["pred"]).most_common(1)[0][0]
        maj += r["score"][r["pred"].index(top)]
        oracle += any(r["score"])
    assert (rm, maj, oracle) == (94, 93, 96)  # golden: SOURCES.md notes RM@8 94, pass@8 96

    res = evaluate_bon(
        load_candidates(math_cot),
        ["best_of_n", "majority", "pass_at_n"],
        ["last"],
        BonConfig(n_bootstrap=200),
    )
    assert acc(res, "best_of_n", 8) == rm / len(rows)
    assert acc(res, "majority", 8) == maj / len(rows)
    assert acc(res, "pass_at_n", 8) == oracle / len(rows)


def test_pass_at_n_equals_the_unbiased_estimator(math_cot: Path) -> None:
    cs = load_candidates(math_cot)
    res = evaluate_bon(cs, ["pass_at_n", "best_of_n"], ["last"], BonConfig(n_bootstrap=0))
    for n in (1, 2, 4, 8):
        expected = np.mean(
            [
                1 - math.comb(8 - c, n) / math.comb(8, n)
                for c in (sum(bool(x.correct) for x in p.candidates) for p in cs.problems)
            ]
        )
        assert acc(res, "pass_at_n", n) == pytest.approx(expected, abs=1e-12)
    mean_acc = np.mean([c.correct for p in cs.problems for c in p.candidates])
    assert acc(res, "best_of_n", 1) == pytest.approx(mean_acc, abs=1e-12)  # N = 1 is plain accuracy


def test_gsm8k_example_solutions(shared_data: Path) -> None:
    cs = load_candidates(shared_data / "gsm8k" / "example_model_solutions.jsonl")
    res = evaluate_bon(cs, ["majority", "pass_at_n"], config=BonConfig(n_bootstrap=0))
    any_correct = np.mean([any(c.correct for c in p.candidates) for p in cs.problems])
    mean_acc = np.mean([c.correct for p in cs.problems for c in p.candidates])
    assert acc(res, "pass_at_n", 4) == pytest.approx(any_correct)
    assert acc(res, "majority", 1) == pytest.approx(mean_acc)  # (0.217 + 0.390 + 0.347 + 0.563) / 4
    assert mean_acc == pytest.approx((0.217 + 0.390 + 0.347 + 0.563) / 4, abs=1e-3)


# ---- subsets, seeds, intervals, comparisons -----------------------------------------


def _toy(n_problems: int = 30, n: int = 16, seed: int = 0) -> CandidateSet:
    rng = np.random.default_rng(seed)
    probs = []
    for p in range(n_problems):
        cands = []
        for _ in range(n):
            ans = str(rng.integers(0, 4))
            s = float(rng.random())
            cands.append(
                Candidate(
                    ("s",), Answer.of(ans), ans == "0", (s,), policy_tokens=100, verifier_tokens=120
                )
            )
        probs.append(CandidateProblem(str(p), "?", tuple(cands)))
    return CandidateSet(tuple(probs))


def test_random_subsets_are_seeded() -> None:
    cs = _toy()
    cfg = BonConfig(ns=(4,), n_subsets=50, n_bootstrap=100)
    a = evaluate_bon(cs, ["best_of_n", "majority"], config=cfg)
    b = evaluate_bon(cs, ["best_of_n", "majority"], config=cfg)
    c = evaluate_bon(
        cs,
        ["best_of_n", "majority"],
        config=BonConfig(ns=(4,), n_subsets=50, n_bootstrap=100, seed=1),
    )
    assert a.rows == b.rows
    assert a.rows != c.rows
    assert a.rows[0].n_subsets == 50  # C(16, 4) = 1820 > 50: sampled
    # the selectors saw the same subsets: evaluating one alone gives the same number
    alone = evaluate_bon(cs, ["majority"], config=cfg)
    assert acc(alone, "majority", 4) == acc(a, "majority", 4)


def test_bootstrap_interval_matches_normal_approximation(math_cot: Path) -> None:
    res = evaluate_bon(
        load_candidates(math_cot), ["majority"], config=BonConfig(ns=(8,), n_bootstrap=4000)
    )
    row = res.rows[0]
    se = math.sqrt(row.accuracy * (1 - row.accuracy) / row.n_problems)
    assert row.ci_low < row.accuracy < row.ci_high
    assert row.ci_low == pytest.approx(row.accuracy - 1.96 * se, abs=0.015)
    assert row.ci_high == pytest.approx(row.accuracy + 1.96 * se, abs=0.015)
    assert (row.ci_low, row.ci_high) == pytest.approx((0.88, 0.97))  # golden, seed 0


def test_paired_comparison() -> None:
    res = evaluate_bon(
        _toy(), ["best_of_n", "majority"], config=BonConfig(n_subsets=200, n_bootstrap=500)
    )
    for c in res.compare("best_of_n", "majority"):
        assert c.difference == pytest.approx(acc(res, "best_of_n", c.n) - acc(res, "majority", c.n))
        assert c.ci_low <= c.difference <= c.ci_high
    same = res.compare("majority", "majority")
    assert all((c.difference, c.ci_low, c.ci_high, c.a_better) == (0.0, 0.0, 0.0, 0) for c in same)
    with pytest.raises(ConfigError, match="no result"):
        res.compare("wrfv", "majority")


def test_compute_accounting(math_cot: Path) -> None:
    res = evaluate_bon(
        _toy(), ["best_of_n", "majority"], config=BonConfig(ns=(1, 4), n_bootstrap=0)
    )
    by = {(r.selector, r.n): r for r in res.rows}
    assert (by[("best_of_n", 4)].policy_tokens, by[("best_of_n", 4)].verifier_tokens) == (
        400.0,
        480.0,
    )
    assert (by[("majority", 4)].policy_tokens, by[("majority", 4)].verifier_tokens) == (400.0, 0.0)
    res = evaluate_bon(
        load_candidates(math_cot), ["best_of_n"], config=BonConfig(ns=(2,), n_bootstrap=0)
    )
    assert res.rows[0].policy_tokens is None  # unknown, not zero


def test_json_fields() -> None:
    res = evaluate_bon(_toy(5, 4), ["majority"], config=BonConfig(n_bootstrap=10))
    doc = res.to_json(res.compare("majority", "majority"))
    assert set(doc["results"][0]) >= {
        "selector",
        "aggregator",
        "n",
        "accuracy",
        "ci_low",
        "ci_high",
    }
    json.dumps(doc)


# ---- every aggregator setting reaches every selector --------------------------------


def _agg_case() -> CandidateSet:
    # c0 wrong: min .2 / last .95 / window 2 -> .575 / window 3 -> .7
    # c1 right: min .6 / last .7  / window 2 -> .65  / window 3 -> .667
    # c2 wrong: low everywhere; three distinct answers keep hmrv on its best-of-N branch
    cands = (
        Candidate(("a", "b", "c"), Answer.of("1"), False, (0.2, 0.95, 0.95)),
        Candidate(("a", "b", "c"), Answer.of("2"), True, (0.6, 0.7, 0.7)),
        Candidate(("a", "b", "c"), Answer.of("3"), False, (0.1, 0.1, 0.1)),
    )
    return CandidateSet((CandidateProblem("p", "?", cands),))


@pytest.mark.parametrize("selector", ["best_of_n", "weighted_sum", "weighted_max", "hmrv", "wrfv"])
def test_aggregator_setting_changes_the_result(selector: str) -> None:
    cs = _agg_case()
    aggs = ["min", "last", "window_min:2", "window_min:3"]
    res = evaluate_bon(cs, [selector], aggs, BonConfig(ns=(3,), n_bootstrap=0))
    got = {r.aggregator: r.accuracy for r in res.rows}
    assert got == {"min": 1.0, "last": 0.0, "window_min:2": 1.0, "window_min:3": 0.0}
    # the per-problem API agrees
    cands = cs.problems[0].candidates
    for agg, ok in got.items():
        scores = [Aggregator.parse(agg)(c.step_scores or ()) for c in cands]
        assert (select(selector, [c.answer for c in cands], scores).index == 1) == bool(ok)


def test_transform_changes_weighted_sum() -> None:
    # raw: "x" 0.9 vs "y" 0.3 + 0.3 = 0.6; sigmoid: 0.711 vs 0.574 + 0.574 = 1.149
    cands = (
        Candidate(("s",), Answer.of("x"), True, (0.9,)),
        Candidate(("s",), Answer.of("y"), False, (0.3,)),
        Candidate(("s",), Answer.of("y"), False, (0.3,)),
    )
    res = evaluate_bon(
        CandidateSet((CandidateProblem("p", "?", cands),)),
        ["weighted_sum"],
        ["last", "sigmoid:last"],
        BonConfig(ns=(3,), n_bootstrap=0),
    )
    assert {r.aggregator: r.accuracy for r in res.rows} == {"last": 1.0, "sigmoid:last": 0.0}


# ---- grading, missing data, bad settings -------------------------------------------


def test_correctness_is_graded_when_the_file_has_none() -> None:
    cands = (
        Candidate(("s",), as_answer("0.5")),
        Candidate(("s",), NoAnswer("no_marker")),
        Candidate(("s",), as_answer("3")),
    )
    cs = CandidateSet((CandidateProblem("p", "?", cands, reference=r"\frac{1}{2}"),))
    res = evaluate_bon(cs, ["pass_at_n", "majority"], config=BonConfig(ns=(1, 3), n_bootstrap=0))
    assert acc(res, "pass_at_n", 1) == pytest.approx(1 / 3)
    assert (
        acc(res, "majority", 3) == 1.0
    )  # the missing answer does not vote; tie -> first seen "0.5"
    no_ref = CandidateSet((CandidateProblem("p", "?", cands),))
    with pytest.raises(DataFormatError, match="no correctness"):
        evaluate_bon(no_ref, ["majority"])


def test_all_wrong_set_scores_zero_everywhere() -> None:
    cands = tuple(
        Candidate(("s",), Answer.of(str(i % 2)), False, (0.5 + i / 10,)) for i in range(4)
    )
    res = evaluate_bon(
        CandidateSet((CandidateProblem("p", "?", cands),)),
        ["best_of_n", "majority", "wrfv", "pass_at_n"],
        config=BonConfig(n_bootstrap=0),
    )
    assert all(r.accuracy == 0.0 for r in res.rows)


def test_variable_candidate_counts() -> None:
    a = CandidateProblem(
        "a", "?", tuple(Candidate(("s",), Answer.of("1"), True, (0.5,)) for _ in range(3))
    )
    b = CandidateProblem(
        "b", "?", tuple(Candidate(("s",), Answer.of("1"), j == 0, (0.5,)) for j in range(5))
    )
    res = evaluate_bon(CandidateSet((a, b)), ["pass_at_n"], config=BonConfig(n_bootstrap=0))
    assert [r.n for r in res.rows] == [1, 2, 3]  # up to the smallest count
    assert acc(res, "pass_at_n", 2) == pytest.approx((1 + 4 / 10) / 2)  # b: 1 - C(4,2)/C(5,2)
    with pytest.raises(ConfigError, match="exceeds"):
        evaluate_bon(CandidateSet((a, b)), ["pass_at_n"], config=BonConfig(ns=(4,)))


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match=r"n_subsets.*confidence"):
        BonConfig(n_subsets=0, confidence=1.5)
    with pytest.raises(ConfigError, match="need at least one aggregator"):
        evaluate_bon(_toy(2, 2), ["best_of_n"], [])
