"""Inline SVG drawn by hand: line charts with bands, and one solution's step scores.

No plotting library is needed and the output is plain text, the same for the
same numbers, so a report has no image files and no fonts to fetch.

>>> svg = line_chart([Series("f1", [0.0, 0.5, 1.0], [0.2, 0.8, 0.4])], x_label="threshold", y_label="%")
>>> svg.startswith("<svg") and svg.count("<polyline") == 1
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PALETTE", "Series", "line_chart", "nice_ticks", "reliability_chart", "step_chart"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
"""Series colours, in order."""


@dataclass(frozen=True)
class Series:
    """One line of a chart, with an optional band (``lows``/``highs``) around it."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    lows: Sequence[float] | None = None
    highs: Sequence[float] | None = None
    dashed: bool = False


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values inside ``[lo, hi]``, at most about ``most`` of them.

    >>> nice_ticks(-0.02, 1.02)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / most
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step)
    return [round(k * step, 10) for k in range(first, math.floor(hi / step) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def line_chart(
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
    y_scale: float = 100.0,
    log2_x: bool = False,
    x_ticks: Sequence[float] | None = None,
    marker_x: float | None = None,
    marker_label: str = "",
    width: int = 560,
    height: int = 260,
) -> str:
    """A chart of ``series`` (y in ``y_range``, shown times ``y_scale``), legend at the right.

    ``log2_x`` puts x on a log2 axis; ``marker_x`` draws a dashed vertical line (a chosen threshold).
    """
    longest = max((len(s.label) for s in series), default=0)
    left, right, top, bottom = 46, max(120, 40 + 7 * longest), 12, 38
    width += max(0, right - 150)  # room for the legend, the plot keeps its size
    pw, ph = width - left - right, height - top - bottom
    xs_all = [x for s in series for x in s.xs]
    tx = (lambda v: math.log2(v)) if log2_x else (lambda v: v)
    lo_x = min((tx(x) for x in xs_all), default=0.0)
    hi_x = max((tx(x) for x in xs_all), default=1.0)
    if marker_x is not None and not log2_x:
        lo_x, hi_x = min(lo_x, marker_x), max(hi_x, marker_x)
    if hi_x == lo_x:
        lo_x, hi_x = lo_x - 0.5, hi_x + 0.5
    y0, y1 = y_range

    def px(v: float) -> float:
        return left + (tx(v) - lo_x) / (hi_x - lo_x) * pw

    def py(v: float) -> float:
        v = min(max(v, y0), y1)
        return top + (1 - (v - y0) / (y1 - y0)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i in range(5):
        yv = y0 + (y1 - y0) * i / 4
        y = py(yv)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{_fmt(yv * y_scale)}</text>'
        )
    ticks = list(x_ticks) if x_ticks is not None else sorted(set(xs_all))
    if len(ticks) > 12:
        ticks = ticks[:: math.ceil(len(ticks) / 12)]
    for t in ticks:
        out.append(
            f'<text x="{px(t):.1f}" y="{top + ph + 14}" text-anchor="middle">{escape(f"{t:g}")}</text>'
        )
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="frame"/>')
    out.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(11 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = sorted(zip(s.xs, s.ys, s.lows or s.ys, s.highs or s.ys, strict=True))
        if s.lows is not None and s.highs is not None and pts:
            band = [f"{px(x):.1f},{py(h):.1f}" for x, _, _, h in pts]
            band += [f"{px(x):.1f},{py(lo):.1f}" for x, _, lo, _ in reversed(pts)]
            out.append(f'<polygon points="{" ".join(band)}" fill="{colour}" fill-opacity="0.1"/>')
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _, _ in pts)
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}>'
            f"<title>{escape(s.label)}</title></polyline>"
        )
        ly = top + 10 + 16 * i
        out.append(
            f'<line x1="{left + pw + 10}" x2="{left + pw + 28}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        out.append(f'<text x="{left + pw + 32}" y="{ly}">{escape(s.label)}</text>')
    if marker_x is not None:
        x = px(marker_x)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" class="marker"/>')
        out.append(
            f'<text x="{x + 3:.1f}" y="{top + 10}" class="marker-label">{escape(marker_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def step_chart(
    scores: Sequence[float] | None,
    threshold: float,
    *,
    label: int | None = None,
    pred: int | None = None,
    width_per_step: int = 14,
    height: int = 52,
) -> str:
    """One solution's step scores as bars against ``threshold`` (dashed line).

    Bars below the threshold are red. Under the bars, ``L`` marks the labelled
    first error and ``P`` the predicted one (index -1: none; ``None``: not known).

    >>> svg = step_chart([0.9, 0.2], 0.5, label=1, pred=1)
    >>> svg.count("<rect"), ">L<" in svg, ">P<" in svg
    (2, True, True)
    """
    if scores is None:
        return '<svg xmlns="http://www.w3.org/2000/svg" class="steps" width="90" height="20"><text x="2" y="14">no scores</text></svg>'
    finite = [s for s in scores if math.isfinite(s)]
    y0 = min([0.0, threshold, *finite])
    y1 = max([1.0, threshold, *finite])
    top, plot_h = 3, height - 24
    width = max(60, 6 + width_per_step * len(scores))

    def py(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * plot_h

    base = py(max(y0, min(0.0, y1)))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="steps" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, s in enumerate(scores):
        x = 4 + width_per_step * i
        if not math.isfinite(s):
            out.append(f'<text x="{x}" y="{base:.1f}" class="nan">?</text>')
            continue
        y = py(s)
        cls = "bar low" if s < threshold else "bar"
        out.append(
            f'<rect x="{x}" y="{min(y, base):.1f}" width="{width_per_step - 3}" '
            f'height="{max(abs(base - y), 1):.1f}" class="{cls}"><title>step {i}: {s:.4g}</title></rect>'
        )
    ty = py(threshold)
    out.append(f'<line x1="2" x2="{width - 2}" y1="{ty:.1f}" y2="{ty:.1f}" class="threshold"/>')
    for idx, mark, cls in ((label, "L", "mark-label"), (pred, "P", "mark-pred")):
        if idx is not None and 0 <= idx < len(scores):
            mx = 4 + width_per_step * idx + (width_per_step - 3) / 2
            my = top + plot_h + (10 if mark == "L" else 20)
            out.append(
                f'<text x="{mx:.1f}" y="{my}" text-anchor="middle" class="{cls}">{mark}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def reliability_chart(
    bins: Sequence[tuple[float, float, int]], *, colour: str = PALETTE[0], size: int = 260
) -> str:
    """A reliability diagram: one dot per ``(mean score, observed rate, count)`` bin over the diagonal.

    Both axes run over [0, 1]; the dashed diagonal is perfect calibration, a
    dot below it overconfidence. A dot's area grows with the bin's share of
    the predictions; empty bins are left out.

    >>> svg = reliability_chart([(0.2, 0.1, 30), (0.9, 0.5, 70), (0.5, 0.0, 0)])
    >>> svg.count("<circle"), svg.count('class="marker"')
    (2, 1)
    """
    left, right, top, bottom = 46, 18, 14, 38
    width, height = size + left + right, size + top + bottom
    total = sum(n for _, _, n in bins) or 1

    def px(v: float) -> float:
        return left + min(max(v, 0.0), 1.0) * size

    def py(v: float) -> float:
        return top + (1 - min(max(v, 0.0), 1.0)) * size

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i in range(6):
        v = i / 5
        out.append(f'<line x1="{left}" x2="{left + size}" y1="{py(v):.1f}" y2="{py(v):.1f}" class="grid"/>')
        out.append(f'<text x="{left - 4}" y="{py(v) + 3:.1f}" text-anchor="end">{_fmt(v)}</text>')
        out.append(f'<text x="{px(v):.1f}" y="{top + size + 14}" text-anchor="middle">{_fmt(v)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{size}" height="{size}" class="frame"/>')
    out.append(f'<line x1="{px(0):.1f}" y1="{py(0):.1f}" x2="{px(1):.1f}" y2="{py(1):.1f}" class="marker"/>')
    out.append(f'<text x="{left + size / 2:.1f}" y="{height - 6}" text-anchor="middle">mean score</text>')
    out.append(
        f'<text transform="translate(11 {top + size / 2:.1f}) rotate(-90)" text-anchor="middle">observed</text>'
    )
    shown = sorted((b for b in bins if b[2] > 0), key=lambda b: b[0])
    if shown:
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in shown)
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.2"/>')
    for x, y, n in shown:
        r = 2.5 + 12 * math.sqrt(n / total)
        out.append(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{r:.1f}" fill="{colour}" fill-opacity="0.55">'
            f"<title>mean score {x:.3f}, observed {y:.3f}, {n} predictions</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)
