"""The pieces every section is made of: :class:`Section`, :class:`RunKind` and HTML tables.

>>> table(["split", "F1"], [["gsm8k", pct(0.5)]])
'<table><thead><tr><th>split</th><th>F1</th></tr></thead><tbody><tr><td>gsm8k</td><td class="num">50.0</td></tr></tbody></table>'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from prmkit.errors import DataFormatError

__all__ = ["Cell", "RunKind", "Section", "cell", "num", "pct", "read_json", "table"]


@dataclass(frozen=True)
class Section:
    """One part of a report: a heading and its HTML body (already escaped)."""

    title: str
    html: str

    @property
    def anchor(self) -> str:
        """The id the table of contents links to."""
        return "s-" + re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass(frozen=True)
class RunKind:
    """How one kind of run directory is recognised and turned into sections.

    ``detect(run_dir)`` says whether a directory is of this kind (from the files
    in it); ``sections(run_dir)`` reads it and returns the report's sections.
    """

    name: str
    detect: Callable[[Path], bool]
    sections: Callable[[Path], list[Section]]
    title: str = ""
    """What the page heading calls a run of this kind (default: the name)."""


@dataclass(frozen=True)
class Cell:
    """A table cell whose text is numeric (right-aligned)."""

    text: str


def pct(v: float | None, digits: int = 1) -> Cell:
    """A fraction shown in percent; ``n/a`` for None."""
    return Cell("n/a" if v is None else f"{100 * v:.{digits}f}")


def num(v: float | int | None) -> Cell:
    """A number as a right-aligned cell; ``n/a`` for None.

    >>> num(0.123456).text, num(1200).text
    ('0.1235', '1200')
    """
    if v is None:
        return Cell("n/a")
    return Cell(str(v) if isinstance(v, int) else f"{v:.4g}")


def cell(v: Any) -> str:
    """One ``<td>``: see :func:`table`."""
    if isinstance(v, Cell):
        return f'<td class="num">{escape(v.text)}</td>'
    if isinstance(v, bool) or v is None:
        return f"<td>{escape(str(v))}</td>"
    if isinstance(v, int | float):
        return cell(num(v))
    if isinstance(v, str):
        return f"<td>{escape(v)}</td>"
    return f"<td><code>{escape(json.dumps(v, ensure_ascii=False))}</code></td>"


def table(head: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str = "") -> str:
    """An HTML table; strings are escaped, numbers and :class:`Cell`s right-aligned, the rest shown as JSON."""
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table>{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def read_json(path: Path) -> Any:
    """The JSON document at ``path``; a file that is not JSON raises :class:`DataFormatError` naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFormatError(f"not JSON ({e.msg})", path=str(path), line=e.lineno) from None
