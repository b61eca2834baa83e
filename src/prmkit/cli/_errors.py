"""The last net of the error boundary: a failure the user's files or machine caused, as one line.

The library converts what it can where the path is known (a
:class:`~prmkit.errors.DataFormatError` for an input, an
:class:`~prmkit.errors.OutputError` for an output). What still escapes and is
the environment's doing, not prmkit's (a permission, a folder where a file is
needed, a full disk, a damaged SQLite file, malformed JSON, text that is not
UTF-8, no memory left), becomes a :class:`~prmkit.errors.FileAccessError` or
a :class:`~prmkit.errors.DataFormatError` naming the file where the exception
knows it. Anything else (``TypeError``, ``KeyError``, ``AssertionError``, ...)
is a bug and keeps its traceback.

>>> print(user_error(IsADirectoryError(21, "Is a directory", "runs/out.jsonl")))
runs/out.jsonl: is a folder where a file is needed
>>> user_error(KeyError("x")) is None
True
"""

from __future__ import annotations

import errno
import json
import sqlite3

from prmkit.errors import DataFormatError, FileAccessError, PRMKitError

__all__ = ["user_error"]

_BY_ERRNO = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a folder where a file is needed",
    errno.ENOTDIR: "a part of the path is a file where a folder is needed",
    errno.EEXIST: "already exists",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EMFILE: "too many open files (raise the limit: ulimit -n)",
    errno.ENFILE: "too many open files in the system",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ELOOP: "too many symbolic links",
    errno.ENOENT: "no such file or folder",
    errno.EPIPE: "the output pipe was closed before prmkit finished writing",
}


def user_error(e: BaseException) -> PRMKitError | None:
    """The typed error for ``e`` if the user's files or machine caused it; None for a bug."""
    if isinstance(e, PRMKitError):
        return e
    if isinstance(e, OSError) and (e.filename is not None or e.errno in _BY_ERRNO):
        what = _BY_ERRNO.get(e.errno or 0, e.strerror or str(e))
        if e.filename2 is not None:
            what += f" (and {e.filename2})"
        return FileAccessError(what, path=None if e.filename is None else str(e.filename))
    if isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.ProgrammingError):
        return FileAccessError(
            f"a SQLite file (the score cache?) cannot be used: {e}; check it with `prmkit cache check --db FILE`"
        )
    if isinstance(e, json.JSONDecodeError):
        return DataFormatError(f"malformed JSON ({e.msg} at line {e.lineno}, column {e.colno}) in a file prmkit read")
    if isinstance(e, UnicodeDecodeError):
        return DataFormatError(
            f"text is not UTF-8 (byte 0x{e.object[e.start]:02x} at offset {e.start}); re-encode the file as UTF-8"
        )
    if isinstance(e, UnicodeEncodeError):
        return DataFormatError(
            f"text cannot be written as {e.encoding} ({e.object[e.start : e.end]!a} at {e.start}); "
            "set PYTHONIOENCODING=utf-8 or a UTF-8 locale"
        )
    if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
        return FileAccessError("out of memory; use a smaller --batch-size (or a smaller model)")
    return None
