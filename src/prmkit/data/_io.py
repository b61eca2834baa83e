"""Reading and appending JSON Lines with errors that name the file, line and field."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from prmkit.errors import DataFormatError, OutputError

__all__ = ["JsonlAppender", "json_utf8", "read_json_records", "read_jsonl", "records_with_position"]


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; line numbers are 1-based.

    A line that is not a JSON object raises :class:`DataFormatError` naming the file and line;
    so does a line that is not UTF-8, with the byte offset of the first bad byte in the
    file (in the uncompressed stream for ``.gz``). A path ending in ``.gz`` is read through gzip.
    A UTF-8 byte order mark at the start of the file is skipped.
    """
    p = str(path)
    try:
        fh = gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")  # noqa: SIM115
    except OSError as e:
        raise _unreadable(p, e) from None
    with fh:
        offset = 0
        for lineno, data in enumerate(_lines(fh, p), start=1):
            raw = _decode(data, p, lineno, offset)
            offset += len(data)
            if lineno == 1:
                raw = raw.removeprefix(_BOM)
            if not raw.strip():
                continue
            obj = _loads(raw, p, lineno, column=True)
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
    A path ending in ``.gz`` is read as gzipped JSON Lines.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> _ = open(p, "w").write('[{"x": 1}]')
    >>> records_with_position(p)
    [({'record': 0}, {'x': 1})]
    """
    p = str(path)
    if p.endswith(".gz"):
        return [({"line": line}, obj) for line, obj in read_jsonl(p)]
    try:
        data = Path(p).read_bytes()
    except OSError as e:
        raise _unreadable(p, e) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _not_utf8(p, data.count(b"\n", 0, e.start) + 1, e.start, data[e.start]) from None
    head = text.removeprefix(_BOM).lstrip()[:1]
    if head == "[":
        arr = _loads(text.removeprefix(_BOM), p, None, column=False)
        out = []
        for i, obj in enumerate(arr):
            if not isinstance(obj, dict):
                raise DataFormatError("expected a JSON object", path=p, record=i, value=obj)
            out.append(({"record": i}, obj))
        return out
    return [({"line": line}, obj) for line, obj in read_jsonl(p)]


_BOM = "\ufeff"


def _loads(text: str, path: str, line: int | None, *, column: bool) -> Any:
    """``json.loads``; malformed JSON, a number past Python's 4300-digit limit and nesting deeper than
    the recursion limit are each a :class:`DataFormatError` naming the file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f" at column {e.colno}" if column else ""
        raise DataFormatError(f"malformed JSON ({e.msg}{where})", path=path, line=line or e.lineno) from None
    except ValueError as e:  # int("1" * 5000): CPython's limit on integer digits
        raise DataFormatError(f"a number is too long ({e})", path=path, line=line) from None
    except RecursionError:
        raise DataFormatError("JSON nested too deeply", path=path, line=line) from None


def _unreadable(path: str, e: OSError) -> DataFormatError:
    """The error for an input that cannot be opened: missing, a folder, not readable."""
    if isinstance(e, FileNotFoundError):
        return DataFormatError("file not found", path=path)
    if isinstance(e, IsADirectoryError):
        return DataFormatError("is a folder, not a file", path=path)
    return DataFormatError(f"cannot read ({e.strerror or e})", path=path)


def _lines(fh: Iterable[bytes], path: str) -> Iterator[bytes]:
    """The lines of a binary stream; a damaged gzip stream is a :class:`DataFormatError`."""
    try:
        yield from fh
    except (OSError, EOFError, zlib.error) as e:
        raise DataFormatError(f"cannot read ({e})", path=path) from None


def _decode(data: bytes, path: str, line: int, offset: int) -> str:
    """One line as text; bytes that are not UTF-8 raise naming the line and the file offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _not_utf8(path, line, offset + e.start, data[e.start]) from None


def _not_utf8(path: str, line: int, offset: int, byte: int) -> DataFormatError:
    return DataFormatError(
        f"not UTF-8: byte 0x{byte:02x} at byte offset {offset} (re-encode the file as UTF-8)",
        path=path,
        line=line,
    )


def json_utf8(obj: Any, *, indent: int | None = None) -> bytes:
    """``obj`` as JSON in UTF-8; text UTF-8 cannot encode (a lone surrogate) is written as a
    ``\\u`` escape instead of failing, and reads back as the same string.

    >>> json_utf8({"a": "caf" + chr(0xE9)}).decode("utf-8") == '{"a": "caf' + chr(0xE9) + '"}'
    True
    >>> json_utf8({"a": chr(0xD800)}) == b'{"a": "' + bytes([92]) + b'ud800"}'  # the six characters \\ud800
    True
    """
    try:
        return json.dumps(obj, ensure_ascii=False, indent=indent).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escape it rather than lose the record
        return json.dumps(obj, ensure_ascii=True, indent=indent).encode("ascii")


class JsonlAppender:
    """Append one JSON object per line, flushed and fsynced per write, so a kill loses nothing written.

    Text that UTF-8 cannot encode (a lone surrogate such as ``"\\ud800"``, which
    ``json.loads`` accepts) is written as a JSON ``\\u`` escape, so the line is
    valid UTF-8 and reads back as the same string. A path that cannot be
    created or opened for appending raises :class:`~prmkit.errors.OutputError`.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "out.jsonl")
    >>> with JsonlAppender(p) as w:
    ...     w.write({"id": "a"})
    >>> [o["id"] for _, o in read_jsonl(p)]
    ['a']
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = str(path)
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            _repair_tail(self.path)
            self._fh: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise OutputError(f"cannot write ({e.strerror or e})", path=self.path) from None
        self._fsync = fsync

    def write(self, obj: Mapping[str, Any]) -> None:
        self._fh.write(json_utf8(obj) + b"\n")
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
