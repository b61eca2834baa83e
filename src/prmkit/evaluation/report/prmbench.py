"""The sections of a PRMBench run (``prmkit eval prmbench --out DIR``).

A run directory holds ``run.json``, ``summary.json`` (PRMScore overall, per
category and per group, and with ``--sweep`` PRMScore against thresholds) and
``cases.jsonl`` (per case: its category, 1-based ``error_steps`` and step
scores; see :func:`prmkit.evaluation.run_prmbench`). The per-case
predictions are recomputed from the stored step scores at the summary's
threshold, so a fitted threshold is shown, not the one stored with each case.

>>> import tempfile
>>> from pathlib import Path
>>> from prmkit.data import PRMBenchCase
>>> from prmkit.evaluation import run_prmbench
>>> from prmkit.scoring.arith import ArithVerifier
>>> out = Path(tempfile.mkdtemp())
>>> case = PRMBenchCase("circular_t", "?", ("1. 2 + 2 = 4", "2. 4 * 3 = 13"), (2,), "circular")
>>> _ = run_prmbench(ArithVerifier(), [case], out)
>>> PRMBENCH.detect(out), [s.title for s in PRMBENCH.sections(out)]
(True, ['Summary', 'Cases'])
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from prmkit.data import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.evaluation.report._html import Cell, RunKind, Section, num, pct, read_json, table
from prmkit.evaluation.report._svg import Series, line_chart, nice_ticks, step_chart
from prmkit.evaluation.report.cases import CaseView, case_browser

__all__ = ["FACETS", "PRMBENCH", "case_outcome"]

FACETS = ("category", "outcome")
"""What the case browser filters on."""


def case_outcome(scores: list[float] | None, error_steps: list[int], threshold: float) -> str:
    """``correct`` when every step is predicted as labelled (wrong iff in ``error_steps``, 1-based), else ``wrong``.

    A case the PRM failed on (``scores`` None) is ``failed``.

    >>> case_outcome([0.9, 0.2], [2], 0.5), case_outcome([0.9, 0.8], [2], 0.5), case_outcome(None, [1], 0.5)
    ('correct', 'wrong', 'failed')
    """
    if scores is None:
        return "failed"
    bad = {k - 1 for k in error_steps}
    ok = all((s > threshold) == (i not in bad) for i, s in enumerate(scores))
    return "correct" if ok else "wrong"


def _detect(run_dir: Path) -> bool:
    path = run_dir / "summary.json"
    if not (path.is_file() and (run_dir / "cases.jsonl").is_file()):
        return False
    try:
        summary = read_json(path)
    except DataFormatError:
        return False
    return isinstance(summary, dict) and {"prmscore", "categories", "overall"} <= summary.keys()


def _ratio(v: Any) -> Cell:
    """A PRMBench ratio in percent; -1 (undefined) as ``-``."""
    return Cell("-") if v is None or v < 0 else pct(v)


def _summary(summary: dict[str, Any]) -> Section:
    how = f"fitted on {summary['fit_on']}" if summary.get("fit_on") else summary.get("threshold_mode", "fixed")
    head = ["category", "cases", "failed", "TP", "FP", "TN", "FN", "F1 (%)", "F1neg (%)", "PRMScore (%)",
            "first error found (%)"]

    def row(name: str, m: dict[str, Any]) -> list[Any]:
        counts = [num(m[k]) for k in ("n", "n_failed", "tp", "fp", "tn", "fn")]
        return [name, *counts, _ratio(m["f1"]), _ratio(m["negative_f1"]),
                Cell("-") if m["prmscore"] is None else pct(m["prmscore"]), _ratio(m["first_error_acc"])]

    rows = [row(name, m) for name, m in summary["categories"].items()]
    rows.append(row("overall", summary["overall"]))
    parts = [
        f"<p>PRM <code>{escape(str(summary.get('prm')))}</code>; threshold "
        f"<b>{summary['threshold']:g}</b> ({escape(str(how))}); a step is predicted right iff its score "
        f"is above it. PRMScore overall: <b>{100 * summary['prmscore']:.1f}</b>.</p>",
        table(head, rows),
        "<p class='note'>Positive class: a right step. <code>-</code>: undefined (PRMBench counts it as -1). "
        "First error found: share of cases whose first wrong step is predicted wrong.</p>",
    ]
    if summary.get("groups"):
        parts.append(table(["group", "PRMScore (%)"], [[g, pct(v)] for g, v in summary["groups"].items()]))
    return Section("Summary", "".join(parts))


def _sweep(summary: dict[str, Any]) -> Section:
    rows = summary["sweep"]
    xs = [float(r["threshold"]) for r in rows]
    series = [Series("overall", xs, [r["prmscore"] for r in rows])]
    for name in summary["categories"]:
        ys = [r["categories"].get(name) for r in rows]
        if name != "correct" and all(y is not None for y in ys):
            series.append(Series(name, xs, ys))
    svg = line_chart(series, x_label="threshold", y_label="PRMScore (%)", x_ticks=nice_ticks(min(xs), max(xs)),
                     marker_x=float(summary["threshold"]), marker_label=f"{summary['threshold']:g}")
    note = ("<p class='note'>PRMScore overall and per category at each threshold of the stored sweep; "
            "the dashed line is the run's threshold.</p>")
    return Section("PRMScore against threshold", note + f'<div class="charts"><figure>{svg}</figure></div>')


def _cases(run_dir: Path, tau: float) -> Section:
    path = run_dir / "cases.jsonl"
    views = []
    for line, obj in read_jsonl(path):
        scores, errors = obj.get("step_scores"), obj.get("error_steps")
        if not (scores is None or isinstance(scores, list)) or not isinstance(errors, list):
            raise DataFormatError("expected a list of error_steps and a list of step_scores (or null)",
                                  path=str(path), line=line, value={"error_steps": errors, "step_scores": scores})
        sc = None if scores is None else [math.nan if s is None else float(s) for s in scores]
        n = len(sc) if sc is not None else 0
        first = min((k - 1 for k in errors if 0 < k <= n), default=-1)
        pred_wrong = [i + 1 for i, s in enumerate(sc or []) if not s > tau]
        result = case_outcome(sc, [k for k in errors if 0 < k <= n], tau)
        views.append(CaseView(
            str(obj.get("id")),
            {"category": str(obj.get("classification")), "outcome": result},
            [", ".join(map(str, errors)) or "none",
             "n/a" if sc is None else ", ".join(map(str, pred_wrong)) or "none", result],
            step_chart(sc, tau, label=first, pred=pred_wrong[0] - 1 if pred_wrong else -1),
        ))
    note = (
        f"Bars are step scores against the threshold {tau:g} (dashed); a step is predicted wrong unless "
        "its score is above it. <b class='lbl'>L</b> marks the first labelled wrong step and <b class='prd'>P</b> the first "
        "predicted one. Outcome: correct when every step is predicted as labelled. Steps are 1-based."
    )
    html = case_browser(views, facets=FACETS, columns=["wrong steps", "predicted wrong", "outcome"], note=note)
    return Section("Cases", html)


def _sections(run_dir: Path) -> list[Section]:
    summary = read_json(run_dir / "summary.json")
    tau = float(summary["threshold"])
    out = [_summary(summary)]
    if summary.get("sweep"):
        out.append(_sweep(summary))
    out.append(_cases(run_dir, tau))
    return out


PRMBENCH = RunKind("prmbench", _detect, _sections, title="PRMBench")
"""A PRMBench run: ``cases.jsonl`` and a ``summary.json`` with ``prmscore``, ``categories`` and ``overall``."""
