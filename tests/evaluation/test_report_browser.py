"""Reports of real runs, opened in headless Chromium (Debian's, driven by Playwright).

The ProcessBench run scores the first cases of the shared gsm8k and math splits with the ``arith``
verifier. The page must load with no console error, request nothing but itself, list every case, and its
filters must show exactly the cases that the run's per-case JSONL says they should. A PRMBench run
(``arith`` on the shared circular file, plus a few cases of a second category) is filtered by category
and outcome the same way, and a calibration run (``arith``, isotonic, on the committed GSM8K Monte Carlo
labels) shows both reliability diagrams.

Run as a script, it writes a screenshot of the report of the whole gsm8k and math splits for the docs::

    python tests/evaluation/test_report_browser.py docs/img/report.png
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # tests/ holds _require and _shared_data
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from _require import need, need_module
from _shared_data import shared_path

from prmkit.data import PRMBenchCase, load_prmbench, read_jsonl
from prmkit.data.processbench import load_processbench
from prmkit.evaluation import (
    predict_first_error,
    read_labelled,
    run_calibration,
    run_prmbench,
    run_processbench,
)
from prmkit.evaluation.report import write_report
from prmkit.evaluation.report.prmbench import case_outcome
from prmkit.scoring.arith import ArithVerifier

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # root, as on CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
N_PER_SPLIT = 40
MC_DATA = Path(__file__).resolve().parents[2] / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b" / "mc.jsonl.gz"


def make_run(out: Path, data: Path, n: int | None) -> Path:
    """A ProcessBench run of ``arith`` on the first ``n`` cases (all: None) of gsm8k and math; its report."""
    splits = {s: load_processbench(data / f"{s}.json", split=s)[:n] for s in ("gsm8k", "math")}
    run_processbench(ArithVerifier(), splits, out)
    return write_report(out, title="ProcessBench report: arith")


def chromium_path() -> str | None:
    """Debian's chromium, else one on PATH."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@dataclass
class Seen:
    """What the page did: console errors, uncaught exceptions, every request, failed requests."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def open_page(browser: Any, url: str, seen: Seen, height: int = 900) -> Any:
    """A new page at ``url`` that records into ``seen``."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("requestfailed", lambda r: seen.failed.append(r.url))
    page.goto(url)
    return page


# ------------------------------------------------------------------------------------------ tests


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("pb"), shared_path("processbench"), N_PER_SPLIT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = need_module("playwright.sync_api", "playwright is not installed (pip install -e '.[report]')")
    exe = chromium_path()
    need(exe, "chromium is not installed (apt-get install chromium; scripts/install.sh does it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=FLAGS)
        yield b
        b.close()


def _records(run: Path) -> list[dict[str, Any]]:
    return [obj for split in ("gsm8k", "math") for _, obj in read_jsonl(run / f"{split}.jsonl")]


def _wrong(rec: dict[str, Any], threshold: float) -> bool:
    scores = rec["step_scores"]
    return scores is None or predict_first_error(scores, threshold) != rec["label"]


def _shown(page: Any) -> tuple[int, int]:
    """The count the page prints and the number of case rows actually visible."""
    return int(page.inner_text(".case-count")), page.locator("tr.case:visible").count()


def test_the_report_loads_offline_lists_every_case_and_filters(report: Path, browser: Any, tmp_path: Path) -> None:
    run = report.parent
    records = _records(run)
    assert len(records) == 2 * N_PER_SPLIT
    threshold = json.loads((run / "summary.json").read_text(encoding="utf-8"))["threshold"]
    seen = Seen()
    page = open_page(browser, report.as_uri(), seen)

    assert _shown(page) == (len(records), len(records))
    assert page.locator("section h2").all_inner_texts() == ["Summary", "Metrics against threshold", "Cases"]
    assert page.locator("#s-metrics-against-threshold svg polyline").count() == 2 * 3  # two splits, 3 curves

    n_math = sum(r["split"] == "math" for r in records)
    page.select_option("select[data-facet=split]", "math")
    assert _shown(page) == (n_math, n_math)

    n_math_wrong = sum(r["split"] == "math" and _wrong(r, threshold) for r in records)
    page.select_option("select[data-facet=outcome]", "wrong")
    assert _shown(page) == (n_math_wrong, n_math_wrong)
    assert 0 < n_math_wrong < n_math

    page.select_option("select[data-facet=split]", "")
    n_right = sum(not _wrong(r, threshold) for r in records)
    page.select_option("select[data-facet=outcome]", "correct")
    assert _shown(page) == (n_right, n_right)
    assert page.locator("tr.case:visible td:nth-child(4)").all_inner_texts() == ["correct"] * n_right

    page.select_option("select[data-facet=outcome]", "")
    page.fill("input[data-facet=id]", "gsm8k-1")
    n_id = sum("gsm8k-1" in r["id"] for r in records)
    assert _shown(page) == (n_id, n_id)

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
    assert seen.errors == []
    assert seen.failed == []
    assert seen.requests == [report.as_uri()]  # the page itself, nothing else


def test_a_request_from_the_page_would_be_seen_and_blocked(report: Path, browser: Any, tmp_path: Path) -> None:
    """The checks above can fail: an image pointing outside is blocked by the page's policy and reported."""
    page_html = report.read_text(encoding="utf-8").replace(
        "</main>", '<img src="http://127.0.0.1:9/x.png"></main>'
    )
    bad = tmp_path / "bad.html"
    bad.write_text(page_html, encoding="utf-8")
    seen = Seen()
    open_page(browser, bad.as_uri(), seen).close()
    assert any("Content Security Policy" in e for e in seen.errors)


def test_every_kind_of_report_loads_without_errors(browser: Any, tmp_path: Path) -> None:
    bon = tmp_path / "bon"
    bon.mkdir()
    row = {"selector": "majority", "aggregator": None, "n_problems": 3, "n_subsets": 1}
    rows = [{**row, "n": n, "accuracy": a, "ci_low": a - 0.1, "ci_high": a + 0.1} for n, a in [(1, 0.5), (2, 0.7)]]
    (bon / "bon.json").write_text(json.dumps({"config": {"confidence": 0.9}, "results": rows}), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.json").write_text(json.dumps({"n": 3, "by": {"a": {"acc": 0.5}}}), encoding="utf-8")
    for run, h2 in [(bon, "Accuracy against N"), (other, "by")]:
        seen = Seen()
        page = open_page(browser, write_report(run).as_uri(), seen)
        assert h2 in page.locator("section h2").all_inner_texts()
        page.close()
        assert (seen.errors, seen.failed, len(seen.requests)) == ([], [], 1)


def test_a_prmbench_report_filters_by_category_and_outcome(browser: Any, tmp_path: Path) -> None:
    cases = load_prmbench([shared_path("prmbench", "prm800k_test_p1_4o_circular.jsonl")])
    extra = [PRMBenchCase(f"counterfactual_t{i}", "?", ("1. 2 + 2 = 4", f"2. 4 * 3 = {11 + i}"), (2,), "counterfactual")
             for i in range(3)]
    run = tmp_path / "prmbench"
    run_prmbench(ArithVerifier(), [*cases, *extra], run, sweep=[i / 10 for i in range(11)])
    records = [obj for _, obj in read_jsonl(run / "cases.jsonl")]
    tau = json.loads((run / "summary.json").read_text(encoding="utf-8"))["threshold"]
    seen = Seen()
    page = open_page(browser, write_report(run).as_uri(), seen)
    assert _shown(page) == (len(records), len(records))
    assert page.locator("section h2").all_inner_texts() == ["Summary", "PRMScore against threshold", "Cases"]
    assert page.locator("#s-prmscore-against-threshold svg polyline").count() == 3  # overall, two categories

    for category in ("circular", "counterfactual"):
        n = sum(r["classification"] == category for r in records)
        page.select_option("select[data-facet=category]", category)
        assert _shown(page) == (n, n)
    assert 0 < n < len(records)

    def outcome(r: dict[str, Any]) -> str:
        return case_outcome(r["step_scores"], [k for k in r["error_steps"] if k <= len(r["step_scores"])], tau)

    page.select_option("select[data-facet=category]", "circular")
    page.select_option("select[data-facet=outcome]", "wrong")
    n_wrong = sum(r["classification"] == "circular" and outcome(r) == "wrong" for r in records)
    assert _shown(page) == (n_wrong, n_wrong)
    assert n_wrong > 0
    page.close()
    assert (seen.errors, seen.failed, len(seen.requests)) == ([], [], 1)


def test_a_calibration_report_draws_both_reliability_diagrams(browser: Any, tmp_path: Path) -> None:
    need(MC_DATA.is_file(), f"{MC_DATA} is not in this checkout")
    run = tmp_path / "calib"
    report = run_calibration(ArithVerifier(), read_labelled(MC_DATA, "mc"), run, prm="arith", target="mc",
                             fit="isotonic")
    seen = Seen()
    page = open_page(browser, write_report(run).as_uri(), seen)
    assert page.locator("section h2").all_inner_texts() == ["Summary", "Reliability diagrams"]
    assert page.locator("#s-reliability-diagrams svg").count() == 2
    assert page.locator("#s-reliability-diagrams svg circle").count() == sum(map(len, report.reliability.values()))
    assert f"{report.before.brier:.4g}" in page.inner_text("#s-summary")
    assert report.after is not None and f"{report.after.ece:.4g}" in page.inner_text("#s-summary")
    page.close()
    assert (seen.errors, seen.failed, len(seen.requests)) == ([], [], 1)


# ------------------------------------------------------------------------------------------ script


def main(argv: list[str]) -> int:
    """Write a screenshot of the report of the whole gsm8k and math splits to ``argv[0]``."""
    import tempfile

    from _shared_data import shared_data_dir
    from playwright.sync_api import sync_playwright

    if len(argv) != 1:
        print("usage: python tests/evaluation/test_report_browser.py OUT.png", file=sys.stderr)
        return 2
    data, exe = shared_data_dir(), chromium_path()
    if data is None or exe is None:
        print("needs ../shared/data and chromium", file=sys.stderr)
        return 2
    shot = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        os.chdir(tmp)  # the page names the run directory as given: runs/pb
        report = make_run(Path("runs/pb"), data.resolve() / "processbench", None).resolve()
        b = p.chromium.launch(executable_path=exe, args=FLAGS)
        seen = Seen()
        page = open_page(b, report.as_uri(), seen, height=1500)
        page.select_option("select[data-facet=outcome]", "wrong")
        page.screenshot(path=str(shot))
        b.close()
    print(f"wrote {shot}; console errors: {seen.errors}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
