"""Best-of-N decides NaN, missing answers and degenerate settings by one documented rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from prmkit.answers import Answer, NoAnswer
from prmkit.cli import main
from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
from prmkit.errors import ConfigError
from prmkit.evaluation import format_comparisons, format_table
from prmkit.evaluation.bon import BonConfig, evaluate_bon
from prmkit.evaluation.config import PRMBenchConfig, ProcessBenchConfig
from prmkit.search.aggregate import AGGREGATORS, aggregate
from prmkit.search.select import select

NAN = math.nan
RULES = ("min", "last", "product", "mean", "geometric_mean", "window_min")


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_nan_step_score_anywhere_leaves_the_solution_unscored(rule: str, where: int) -> None:
    scores = [0.9, 0.8, 0.7]
    scores[where] = NAN
    assert math.isnan(aggregate(scores, rule))
    assert math.isnan(aggregate(scores, rule, transform="sigmoid"))
    assert set(RULES) == set(AGGREGATORS)


def cands(*rows: tuple[str | None, bool | None, tuple[float, ...]]) -> CandidateSet:
    made = tuple(
        Candidate(("a",) * max(1, len(s)), Answer.of(a) if a else NoAnswer("missing", "no answer"), ok, s)
        for a, ok, s in rows
    )
    return CandidateSet((CandidateProblem("p", "?", made, "2"),))


def accuracies(cs: CandidateSet, selectors: list[str], aggs: tuple[str, ...] = ("min", "last", "product", "mean")
               ) -> dict[tuple[str, str | None], float]:
    res = evaluate_bon(cs, selectors, aggs, BonConfig(ns=(2,), n_bootstrap=0))
    return {(r.selector, r.aggregator): r.accuracy for r in res.rows}


def test_nan_position_does_not_change_the_choice() -> None:
    # the wrong candidate has a NaN first or last; the right one is scored everywhere
    for wrong in [(NAN, 0.9), (0.9, NAN)]:
        got = accuracies(cands(("1", False, wrong), ("2", True, (0.5, 0.5))), ["best_of_n"])
        assert set(got.values()) == {1.0}, (wrong, got)


def test_all_nan_scores_are_reported_as_no_scores() -> None:
    cs = cands(("1", False, (NAN,)), ("2", True, (NAN,)))
    res = evaluate_bon(cs, ["best_of_n", "majority"], ["last"], BonConfig(ns=(2,), n_bootstrap=0))
    by = {r.selector: r for r in res.rows}
    assert by["best_of_n"].scored == 0 and by["majority"].scored is None
    table = format_table(res)
    assert "best_of_n  last        2  no scores" in table and "majority" in table
    partly = evaluate_bon(cands(("1", False, (NAN,)), ("2", True, (0.4,))), ["best_of_n"], ["last"],
                          BonConfig(ns=(2,), n_bootstrap=0))
    assert partly.rows[0].scored == 0.5 and partly.rows[0].accuracy == 1.0


def test_no_answer_is_wrong_for_every_selector_even_if_marked_correct() -> None:
    cs = cands((None, True, (0.9,)), ("3", False, (0.1,)))
    got = accuracies(cs, ["best_of_n", "majority", "weighted_sum", "weighted_max", "hmrv", "wrfv", "pass_at_n"],
                     ("last",))
    assert set(got.values()) == {0.0}, got
    assert select("pass_at_n", [None, "3"], correct=[True, False]).answer.ok is False


def test_non_finite_thresholds_are_refused() -> None:
    for cfg in (ProcessBenchConfig, PRMBenchConfig):
        with pytest.raises(ConfigError, match="thresholds must be finite numbers, got nan"):
            cfg(out="o", threshold=NAN)
        with pytest.raises(ConfigError, match="got inf"):
            cfg(out="o", sweep=True, grid=(0.5, math.inf))


def test_cli_threshold_nan_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = tmp_path / "pb.jsonl"
    pb.write_text(json.dumps({"id": "t", "generator": "g", "problem": "?", "steps": ["1 = 1"],
                              "final_answer_correct": True, "label": -1}) + "\n")
    assert main(["eval", "processbench", "--prm", "arith", "--data", str(pb), "--out", str(tmp_path / "o"),
                 "--threshold", "nan"]) == 2
    assert "threshold: NaN is not allowed" in capsys.readouterr().err  # the flag parser refuses it first


def test_bootstrap_zero_prints_no_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = {"problem": "?", "reference": "2", "candidates": [
        {"steps": ["a"], "answer": "2", "step_scores": [0.6]}, {"steps": ["a"], "answer": "3", "step_scores": [0.7]}]}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    assert main(["eval", "bon", "--candidates", str(path), "--scores-from-file", "--quiet", "--bootstrap", "0",
                 "--selectors", "best_of_n,majority"]) == 0
    out = capsys.readouterr().out
    assert "CI" not in out and "no bootstrap, so no intervals" in out
    assert "paired differences" in out
    res = evaluate_bon(cands(("2", True, (0.6,))), ["majority"],
                       config=BonConfig(ns=(1,), n_bootstrap=0))
    assert "CI" not in format_comparisons(res.compare("majority", "majority"), 0.95, intervals=False)
    assert "95% CI" in format_comparisons(res.compare("majority", "majority"), 0.95)
