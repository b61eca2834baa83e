"""The sections of a calibration run (``prmkit eval calibration --out DIR``).

A run directory holds ``summary.json`` (Brier, ECE and the reliability bins on
the measured part, before and, with a calibrator, after calibration),
``scores.jsonl`` and ``calibrator.json`` (see
:func:`prmkit.evaluation.run_calibration`). The report shows the metrics
before and after as one table and both reliability diagrams.

>>> import tempfile
>>> from pathlib import Path
>>> from prmkit.evaluation import LabelledSteps, run_calibration
>>> from prmkit.scoring.arith import ArithVerifier
>>> from prmkit.types import Solution
>>> data = [LabelledSteps(Solution("?", ("2 + 2 = 4", "4 * 3 = 13"), id=f"s{i}"), (1.0, 0.0)) for i in range(4)]
>>> out = Path(tempfile.mkdtemp())
>>> _ = run_calibration(ArithVerifier(), data, out, prm="arith")
>>> CALIBRATION.detect(out), [s.title for s in CALIBRATION.sections(out)]
(True, ['Summary', 'Reliability diagrams'])
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from prmkit.errors import DataFormatError
from prmkit.evaluation.report._html import RunKind, Section, num, read_json, table
from prmkit.evaluation.report._svg import PALETTE, reliability_chart

__all__ = ["CALIBRATION"]


def _detect(run_dir: Path) -> bool:
    path = run_dir / "summary.json"
    if not path.is_file():
        return False
    try:
        summary = read_json(path)
    except DataFormatError:
        return False
    return isinstance(summary, dict) and {"before", "reliability", "target", "fit"} <= summary.keys()


def _row(name: str, m: dict[str, Any]) -> list[Any]:
    return [name, num(m["n"]), num(m["brier"]), num(m["ece"]), num(m["ece_mass"]), num(m["mean_score"]),
            num(m["mean_target"])]


def _calibrator(cal: dict[str, Any] | None) -> str:
    if not cal:
        return ""
    rest = {k: v for k, v in cal.items() if k != "kind"}
    shown = ", ".join(f"{k} = {v if not isinstance(v, list) or len(v) <= 8 else f'{len(v)} values'}"
                      for k, v in rest.items())
    return f"<p>Calibrator: <code>{escape(str(cal.get('kind')))}</code> ({escape(shown)}).</p>"


def _summary(summary: dict[str, Any]) -> Section:
    rows = [_row("raw", summary["before"])]
    if summary.get("after") is not None:
        rows.append(_row(str(summary["fit"]), summary["after"]))
    bins = summary["before"].get("bins", 10)
    parts = [
        f"<p>PRM <code>{escape(str(summary.get('prm')))}</code>; target <b>{escape(str(summary['target']))}</b>; "
        f"fitted on {summary.get('n_fit', 0)} solutions, measured on {summary.get('n_eval', 0)} "
        f"({summary.get('n_failed', 0)} failed).</p>",
        table(["scores", "steps", "Brier", "ECE", "ECE-mass", "mean score", "mean target"], rows,
              caption="on the measured part"),
        f"<p class='note'>ECE: {bins} equal-width bins; ECE-mass: equal-mass bins; each bin weighted by "
        "its share of the steps. Lower is better for both and for the Brier score.</p>",
        _calibrator(summary.get("calibrator")),
    ]
    return Section("Summary", "".join(parts))


def _diagrams(summary: dict[str, Any]) -> Section:
    figures = []
    for i, (part, title) in enumerate((("before", "raw scores"), ("after", f"calibrated ({summary['fit']})"))):
        bins = summary["reliability"].get(part)
        if bins is None:
            continue
        points = [(float(b["mean_score"]), float(b["observed"]), int(b["count"])) for b in bins]
        svg = reliability_chart(points, colour=PALETTE[i])
        figures.append(f"<figure><figcaption>{escape(title)}</figcaption>{svg}</figure>")
    note = ("<p class='note'>Observed rate (mean target) against mean score per bin; the dashed diagonal is "
            "perfect calibration and a dot below it is overconfident. A dot's area grows with its bin's share "
            "of the steps.</p>")
    return Section("Reliability diagrams", note + f'<div class="charts">{"".join(figures)}</div>')


def _sections(run_dir: Path) -> list[Section]:
    summary = read_json(run_dir / "summary.json")
    return [_summary(summary), _diagrams(summary)]


CALIBRATION = RunKind("calibration", _detect, _sections, title="Calibration")
"""A calibration run: a ``summary.json`` with ``before``, ``reliability``, ``target`` and ``fit``."""
