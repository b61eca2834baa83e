"""One self-contained HTML report per evaluation run (``prmkit report RUN_DIR``).

The kind of a run is told by the files in its directory: ``bon.json`` (Best-of-N),
``run.json`` plus a ProcessBench ``summary.json``, ``cases.jsonl`` plus a
PRMBench ``summary.json``, a calibration ``summary.json``, or, as the
fallback, any ``summary.json``. Each kind is a :class:`RunKind` in :data:`RUN_KINDS`, whose
``sections(run_dir)`` returns the report's :class:`Section` s; the page
(:func:`build_report`) is one HTML file with its CSS, script and SVG charts
inline, which fetches nothing when opened.

A new kind is one module here with a ``RunKind``
and one line registering it below; its per-case results can use
:func:`case_browser` and :func:`step_chart`.

>>> import tempfile
>>> from pathlib import Path
>>> from prmkit.data.processbench import ProcessBenchCase
>>> from prmkit.evaluation import run_processbench
>>> from prmkit.scoring.arith import ArithVerifier
>>> run = Path(tempfile.mkdtemp())
>>> _ = run_processbench(ArithVerifier(), {"toy": [ProcessBenchCase("t-0", "?", ("2 + 2 = 5",), 0)]}, run)
>>> detect_kind(run).name
'processbench'
>>> write_report(run).name
'report.html'
"""

from __future__ import annotations

import os
from pathlib import Path

from prmkit._registry import Registry
from prmkit.errors import DataFormatError
from prmkit.evaluation.report._html import RunKind, Section, table
from prmkit.evaluation.report._page import render_page
from prmkit.evaluation.report._svg import Series, line_chart, reliability_chart, step_chart
from prmkit.evaluation.report.bon import BON
from prmkit.evaluation.report.calibration import CALIBRATION
from prmkit.evaluation.report.cases import CaseView, case_browser
from prmkit.evaluation.report.generic import SUMMARY, summary_sections
from prmkit.evaluation.report.prmbench import PRMBENCH
from prmkit.evaluation.report.processbench import PROCESSBENCH

__all__ = [
    "FALLBACK",
    "RUN_KINDS",
    "CaseView",
    "RunKind",
    "Section",
    "Series",
    "build_report",
    "case_browser",
    "detect_kind",
    "line_chart",
    "reliability_chart",
    "step_chart",
    "summary_sections",
    "table",
    "write_report",
]

RUN_KINDS: Registry[RunKind] = Registry("run kind")
"""Run kinds by name; :func:`detect_kind` tries them in the order they were registered."""
RUN_KINDS.register("processbench", PROCESSBENCH)
RUN_KINDS.register("bon", BON)
RUN_KINDS.register("prmbench", PRMBENCH)
RUN_KINDS.register("calibration", CALIBRATION)
RUN_KINDS.register("summary", SUMMARY)

FALLBACK = "summary"
"""The kind tried last, whatever was registered after it."""


def detect_kind(run_dir: str | os.PathLike[str]) -> RunKind:
    """The first registered kind (the fallback last) whose ``detect`` accepts ``run_dir``."""
    path = Path(run_dir)
    if not path.is_dir():
        raise DataFormatError("not a run directory", path=str(path))
    for name in [*(n for n in RUN_KINDS.in_order() if n != FALLBACK), FALLBACK]:
        kind = RUN_KINDS.get(name)
        if kind.detect(path):
            return kind
    raise DataFormatError(
        "no known run in this directory (expected one of: bon.json; run.json and a ProcessBench "
        "summary.json; cases.jsonl and a PRMBench summary.json; a calibration summary.json; any summary.json)",
        path=str(path),
    )


def build_report(
    run_dir: str | os.PathLike[str], *, kind: str | None = None, title: str | None = None
) -> str:
    """The report of ``run_dir`` as one HTML document (``kind``: a name in :data:`RUN_KINDS`, else detected)."""
    path = Path(run_dir)
    run_kind = RUN_KINDS.get(kind) if kind is not None else detect_kind(path)
    sections = run_kind.sections(path)
    heading = title or f"{run_kind.title or run_kind.name} report: {path.resolve().name}"
    return render_page(heading, sections, subtitle=f"{path} ({run_kind.name} run)")


def write_report(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    kind: str | None = None,
    title: str | None = None,
) -> Path:
    """Write :func:`build_report` to ``out`` (default ``run_dir/report.html``) and return its path."""
    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    html = build_report(run_dir, kind=kind, title=title)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    # a lone surrogate (read from a "\ud800" escape in a run's JSON) cannot be UTF-8: a character reference
    tmp.write_text(html, encoding="utf-8", errors="xmlcharrefreplace")
    os.replace(tmp, target)
    return target
