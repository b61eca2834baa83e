"""Accuracy-vs-N plot with confidence bands, one line per selector (needs ``prmkit[plot]``).

matplotlib is imported only when a plot is drawn, and pyplot is never used
(no global backend or figure state is touched).

>>> import tempfile, os
>>> from prmkit.evaluation.bon import BonRow
>>> rows = [BonRow("majority", None, n, a, a - 0.05, a + 0.05, 10, 1, None, 0.0) for n, a in [(1, 0.5), (2, 0.6), (4, 0.7)]]
>>> paths = plot_accuracy_vs_n(rows, os.path.join(tempfile.mkdtemp(), "bon"))
>>> [p.suffix for p in paths]
['.png', '.svg']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from prmkit._extras import require
from prmkit.evaluation.bon import BonResult, BonRow

__all__ = ["plot_accuracy_vs_n", "series_label"]


def series_label(row: BonRow) -> str:
    """Legend text of a row's line: the selector, and its aggregator when it has one.

    >>> series_label(BonRow("best_of_n", "min", 1, 0.5, 0.4, 0.6, 3, 1, None, None))
    'best_of_n (min)'
    """
    return row.selector if row.aggregator is None else f"{row.selector} ({row.aggregator})"


def plot_accuracy_vs_n(
    result: BonResult | Sequence[BonRow],
    stem: str | os.PathLike[str],
    *,
    title: str | None = None,
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Draw accuracy (%) against N (log2 axis), a line and a shaded interval per series.

    Writes ``<stem>.png`` and ``<stem>.svg`` (``formats``) and returns their paths.
    """
    mpl = require("matplotlib", extra="plot")
    from matplotlib.figure import Figure

    rows = list(result.rows if isinstance(result, BonResult) else result)
    if not rows:
        raise ValueError("nothing to plot: no rows")
    series: dict[str, list[BonRow]] = {}
    for r in rows:
        series.setdefault(series_label(r), []).append(r)
    ns = sorted({r.n for r in rows})
    with mpl.rc_context({"svg.hashsalt": "prmkit", "svg.fonttype": "none"}):
        fig = Figure(figsize=(8.0, 4.2), dpi=150, layout="constrained")
        ax = fig.add_subplot()
        for label, pts in series.items():
            pts = sorted(pts, key=lambda r: r.n)
            x = [r.n for r in pts]
            style = "--" if pts[0].selector == "pass_at_n" else "-"  # the oracle is an upper bound, not a selector
            line = ax.plot(x, [100 * r.accuracy for r in pts], style, marker="o", ms=3.5, lw=1.6, label=label)[0]
            ax.fill_between(x, [100 * r.ci_low for r in pts], [100 * r.ci_high for r in pts], color=line.get_color(), alpha=0.15, lw=0)
        if len(ns) > 1:
            ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("N (candidates per problem)")
        ax.set_ylabel("accuracy (%)")
        conf = rows[0]
        ax.set_title(title or f"Best-of-N accuracy ({conf.n_problems} problems, bands: bootstrap CI)")
        ax.grid(True, alpha=0.3)
        fig.legend(fontsize=8, loc="outside right upper")
        out = []
        base = Path(stem)
        base.parent.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = base.with_name(base.name + "." + fmt)
            fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
            out.append(path)
    return out
