"""The page template: one self-contained HTML document with its CSS and script inline.

The page's Content-Security-Policy allows no source at all but its own inline
style and script, so a report that opens fetches nothing, and a section that
tried to would be blocked (and show as an error in the browser's console).

>>> from prmkit.evaluation.report._html import Section
>>> page = render_page("t", [Section("Summary", "<p>x</p>")])
>>> page.startswith("<!DOCTYPE html>") and 'id="s-summary"' in page
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from prmkit.evaluation.report._html import Section

__all__ = ["render_page"]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0; }
header { background: #24303f; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; } header p { margin: 2px 0 0; opacity: .8; }
nav { padding: 6px 24px; background: #eef1f5; border-bottom: 1px solid #d5dbe3; }
nav a { margin-right: 14px; color: #24507a; text-decoration: none; }
main { padding: 0 24px 40px; }
section h2 { font-size: 17px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 26px; }
table { border-collapse: collapse; margin: 8px 0 14px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: middle; }
th { background: #f6f7f9; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 10px 26px; }
.charts figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 2px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .grid { stroke: #e6e6e6; } svg .frame { fill: none; stroke: #999; }
svg .marker { stroke: #555; stroke-dasharray: 4 3; } svg .marker-label { fill: #555; }
svg .bar { fill: #4a7fb5; } svg .bar.low { fill: #d0453a; }
svg .threshold { stroke: #333; stroke-dasharray: 3 2; stroke-width: 1; }
svg .mark-label { fill: #c27c00; font-weight: 700; } svg .mark-pred { fill: #6a3d9a; font-weight: 700; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; margin: 8px 0; }
.filters select, .filters input { font: inherit; padding: 2px 4px; }
.count { font-weight: 600; } .note { color: #555; max-width: 60em; }
.lbl { color: #c27c00; } .prd { color: #6a3d9a; }
table.cases td { padding: 2px 9px; } tr.case[hidden] { display: none; }
pre { background: #f6f7f9; padding: 8px; overflow-x: auto; }
"""

_JS = """
(function () {
  document.querySelectorAll('.case-browser').forEach(function (browser) {
    var controls = browser.querySelectorAll('[data-facet]');
    var rows = browser.querySelectorAll('tr.case');
    var count = browser.querySelector('.case-count');
    var empty = browser.querySelector('.empty');
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = true;
        controls.forEach(function (c) {
          var want = c.value.trim();
          if (!want) return;
          var have = row.getAttribute('data-' + c.getAttribute('data-facet')) || '';
          if (c.tagName === 'INPUT' ? have.indexOf(want) < 0 : have !== want) ok = false;
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = String(shown);
      empty.hidden = shown > 0;
    }
    controls.forEach(function (c) {
      c.addEventListener(c.tagName === 'INPUT' ? 'input' : 'change', apply);
    });
    apply();
  });
})();
"""


def render_page(title: str, sections: Sequence[Section], *, subtitle: str = "") -> str:
    """The whole document: a header, links to the sections, the sections, the script."""
    nav = "".join(f'<a href="#{s.anchor}">{escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{escape(s.title)}</h2>{s.html}</section>' for s in sections
    )
    sub = f"<p>{escape(subtitle)}</p>" if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{escape(title)}</h1>{sub}</header><nav>{nav}</nav>"
        f"<main>{body}</main><script>{_JS}</script></body></html>\n"
    )
