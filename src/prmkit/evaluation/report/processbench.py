"""The sections of a ProcessBench run (``prmkit eval processbench --out DIR``).

A run directory holds ``run.json``, ``summary.json`` and one ``<split>.jsonl``
of per-case step scores (see :func:`prmkit.evaluation.run_processbench`).
Everything is recomputed from the stored step scores at the summary's
threshold, so the report agrees with ``summary.json`` even when the stored
per-case ``pred`` was made at another threshold (a fitted one).

>>> import tempfile
>>> from pathlib import Path
>>> from prmkit.data.processbench import ProcessBenchCase
>>> from prmkit.evaluation import run_processbench
>>> from prmkit.scoring.arith import ArithVerifier
>>> out = Path(tempfile.mkdtemp())
>>> _ = run_processbench(ArithVerifier(), {"toy": [ProcessBenchCase("t-0", "?", ("2 + 2 = 5",), 0)]}, out)
>>> PROCESSBENCH.detect(out), [s.title for s in PROCESSBENCH.sections(out)]
(True, ['Summary', 'Metrics against threshold', 'Cases'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from prmkit.data import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.evaluation.processbench import metrics_at_thresholds, predict_first_error
from prmkit.evaluation.report._html import Cell, RunKind, Section, num, pct, read_json, table
from prmkit.evaluation.report._svg import Series, line_chart, nice_ticks, step_chart
from prmkit.evaluation.report.cases import CaseView, case_browser

__all__ = ["FACETS", "PROCESSBENCH", "PBCase", "load_cases", "outcome"]

FACETS = ("split", "category", "generator", "outcome")
"""What the case browser filters on, where the run's cases have it."""

_SWEEP_POINTS = 201


@dataclass(frozen=True)
class PBCase:
    """One stored case: its gold first error and step scores (None: the PRM failed on it)."""

    id: str
    split: str
    label: int
    scores: list[float] | None
    extra: dict[str, Any]
    """The other stored fields (``generator``, ``category``, ``final_answer_correct``, ...)."""


def outcome(case: PBCase, threshold: float) -> tuple[int | None, str]:
    """The predicted first error at ``threshold`` (None: no scores) and ``correct`` or ``wrong``.

    >>> outcome(PBCase("a", "s", 1, [0.9, 0.2], {}), 0.5), outcome(PBCase("b", "s", -1, None, {}), 0.5)
    ((1, 'correct'), (None, 'wrong'))
    """
    if case.scores is None:
        return None, "wrong"
    pred = predict_first_error(case.scores, threshold)
    return pred, "correct" if pred == case.label else "wrong"


def load_cases(run_dir: Path, splits: list[str]) -> list[PBCase]:
    """Every case of ``splits``, read from ``run_dir/<split>.jsonl`` in file order."""
    cases = []
    for split in splits:
        path = run_dir / f"{split}.jsonl"
        for line, obj in read_jsonl(path):
            label, scores = obj.get("label"), obj.get("step_scores")
            if not isinstance(label, int) or not (scores is None or isinstance(scores, list)):
                raise DataFormatError(
                    "expected an int label and a list of step_scores (or null)",
                    path=str(path),
                    line=line,
                    value={"label": label, "step_scores": scores},
                )
            rest = {
                k: v for k, v in obj.items() if k not in ("id", "split", "label", "step_scores")
            }
            sc = None if scores is None else [math.nan if s is None else float(s) for s in scores]
            cases.append(PBCase(str(obj.get("id")), split, label, sc, rest))
    return cases


def _detect(run_dir: Path) -> bool:
    path = run_dir / "summary.json"
    if not (path.is_file() and (run_dir / "run.json").is_file()):
        return False
    try:
        summary = read_json(path)
    except DataFormatError:
        return False
    return isinstance(summary, dict) and {"splits", "threshold", "mean_f1"} <= summary.keys()


def _summary(summary: dict[str, Any]) -> Section:
    mode = summary.get("threshold_mode", "fixed")
    how = f"fitted on {summary['fit_on']}" if summary.get("fit_on") else mode
    rows = [
        [
            name,
            num(m["n"]),
            num(m["n_failed"]),
            pct(m["error_acc"]),
            pct(m["correct_acc"]),
            pct(m["f1"]),
        ]
        for name, m in summary["splits"].items()
    ]
    head = ["split", "n", "failed", "error acc (%)", "correct acc (%)", "F1 (%)"]
    parts = [
        f"<p>PRM <code>{escape(str(summary.get('prm')))}</code>; threshold "
        f"<b>{summary['threshold']:g}</b> ({escape(str(how))}).</p>",
        table(head, rows),
        table(
            ["average", "F1 (%)"],
            [
                ["mean over splits (the paper's)", pct(summary["mean_f1"])],
                ["weighted by split size", pct(summary.get("weighted_f1"))],
            ],
        ),
    ]
    if summary.get("sweep"):
        names = list(summary["splits"])
        sweep = [
            [Cell(f"{r['threshold']:g}"), *(pct(r["f1"].get(n)) for n in names), pct(r["mean_f1"])]
            for r in summary["sweep"]
        ]
        parts.append(
            table(["threshold", *names, "mean"], sweep, caption="F1 (%) of the stored sweep")
        )
    return Section("Summary", "".join(parts))


def _threshold_grid(cases: list[PBCase], tau: float) -> list[float]:
    finite = [s for c in cases if c.scores for s in c.scores if math.isfinite(s)]
    lo, hi = min([*finite, tau, 0.0]), max([*finite, tau, 1.0])
    pad = 0.02 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    grid = {lo + (hi - lo) * i / (_SWEEP_POINTS - 1) for i in range(_SWEEP_POINTS)}
    return sorted(grid | {tau})


def _sweep(cases: list[PBCase], splits: list[str], tau: float) -> Section:
    grid = _threshold_grid(cases, tau)
    figures = []
    for split in splits:
        own = [c for c in cases if c.split == split]
        ms = metrics_at_thresholds([c.label for c in own], [c.scores for c in own], grid)
        series = [
            Series("F1", grid, [m.f1 for m in ms]),
            Series("error acc", grid, [m.error_acc for m in ms]),
            Series("correct acc", grid, [m.correct_acc for m in ms]),
        ]
        svg = line_chart(
            series,
            x_label="threshold",
            y_label="%",
            x_ticks=nice_ticks(grid[0], grid[-1]),
            marker_x=tau,
            marker_label=f"{tau:g}",
        )
        figures.append(
            f"<figure><figcaption>{escape(split)} ({len(own)} cases)</figcaption>{svg}</figure>"
        )
    note = (
        "<p class='note'>Each split's F1, accuracy on erroneous cases and accuracy on correct cases "
        "when the threshold is swept over the range of the stored step scores; the dashed line is "
        "the run's threshold.</p>"
    )
    return Section(
        "Metrics against threshold", note + f'<div class="charts">{"".join(figures)}</div>'
    )


def _cases(cases: list[PBCase], tau: float) -> Section:
    views = []
    for c in cases:
        pred, result = outcome(c, tau)
        facets = {"split": c.split, "outcome": result}
        for key in ("category", "generator"):
            if isinstance(c.extra.get(key), str):
                facets[key] = c.extra[key]
        views.append(
            CaseView(
                c.id,
                facets,
                [Cell(str(c.label)), Cell("failed" if pred is None else str(pred)), result],
                step_chart(c.scores, tau, label=c.label, pred=pred),
            )
        )
    note = (
        f"Bars are step scores; red ones fall below the threshold {tau:g} (dashed). "
        "<b class='lbl'>L</b> marks the labelled first error and <b class='prd'>P</b> the predicted one "
        "(none: the solution is, or is predicted, correct). Outcome: whether the prediction equals the label."
    )
    html = case_browser(views, facets=FACETS, columns=["label", "predicted", "outcome"], note=note)
    return Section("Cases", html)


def _sections(run_dir: Path) -> list[Section]:
    summary = read_json(run_dir / "summary.json")
    splits = list(summary["splits"])
    tau = float(summary["threshold"])
    cases = load_cases(run_dir, splits)
    return [_summary(summary), _sweep(cases, splits, tau), _cases(cases, tau)]


PROCESSBENCH = RunKind("processbench", _detect, _sections, title="ProcessBench")
"""A ProcessBench run: ``run.json`` and a ``summary.json`` with ``splits``, ``threshold`` and ``mean_f1``."""
