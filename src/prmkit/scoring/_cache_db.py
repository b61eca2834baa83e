"""The SQL behind :mod:`prmkit.scoring.cache`: schema, pragmas, statements, transactions.

Tables
------
``schema_version(version)``
    One row. A file written by a newer prmkit is refused, not guessed at.
``prms(id, identity, created, hits, misses, calls)``
    One row per scorer identity; ``hits``/``misses`` count solutions and
    ``calls`` counts inner ``score()`` calls made through a ``CachedScorer``.
    ``id`` is ``AUTOINCREMENT`` so a pruned PRM's id is never reused: a reader
    holding a stale id can only miss, never read another PRM's scores.
``steps(prm, problem, prefix, step, score, tokens, created, last_hit, detail)``
    Primary key ``(prm, problem, prefix)``: 16-byte digests of the problem and
    of the step prefix ``steps[:step + 1]``. ``tokens`` is not NULL on the row
    that ends a solution which was scored as a whole (the PRM read that many
    tokens for it); ``detail``, on that row, is what a generative judge wrote
    for the solution (its judgement, as JSON), NULL for other scorers. Times
    are Unix seconds; ``last_hit`` is NULL until a hit.

Schema 2 added ``detail``; a schema-1 file is upgraded in place when it is
opened for writing (read-only, it is read as it is, without judgements).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from prmkit.errors import DataFormatError, OutputError
from prmkit.scoring._cache_integrity import damaged, read_only_uri

__all__ = [
    "SCHEMA_VERSION",
    "Synchronous",
    "connect",
    "detail_column",
    "now",
    "prm_id",
    "transaction",
    "version",
]

SCHEMA_VERSION = 2

_UPGRADES = {1: ("ALTER TABLE steps ADD COLUMN detail TEXT",)}
"""Statements that take a file from schema ``k`` to ``k + 1``."""

Synchronous = Literal["NORMAL", "FULL"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS prms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        identity TEXT NOT NULL UNIQUE,
        created REAL NOT NULL,
        hits INTEGER NOT NULL DEFAULT 0,
        misses INTEGER NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS steps (
        prm INTEGER NOT NULL,
        problem BLOB NOT NULL,
        prefix BLOB NOT NULL,
        step INTEGER NOT NULL,
        score REAL NOT NULL,
        tokens INTEGER,
        created REAL NOT NULL,
        last_hit REAL,
        detail TEXT,
        PRIMARY KEY (prm, problem, prefix)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS steps_used ON steps (prm, coalesce(last_hit, created))",
)

LOOKUP = "SELECT prefix, score, tokens, {detail} FROM steps WHERE prm = ? AND problem = ? AND prefix IN ({marks})"
"""Rows of one solution; ``{marks}`` is filled with one ``?`` per prefix key, ``{detail}`` with ``detail``
(``NULL`` for a schema-1 file read read-only)."""

UPSERT = """INSERT INTO steps (prm, problem, prefix, step, score, tokens, created, detail)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (prm, problem, prefix) DO UPDATE SET tokens = coalesce(steps.tokens, excluded.tokens),
        detail = coalesce(steps.detail, excluded.detail)"""
"""A stored score is never overwritten (results stay a function of the cache);
a prefix first seen inside a longer solution gains its token count (and judgement) later."""

TOUCH = "UPDATE steps SET last_hit = ? WHERE prm = ? AND problem = ? AND prefix = ?"

COUNT = "UPDATE prms SET hits = hits + ?, misses = misses + ?, calls = calls + ? WHERE id = ?"

PER_PRM = """SELECT p.identity, count(s.prm), count(s.tokens), p.hits, p.misses, p.calls,
        max(coalesce(s.last_hit, s.created))
    FROM prms p LEFT JOIN steps s ON s.prm = p.id
    GROUP BY p.id ORDER BY p.identity"""

ROWS = """SELECT p.identity, s.problem, s.prefix, s.step, s.score, s.tokens, s.created, s.last_hit, {detail}
    FROM steps s JOIN prms p ON p.id = s.prm {where}
    ORDER BY p.identity, s.problem, s.step, s.prefix"""


def now() -> float:
    """Unix seconds, the unit of ``created`` and ``last_hit``."""
    return time.time()


def connect(
    path: Path, *, synchronous: Synchronous, busy_timeout_s: float, read_only: bool = False
) -> sqlite3.Connection:
    """Open (and on first use create) a cache file in WAL mode; check its schema version.

    ``read_only`` opens an existing file without writing to it or its folder
    (no journal-mode switch, no schema): a cache in a read-only folder can be
    inspected and exported. Writing to a read-only cache raises
    :class:`~prmkit.errors.OutputError`; a damaged file, :class:`DataFormatError`.
    """
    conn = sqlite3.connect(
        read_only_uri(path) if read_only else str(path),
        timeout=busy_timeout_s,
        isolation_level=None,
        check_same_thread=False,
        uri=read_only,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if read_only:
            found = version(conn)
            if found not in range(1, SCHEMA_VERSION + 1):
                raise DataFormatError(
                    f"score cache schema {found} is not the supported {SCHEMA_VERSION}",
                    path=str(path),
                    field="schema_version",
                    value=found,
                )
            return conn
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DataFormatError(
                f"cannot use write-ahead logging (journal_mode is {mode!r})", path=str(path)
            )
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        found = version(conn)
        if found is None:  # new file: create under the write lock (another process may race us)
            with transaction(conn):
                for stmt in _SCHEMA:
                    conn.execute(stmt)
                found = version(conn)
                if found is None:
                    conn.execute(
                        "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,)
                    )
                    found = SCHEMA_VERSION
        if found in _UPGRADES:
            found = _upgrade(conn, found)
        if found != SCHEMA_VERSION:
            raise DataFormatError(
                f"score cache schema {found} is not the supported {SCHEMA_VERSION}",
                path=str(path),
                field="schema_version",
                value=found,
            )
    except sqlite3.OperationalError as e:  # read-only: typed; locked, disk full: say so as is
        conn.close()
        if read_only:
            raise DataFormatError(
                f"cannot open the score cache read-only ({e})", path=str(path)
            ) from e
        if "readonly" in str(e) or "unable to open" in str(e):
            raise OutputError(
                f"score cache cannot be written ({e}); scoring through it needs write access to the "
                "file and its folder, while `prmkit cache stats` and `cache export` only read it",
                path=str(path),
            ) from e
        raise
    except sqlite3.DatabaseError as e:  # not a database, malformed
        conn.close()
        raise damaged(path, e) from e
    except BaseException:
        conn.close()
        raise
    return conn


def _upgrade(conn: sqlite3.Connection, found: int) -> int:
    """Take an older file to the current schema under the write lock (another process may race us)."""
    with transaction(conn):
        found = version(conn) or found
        while found in _UPGRADES:
            for stmt in _UPGRADES[found]:
                conn.execute(stmt)
            found += 1
            conn.execute("UPDATE schema_version SET version = ?", (found,))
    return found


def detail_column(conn: sqlite3.Connection) -> str:
    """What ``LOOKUP`` and ``ROWS`` select as ``{detail}``: the column, or ``NULL`` in a schema-1 file
    (opened read-only, so never upgraded)."""
    return "detail" if (version(conn) or 0) >= 2 else "NULL"


def version(conn: sqlite3.Connection) -> int | None:
    """The stored schema version; ``None`` for a file without one yet. A read: never waits for writers."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone() is None:
        return None
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row is not None else None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken up front, so a
    busy database waits ``busy_timeout`` instead of failing on a lock upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def prm_id(conn: sqlite3.Connection, identity: str, *, create: bool, now: float) -> int | None:
    """The row id of a scorer identity; created inside the caller's transaction if asked."""
    row = conn.execute("SELECT id FROM prms WHERE identity = ?", (identity,)).fetchone()
    if row is not None:
        return int(row[0])
    if not create:
        return None
    cur = conn.execute("INSERT INTO prms (identity, created) VALUES (?, ?)", (identity, now))
    return int(cur.lastrowid) if cur.lastrowid is not None else None
