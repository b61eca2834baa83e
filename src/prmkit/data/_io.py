"""Reading and appending JSON Lines with errors that name the file, line and field."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from prmkit.errors import DataFormatError

__all__ = ["JsonlAppender", "read_json_records", "read_jsonl", "records_with_position"]


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; line numbers are 1-based.

    A line that is not a JSON object raises :class:`DataFormatError` naming the file and line.
    A path ending in ``.gz`` is read through gzip.
    """
    p = str(path)
    try:
        fh = gzip.open(p, "rt", encoding="utf-8") if p.endswith(".gz") else open(p, encoding="utf-8")  # noqa: SIM115
    except FileNotFoundError:
        raise DataFormatError("file not found", path=p) from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                raise DataFormatError(f"malformed JSON ({e.msg} at column {e.colno})", path=p, line=lineno) from None
            if not isinstance(obj, dict):
                raise DataFormatError("expected a JSON object", path=p, line=lineno, value=obj)
            yield lineno, obj


def read_json_records(path: str | os.PathLike[str]) -> list[tuple[int, dict[str, Any]]]:
    """Read a JSON array of objects or a JSON Lines file; return ``(position, object)`` pairs.

    For a JSON array the position is the 0-based record index; for JSON Lines
    it is the 1-based line number (the kind of position is in the error text).
    """
    return [(pos, obj) for where, obj in records_with_position(path) for pos in where.values()]


def records_with_position(path: str | os.PathLike[str]) -> list[tuple[dict[str, int], dict[str, Any]]]:
    """``({"record": i}, object)`` for each object of a JSON array, ``({"line": n}, object)`` for JSON Lines.

    The position dictionary is ready to pass on to :class:`~prmkit.errors.DataFormatError`.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> _ = open(p, "w").write('[{"x": 1}]')
    >>> records_with_position(p)
    [({'record': 0}, {'x': 1})]
    """
    p = str(path)
    try:
        text = Path(p).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFormatError("file not found", path=p) from None
    head = text.lstrip()[:1]
    if head == "[":
        try:
            arr = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataFormatError(f"malformed JSON ({e.msg})", path=p, line=e.lineno) from None
        out = []
        for i, obj in enumerate(arr):
            if not isinstance(obj, dict):
                raise DataFormatError("expected a JSON object", path=p, record=i, value=obj)
            out.append(({"record": i}, obj))
        return out
    return [({"line": line}, obj) for line, obj in read_jsonl(p)]


class JsonlAppender:
    """Append one JSON object per line, flushed and fsynced per write, so a kill loses nothing written.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "out.jsonl")
    >>> with JsonlAppender(p) as w:
    ...     w.write({"id": "a"})
    >>> [o["id"] for _, o in read_jsonl(p)]
    ['a']
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        _repair_tail(self.path)
        self._fh: TextIO = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._fsync = fsync

    def write(self, obj: Mapping[str, Any]) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _repair_tail(path: str) -> None:
    """Drop a half-written last line left by a killed process, so appends stay valid JSONL."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return
        fh.seek(0)
        data = fh.read()
        cut = data.rfind(b"\n") + 1
        fh.truncate(cut)
