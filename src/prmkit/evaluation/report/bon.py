"""The sections of a Best-of-N run (``prmkit eval bon --out DIR``, which writes ``bon.json``).

>>> import json, tempfile
>>> from pathlib import Path
>>> out = Path(tempfile.mkdtemp())
>>> row = lambda n, a: {"selector": "majority", "aggregator": None, "n": n, "accuracy": a, "ci_low": a - 0.1,
...     "ci_high": a + 0.1, "n_problems": 5, "n_subsets": 1, "policy_tokens": None, "verifier_tokens": 0.0}
>>> _ = (out / "bon.json").write_text(json.dumps({"config": {"confidence": 0.95}, "results": [row(1, 0.5), row(2, 0.6)]}))
>>> BON.detect(out), [s.title for s in BON.sections(out)]
(True, ['Summary', 'Accuracy against N', 'Results'])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prmkit.errors import DataFormatError
from prmkit.evaluation.report._html import Cell, RunKind, Section, num, pct, read_json, table
from prmkit.evaluation.report._svg import Series, line_chart

__all__ = ["BON", "series_name"]


def series_name(row: dict[str, Any]) -> str:
    """A row's line in the chart: the selector, and its aggregator when it has one.

    >>> series_name({"selector": "best_of_n", "aggregator": "min"}), series_name({"selector": "majority"})
    ('best_of_n (min)', 'majority')
    """
    agg = row.get("aggregator")
    return row["selector"] if agg is None else f"{row['selector']} ({agg})"


def _detect(run_dir: Path) -> bool:
    return (run_dir / "bon.json").is_file()


def _load(run_dir: Path) -> dict[str, Any]:
    doc = read_json(run_dir / "bon.json")
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise DataFormatError(
            "expected an object with a 'results' list", path=str(run_dir / "bon.json")
        )
    return doc


def _summary(doc: dict[str, Any]) -> Section:
    rows = doc["results"]
    cfg = doc.get("config", {})
    facts: list[list[Any]] = [
        ["candidates", str(doc.get("candidates", "n/a"))],
        ["scores", str(doc.get("scores", "n/a"))],
        ["problems", num(max((r["n_problems"] for r in rows), default=None))],
        ["N", ", ".join(str(n) for n in sorted({r["n"] for r in rows}))],
        *([k, v] for k, v in cfg.items()),
    ]
    return Section("Summary", table(["setting", "value"], facts))


def _chart(doc: dict[str, Any]) -> Section:
    series: dict[str, list[dict[str, Any]]] = {}
    for r in doc["results"]:
        series.setdefault(series_name(r), []).append(r)
    lines = [
        Series(
            name,
            [r["n"] for r in pts],
            [r["accuracy"] for r in pts],
            [r["ci_low"] for r in pts],
            [r["ci_high"] for r in pts],
            dashed=pts[0]["selector"] == "pass_at_n",
        )
        for name, pts in series.items()
    ]
    ns = sorted({r["n"] for r in doc["results"]})
    accs = [v for r in doc["results"] for v in (r["ci_low"], r["ci_high"], r["accuracy"])]
    lo = max(0.0, (int(min(accs, default=0.0) * 10)) / 10)
    hi = min(1.0, (int(max(accs, default=1.0) * 10) + 1) / 10)
    conf = doc.get("config", {}).get("confidence", 0.95)
    svg = line_chart(
        lines,
        x_label="N (candidates per problem)",
        y_label="accuracy (%)",
        y_range=(lo, hi if hi > lo else lo + 0.1),
        log2_x=len(ns) > 1 and min(ns) > 0,
        x_ticks=ns,
        width=720,
        height=320,
    )
    note = (
        f"<p class='note'>Accuracy of each selector against N; bands are {100 * conf:g}% bootstrap "
        "intervals over problems; the dashed line (pass@N) is an oracle upper bound.</p>"
    )
    return Section("Accuracy against N", note + svg)


def _results(doc: dict[str, Any]) -> Section:
    conf = doc.get("config", {}).get("confidence", 0.95)
    rows = [
        [
            r["selector"],
            r.get("aggregator") or "-",
            num(r["n"]),
            pct(r["accuracy"], 2),
            Cell(f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]"),
            num(r.get("policy_tokens")),
            num(r.get("verifier_tokens")),
        ]
        for r in doc["results"]
    ]
    head = [
        "selector",
        "aggregator",
        "N",
        "accuracy (%)",
        f"{100 * conf:g}% CI",
        "policy tok",
        "verifier tok",
    ]
    html = table(head, rows)
    comps = doc.get("comparisons") or []
    if comps:
        crow = [
            [
                c["a"],
                c["b"],
                c.get("aggregator") or "-",
                num(c["n"]),
                Cell(f"{100 * c['difference']:+.2f}"),
                Cell(f"[{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}]"),
                num(c["a_better"]),
                num(c["b_better"]),
            ]
            for c in comps
        ]
        chead = [
            "a",
            "b",
            "aggregator",
            "N",
            "a - b (pp)",
            f"{100 * conf:g}% CI",
            "a better",
            "b better",
        ]
        html += table(chead, crow, caption=f"Paired differences ({len(comps)} rows)")
    return Section("Results", html)


def _lessons(doc: dict[str, Any]) -> Section | None:
    """The "Lessons" diagnostics ``eval bon`` writes (B4): minimum on the last step, length and position bias."""
    les = doc.get("lessons")
    if not isinstance(les, dict):
        return None
    last = les.get("min_on_last_step") or {}
    length = les.get("length") or {}
    position = les.get("position") or {}
    facts: list[list[Any]] = [
        ["solutions / steps", f"{num(les.get('solutions')).text} / {num(les.get('steps')).text}"],
        ["minimum on the last step (%)", pct(last.get("share"), 1)],
        ["corr(length, last score)", num(length.get("corr_last"))],
        ["corr(length, min score)", num(length.get("corr_min"))],
        ["corr(step position, score)", num(position.get("corr"))],
    ]
    html = table(["diagnostic", "value"], facts)
    buckets = length.get("buckets") or []
    if buckets:
        rows = [[b["steps"], num(b["n"]), num(b.get("mean_last")), num(b.get("mean_min")), num(b.get("accuracy"))]
                for b in buckets]
        html += table(["steps", "solutions", "mean last score", "mean min score", "accuracy"], rows,
                      caption="Score against solution length")
    metrics = les.get("steps_vs_labels")
    if isinstance(metrics, dict):
        metric_rows: list[list[Any]] = [[k, num(v)] for k, v in metrics.items() if isinstance(v, (int, float))]
        html += table(["step metric", "value"], metric_rows,
                      caption="Step scores against step labels")
    note = ("<p class='note'>A PRM whose minimum falls on the last step mostly judges the outcome; "
            "length and position correlations show a bias Best-of-N accuracy alone hides.</p>")
    return Section("Lessons diagnostics", note + html)


def _sections(run_dir: Path) -> list[Section]:
    doc = _load(run_dir)
    lessons = _lessons(doc)
    return [_summary(doc), _chart(doc), _results(doc), *([lessons] if lessons else [])]


BON = RunKind("bon", _detect, _sections, title="Best-of-N")
"""A Best-of-N run: a directory with ``bon.json``."""
