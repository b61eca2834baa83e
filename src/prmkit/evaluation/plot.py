"""Plots (need ``prmkit[plot]``): Best-of-N accuracy against N, and reliability diagrams of step scores.

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
from collections.abc import Mapping, Sequence
from pathlib import Path

from prmkit._extras import require
from prmkit.evaluation.bon import BonResult, BonRow
from prmkit.evaluation.calibration import ReliabilityBin

__all__ = ["plot_accuracy_vs_n", "plot_reliability", "series_label"]


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
            style = (
                "--" if pts[0].selector == "pass_at_n" else "-"
            )  # the oracle is an upper bound, not a selector
            line = ax.plot(
                x, [100 * r.accuracy for r in pts], style, marker="o", ms=3.5, lw=1.6, label=label
            )[0]
            ax.fill_between(
                x,
                [100 * r.ci_low for r in pts],
                [100 * r.ci_high for r in pts],
                color=line.get_color(),
                alpha=0.15,
                lw=0,
            )
        if len(ns) > 1:
            ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("N (candidates per problem)")
        ax.set_ylabel("accuracy (%)")
        conf = rows[0]
        ax.set_title(
            title or f"Best-of-N accuracy ({conf.n_problems} problems, bands: bootstrap CI)"
        )
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


def plot_reliability(
    curves: Mapping[str, Sequence[ReliabilityBin]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> Path:
    """Draw observed rate against mean score per bin, one line per curve, with the diagonal; write ``path`` (PNG).

    Marker area grows with the bin's count.

    >>> import tempfile, os
    >>> from prmkit.evaluation.calibration import reliability
    >>> p = plot_reliability({"raw": reliability([0.1, 0.8], [0, 1])}, os.path.join(tempfile.mkdtemp(), "r.png"))
    >>> p.suffix
    '.png'
    """
    require("matplotlib", extra="plot")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.8, 4.6), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfect calibration")
    for label, bins in curves.items():
        total = max(sum(b.count for b in bins), 1)
        line = ax.plot([b.mean_score for b in bins], [b.observed for b in bins], "-", lw=1.4, label=label)[0]
        ax.scatter([b.mean_score for b in bins], [b.observed for b in bins],
                   s=[10 + 300 * b.count / total for b in bins], color=line.get_color(), alpha=0.7, lw=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean step score in bin")
    ax.set_ylabel("observed (mean target in bin)")
    ax.set_title(title or "Reliability of step scores")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out
