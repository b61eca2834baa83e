"""The per-case browser: one row per case with its step-score chart, filtered in the page.

Any run kind with per-case results can use it: give each case its facet
values (``split``, ``category``, ``outcome``, ...), its table cells and a
chart. The page's script (:mod:`prmkit.evaluation.report._page`) shows a
``<select>`` per facet and a text box on the id, and keeps the count of shown
cases in the element with class ``case-count``.

>>> html = case_browser([CaseView("c-0", {"outcome": "wrong"}, ["x"], "<svg></svg>")], facets=["outcome"], columns=["col"])
>>> 'data-outcome="wrong"' in html and 'data-facet="outcome"' in html
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from prmkit.evaluation.report._html import cell

__all__ = ["CaseView", "case_browser"]


@dataclass(frozen=True)
class CaseView:
    """One row of the browser."""

    id: str
    facets: Mapping[str, str]
    """Facet name -> this case's value (what the filters select on)."""
    cells: Sequence[Any]
    """The row's table cells after the id, one per column."""
    chart: str
    """Inline SVG of the case (see :func:`prmkit.evaluation.report._svg.step_chart`)."""


def case_browser(
    cases: Sequence[CaseView],
    *,
    facets: Sequence[str],
    columns: Sequence[str],
    chart_title: str = "step scores",
    note: str = "",
) -> str:
    """The browser's HTML: filters, a count, and a table of ``cases``.

    A facet that no case has is left out; the others get a ``<select>`` with
    ``all`` and each value seen, in sorted order.
    """
    shown = [f for f in facets if any(f in c.facets for c in cases)]
    controls = []
    for f in shown:
        values = sorted({c.facets[f] for c in cases if f in c.facets})
        opts = '<option value="">all</option>' + "".join(
            f'<option value="{escape(v)}">{escape(v)} ({sum(c.facets.get(f) == v for c in cases)})</option>'
            for v in values
        )
        controls.append(
            f'<label>{escape(f)} <select data-facet="{escape(f)}" name="{escape(f)}">{opts}</select></label>'
        )
    controls.append(
        '<label>id <input type="search" data-facet="id" name="id" placeholder="contains"></label>'
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in ["id", *columns, chart_title])
    rows = []
    for c in cases:
        data = "".join(f' data-{escape(f)}="{escape(c.facets[f])}"' for f in shown if f in c.facets)
        cells = "".join(cell(v) for v in c.cells)
        rows.append(
            f'<tr class="case" data-id="{escape(c.id)}"{data}><td><code>{escape(c.id)}</code></td>'
            f"{cells}<td>{c.chart}</td></tr>"
        )
    note_html = f'<p class="note">{note}</p>' if note else ""
    return (
        f'<div class="case-browser">{note_html}<div class="filters">{"".join(controls)}'
        f'<span class="count"><span class="case-count">{len(cases)}</span> of {len(cases)} cases</span></div>'
        f'<table class="cases"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="empty" hidden>No case matches the filters.</p></div>'
    )
