"""Content keys for resumable outputs: what produced a stored record, as one short hash.

A resumable run stores, with each record, the key of everything that went
into it (the problem, the steps, the labels, the scorer's identity, the
options that change the result). A rerun recomputes a record whose key no
longer matches the data, instead of trusting an id.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prmkit.data._io import json_utf8

__all__ = ["CONTENT_KEY", "content_key", "rewrite_jsonl"]

CONTENT_KEY = "content_key"
"""The field of a stored record that holds its content key."""


def content_key(*parts: Any) -> str:
    """A 16-hex-digit SHA-256 of ``parts`` as canonical JSON (sorted keys; tuples as lists).

    >>> content_key("arith", {"steps": ["2 + 2 = 4"], "label": -1})
    '959cf5d08912a214'
    >>> content_key("arith", {"label": -1, "steps": ("2 + 2 = 4",)}) == content_key("arith", {"steps": ["2 + 2 = 4"], "label": -1})
    True
    """
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def rewrite_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> None:
    """Replace ``path`` by ``records``, one JSON object per line, atomically (a temporary file, then a rename)."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    with open(tmp, "wb") as fh:
        for rec in records:
            fh.write(json_utf8(rec) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
