"""The fallback for a run kind the report does not know: any ``summary.json`` as tables.

Top-level scalars make one table; an object of objects (``{"gsm8k": {"f1": ..}}``)
a table with one row per key; a list of objects a table with one row per item;
anything else is shown as JSON.

>>> import json, tempfile
>>> from pathlib import Path
>>> out = Path(tempfile.mkdtemp())
>>> _ = (out / "summary.json").write_text(json.dumps({"model": "m", "splits": {"a": {"acc": 0.5}}}))
>>> SUMMARY.detect(out), [s.title for s in SUMMARY.sections(out)]
(True, ['Summary', 'splits'])
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from prmkit.evaluation.report._html import RunKind, Section, read_json, table

__all__ = ["SUMMARY", "summary_sections"]


def _columns(items: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for item in items for k in item))


def summary_sections(summary: Any, title: str = "Summary") -> list[Section]:
    """Sections showing a parsed ``summary.json``: one for its scalars, one per nested value."""
    if not isinstance(summary, dict):
        return [Section(title, f"<pre>{escape(json.dumps(summary, indent=2))}</pre>")]
    scalars = [[k, v] for k, v in summary.items() if not isinstance(v, dict | list)]
    out = [Section(title, table(["field", "value"], scalars))] if scalars else []
    for key, value in summary.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            cols = _columns(list(value.values()))
            rows = [[name, *(row.get(c) for c in cols)] for name, row in value.items()]
            out.append(Section(key, table(["", *cols], rows)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            cols = _columns(value)
            out.append(Section(key, table(cols, [[row.get(c) for c in cols] for row in value])))
        elif isinstance(value, dict | list):
            out.append(
                Section(
                    key, f"<pre>{escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
                )
            )
    return out


def _detect(run_dir: Path) -> bool:
    return (run_dir / "summary.json").is_file()


def _sections(run_dir: Path) -> list[Section]:
    return summary_sections(read_json(run_dir / "summary.json"))


SUMMARY = RunKind("summary", _detect, _sections, title="Run")
"""The fallback: a directory with a ``summary.json`` of any shape."""
