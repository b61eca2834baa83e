"""The HTML report without a browser: run kinds, their sections, the fallback, and ``prmkit report``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prmkit._registry import Registry
from prmkit.answers import Answer
from prmkit.cli import main
from prmkit.data import PRMBenchCase
from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
from prmkit.data.processbench import ProcessBenchCase
from prmkit.errors import DataFormatError, UnknownNameError
from prmkit.evaluation import (
    BonConfig,
    LabelledSteps,
    evaluate_bon,
    run_calibration,
    run_prmbench,
    run_processbench,
)
from prmkit.evaluation import report as rep
from prmkit.evaluation.report import (
    RUN_KINDS,
    RunKind,
    Section,
    build_report,
    detect_kind,
    write_report,
)
from prmkit.scoring.arith import ArithVerifier
from prmkit.types import Solution

CASES = [
    ProcessBenchCase("t-0", "?", ("2 + 2 = 4", "4 * 3 = 13"), 1, generator="g1"),
    ProcessBenchCase("t-1", "?", ("2 + 2 = 4", "4 * 3 = 12"), -1, generator="g2"),
    ProcessBenchCase("t-2", "?", ("2 + 2 = 4", "so the answer is 5"), 1, generator="g1"),
]


@pytest.fixture
def pb_run(tmp_path: Path) -> Path:
    run_processbench(ArithVerifier(), {"toy": CASES}, tmp_path / "pb")
    return tmp_path / "pb"


@pytest.fixture
def bon_run(tmp_path: Path) -> Path:
    cand = lambda a, ok, s: Candidate(("step",), Answer.of(a), ok, (s,))  # noqa: E731
    problems = tuple(
        CandidateProblem(f"p{i}", "?", (cand("1", i % 2 == 0, 0.9), cand("2", True, 0.2), cand("2", True, 0.3), cand("3", False, 0.1)))
        for i in range(6)
    )
    result = evaluate_bon(CandidateSet(problems), ["majority", "best_of_n", "pass_at_n"], ["last"], BonConfig(n_bootstrap=50))
    out = tmp_path / "bon"
    out.mkdir()
    doc = {"candidates": "toy.jsonl", "scores": "file", **result.to_json(result.compare("best_of_n", "majority"))}
    (out / "bon.json").write_text(json.dumps(doc), encoding="utf-8")
    return out


def _titles(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_a_processbench_run_has_its_summary_threshold_curves_and_every_case(pb_run: Path) -> None:
    assert detect_kind(pb_run).name == "processbench"
    html = build_report(pb_run)
    assert _titles(html) == ["Summary", "Metrics against threshold", "Cases"]
    assert html.count('<tr class="case"') == len(CASES)
    assert '<span class="case-count">3</span> of 3 cases' in html
    # t-0: arith finds the wrong product (correct); t-2: the error it cannot see (wrong)
    assert re.search(r'data-id="t-0" data-split="toy" data-generator="g1" data-outcome="correct"', html)
    assert re.search(r'data-id="t-2" data-split="toy" data-generator="g1" data-outcome="wrong"', html)
    assert 'data-facet="generator"' in html and 'data-facet="category"' not in html  # no case has one
    assert "<script>" in html and not re.search(r"(src|href)=\"(?!#)", html)  # nothing to fetch


def test_cases_are_judged_at_the_summarys_threshold(pb_run: Path) -> None:
    """A fitted threshold is written to summary.json only; the stored per-case pred is at the first one."""
    path = pb_run / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["threshold"] = 0.0  # no step scores below it: every prediction is -1
    path.write_text(json.dumps(summary), encoding="utf-8")
    html = build_report(pb_run)
    assert re.search(r'data-id="t-0"[^>]*data-outcome="wrong"', html)
    assert re.search(r'data-id="t-1"[^>]*data-outcome="correct"', html)
    assert 'class="mark-pred"' not in html


def test_a_failed_case_is_shown_without_scores_and_counted_wrong(pb_run: Path) -> None:
    path = pb_run / "toy.jsonl"
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    recs[1].update(step_scores=None, pred=None, failure={"reason": "too_long", "message": "x"})
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    html = build_report(pb_run)
    row = re.search(r'<tr class="case" data-id="t-1".*?</tr>', html)
    assert row is not None and "no scores" in row.group(0) and 'data-outcome="wrong"' in row.group(0)


def test_a_bon_run_draws_one_line_and_band_per_series(bon_run: Path) -> None:
    assert detect_kind(bon_run).name == "bon"
    html = build_report(bon_run)
    assert _titles(html) == ["Summary", "Accuracy against N", "Results"]
    chart = html.split("<h2>Accuracy against N</h2>")[1].split("</section>")[0]
    assert chart.count("<polyline") == chart.count("<polygon") == 3  # majority, best_of_n (last), pass_at_n
    assert "stroke-dasharray" in chart  # pass@N, the oracle, is dashed
    assert "Paired differences" in html


def test_any_other_summary_falls_back_to_tables(tmp_path: Path) -> None:
    summary = {"prm": "m", "threshold": 0.5, "categories": {"circular": {"f1": 0.5, "n": 4}}, "rows": [{"a": 1}]}
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert detect_kind(tmp_path).name == "summary"
    html = build_report(tmp_path)
    assert _titles(html) == ["Summary", "categories", "rows"]
    assert "<td>circular</td>" in html


def test_kind_forces_the_reading_and_title_the_heading(pb_run: Path) -> None:
    html = build_report(pb_run, kind="summary", title="My run")
    assert _titles(html) == ["Summary", "splits"]
    assert "<h1>My run</h1>" in html
    with pytest.raises(UnknownNameError, match="did you mean 'bon'"):
        build_report(pb_run, kind="bonn")


def test_a_registered_kind_is_tried_before_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    (tmp_path / "toy.marker").write_text("", encoding="utf-8")
    kinds: Registry[RunKind] = Registry("run kind")
    for name in RUN_KINDS.in_order():
        kinds.register(name, RUN_KINDS.get(name))
    toy = RunKind("toy", lambda d: (d / "toy.marker").exists(), lambda d: [Section("Toy", "<p>toy</p>")])
    kinds.register("toy", toy)  # after the fallback
    monkeypatch.setattr(rep, "RUN_KINDS", kinds)
    assert detect_kind(tmp_path) is toy
    assert _titles(build_report(tmp_path)) == ["Toy"]


def test_a_directory_without_a_run_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no known run"):
        detect_kind(tmp_path)
    with pytest.raises(DataFormatError, match="not a run directory"):
        write_report(tmp_path / "absent")


def test_cli_writes_beside_the_run_or_to_out(pb_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(pb_run)]) == 0
    assert (pb_run / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    out = tmp_path / "elsewhere" / "r.html"
    assert main(["report", str(pb_run), "--out", str(out), "--kind", "summary", "--title", "T"]) == 0
    assert "<h1>T</h1>" in out.read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "not a run directory" in capsys.readouterr().err


PB_CASES = [
    PRMBenchCase("circular_0", "?", ("1. 2 + 2 = 4", "2. 4 * 3 = 13"), (2,), "circular"),
    PRMBenchCase("circular_1", "?", ("1. 2 + 2 = 4", "2. so 4 again"), (2,), "circular"),
    PRMBenchCase("counterfactual_0", "?", ("1. 2 + 2 = 5", "2. 5 * 2 = 10"), (1,), "counterfactual"),
]


@pytest.fixture
def prmbench_run(tmp_path: Path) -> Path:
    run_prmbench(ArithVerifier(), PB_CASES, tmp_path / "prmbench", sweep=[0.0, 0.5, 1.0])
    return tmp_path / "prmbench"


@pytest.fixture
def calibration_run(tmp_path: Path) -> Path:
    data = [
        LabelledSteps(Solution("?", ("2 + 2 = 4", "4 * 3 = 13" if i % 2 else "4 * 3 = 12"), id=f"s{i}"), (0.5, 0.25))
        for i in range(8)
    ]
    run_calibration(ArithVerifier(), data, tmp_path / "calib", prm="arith", target="mc", fit="isotonic")
    return tmp_path / "calib"


def test_a_prmbench_run_has_its_category_table_sweep_and_cases_by_category(prmbench_run: Path) -> None:
    assert detect_kind(prmbench_run).name == "prmbench"
    html = build_report(prmbench_run)
    assert _titles(html) == ["Summary", "PRMScore against threshold", "Cases"]
    summary = html.split("<h2>Summary</h2>")[1].split("</section>")[0]
    assert "<td>circular</td>" in summary and "<td>counterfactual</td>" in summary and "<td>overall</td>" in summary
    chart = html.split("<h2>PRMScore against threshold</h2>")[1].split("</section>")[0]
    assert chart.count("<polyline") == 3  # overall and the two categories
    assert html.count('<tr class="case"') == len(PB_CASES)
    # arith finds the wrong product and the wrong sum, not the empty restatement
    assert re.search(r'data-id="circular_0" data-category="circular" data-outcome="correct"', html)
    assert re.search(r'data-id="circular_1" data-category="circular" data-outcome="wrong"', html)
    assert re.search(r'data-id="counterfactual_0" data-category="counterfactual" data-outcome="correct"', html)
    assert '<option value="circular">circular (2)</option>' in html


def test_a_prmbench_run_without_a_sweep_has_no_threshold_chart(prmbench_run: Path) -> None:
    path = prmbench_run / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    del summary["sweep"]
    summary["threshold"] = 1.0  # nothing is above it: every step predicted wrong
    path.write_text(json.dumps(summary), encoding="utf-8")
    html = build_report(prmbench_run)
    assert _titles(html) == ["Summary", "Cases"]
    assert html.count('data-outcome="wrong"') == len(PB_CASES)


def test_a_calibration_run_has_the_before_after_table_and_two_reliability_diagrams(calibration_run: Path) -> None:
    assert detect_kind(calibration_run).name == "calibration"
    html = build_report(calibration_run)
    assert _titles(html) == ["Summary", "Reliability diagrams"]
    summary = json.loads((calibration_run / "summary.json").read_text(encoding="utf-8"))
    assert f'<td class="num">{summary["before"]["brier"]:.4g}</td>' in html
    assert f'<td class="num">{summary["after"]["brier"]:.4g}</td>' in html
    assert "<td>raw</td>" in html and "<td>isotonic</td>" in html
    diagrams = html.split("<h2>Reliability diagrams</h2>")[1].split("</section>")[0]
    assert diagrams.count("<svg") == 2
    assert diagrams.count("<circle") == len(summary["reliability"]["before"]) + len(summary["reliability"]["after"])


def test_a_calibration_run_without_a_calibrator_has_one_diagram(tmp_path: Path) -> None:
    data = [LabelledSteps(Solution("?", ("2 + 2 = 4",), id="s"), (1.0,))]
    run_calibration(ArithVerifier(), data, tmp_path, prm="arith", fit="none")
    html = build_report(tmp_path)
    assert "<td>raw</td>" in html and html.split("<h2>Reliability diagrams</h2>")[1].count("<svg") == 1


def test_a_bon_report_shows_the_lessons_diagnostics(tmp_path) -> None:
    import json

    from prmkit.evaluation.report import build_report

    row = {"selector": "majority", "aggregator": None, "n": 1, "accuracy": 0.5, "ci_low": 0.4, "ci_high": 0.6,
           "n_problems": 5, "n_subsets": 1, "policy_tokens": None, "verifier_tokens": 0.0}
    lessons = {"solutions": 7, "steps": 30, "min_on_last_step": {"share": 0.25, "n": 4},
               "length": {"corr_last": -0.5, "corr_min": 0.1,
                          "buckets": [{"steps": "1-3", "n": 7, "mean_last": 0.8, "mean_min": 0.3, "accuracy": 0.5}]},
               "position": {"corr": 0.2, "buckets": []}, "steps_vs_labels": {"auroc": 0.61, "f1": 0.4}}
    (tmp_path / "bon.json").write_text(json.dumps({"config": {}, "results": [row], "lessons": lessons}))
    html = build_report(tmp_path)
    assert "Lessons diagnostics" in html and "25.0" in html and "0.61" in html and "Score against solution length" in html
