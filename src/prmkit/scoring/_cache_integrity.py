"""What the score cache does with a file it cannot trust: read-only opening, corruption checks.

SQLite reports a corrupt page when a statement reaches it ("database disk
image is malformed"); :func:`reading` turns that into a
:class:`~prmkit.errors.DataFormatError` naming the file, and
:func:`quick_check` looks at every page before a command reads them all.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from prmkit.errors import DataFormatError, OutputError

__all__ = ["damaged", "quick_check", "read_only_uri", "reading", "writable", "writing"]


def read_only_uri(path: Path) -> str:
    """A read-only URI; ``immutable`` where the folder cannot hold the ``-shm`` file and no
    ``-wal`` exists (then the main file is the whole database and nobody can change it)."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def damaged(path: Path, e: sqlite3.DatabaseError) -> DataFormatError:
    """The error for a cache file SQLite finds corrupt: named, with what to do."""
    return DataFormatError(
        f"score cache is damaged ({e}); delete it (it only saves re-scoring) or recover "
        "what is readable with `sqlite3 FILE .recover`",
        path=str(path),
    )


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn SQLite's corruption errors inside the block into :func:`damaged`; others pass."""
    try:
        yield
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as e:
        raise damaged(path, e) from e


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` over the whole file; a problem raises :func:`damaged`."""
    with reading(path):
        found = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    if found != ["ok"]:
        raise damaged(path, sqlite3.DatabaseError("; ".join(found[:3])))


def writable(path: Path) -> None:
    """Raise :class:`~prmkit.errors.OutputError` unless the cache file (if any) and its
    folder can be written: SQLite would open such a file read-only and fail at the first write."""
    for p in (path, path.parent):
        if p.exists() and not os.access(p, os.W_OK):
            raise OutputError(
                f"score cache is read-only (no write permission on {p}); scoring through it needs write "
                "access, while `prmkit cache stats` and `cache export` only read it",
                path=str(path),
            )


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Like :func:`reading`, and a write refused as read-only becomes an :class:`OutputError`."""
    try:
        with reading(path):
            yield
    except sqlite3.OperationalError as e:
        if "readonly" not in str(e):
            raise
        raise OutputError(f"score cache cannot be written ({e})", path=str(path)) from e
