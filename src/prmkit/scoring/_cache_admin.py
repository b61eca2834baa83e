"""Reading a whole score cache: statistics per scorer identity, every row for export, pruning.

The statements live with the schema in :mod:`prmkit.scoring._cache_db`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prmkit.scoring._cache_db import (
    PER_PRM,
    ROWS,
    SCHEMA_VERSION,
    detail_column,
    transaction,
    version,
)

__all__ = ["CacheStats", "PRMCacheStats", "prune", "rows", "stats"]


@dataclass(frozen=True)
class PRMCacheStats:
    """What the cache holds for one scorer identity."""

    identity: str
    entries: int
    """Step-prefix rows."""
    solutions: int
    """Rows that end a solution scored as a whole (they carry a token count)."""
    hits: int
    """Solutions served from the cache by a ``CachedScorer``."""
    misses: int
    """Solutions a ``CachedScorer`` had to send to the PRM."""
    calls: int
    """Batched ``score()`` calls made to the PRM."""
    last_used: float | None
    """Latest creation or hit time of any entry (Unix seconds)."""

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


@dataclass(frozen=True)
class CacheStats:
    """What ``prmkit cache stats`` reports."""

    path: str
    schema_version: int
    entries: int
    solutions: int
    size_bytes: int
    """The database file plus its ``-wal`` and ``-shm`` files."""
    prms: tuple[PRMCacheStats, ...]


def stats(conn: sqlite3.Connection, path: Path) -> CacheStats:
    per = tuple(PRMCacheStats(*row) for row in conn.execute(PER_PRM))
    size = sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )
    return CacheStats(
        path=str(path),
        schema_version=version(conn) or SCHEMA_VERSION,
        entries=sum(p.entries for p in per),
        solutions=sum(p.solutions for p in per),
        size_bytes=size,
        prms=per,
    )


def rows(
    conn: sqlite3.Connection, prm: int | None, batch: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """Every entry (of one PRM id, or all) as JSON-ready dicts, in batches; a judge's judgement, where one
    is stored, as ``judgement``."""
    where, params = ("WHERE s.prm = ?", (prm,)) if prm is not None else ("", ())
    cur = conn.execute(ROWS.format(where=where, detail=detail_column(conn)), params)
    while chunk := cur.fetchmany(batch):
        yield [
            {
                "prm": identity,
                "problem": problem.hex(),
                "prefix": prefix.hex(),
                "step": step,
                "score": score,
                "tokens": tokens,
                "created": created,
                "last_hit": last_hit,
            }
            | ({} if judgement is None else {"judgement": json.loads(judgement)})
            for identity, problem, prefix, step, score, tokens, created, last_hit, judgement in chunk
        ]


def prune(conn: sqlite3.Connection, prm: int | None, before: float | None) -> int:
    """Delete entries (of one PRM id, last used before a time); return how many."""
    clauses: list[str] = []
    params: list[float] = []
    if prm is not None:
        clauses.append("prm = ?")
        params.append(prm)
    if before is not None:
        clauses.append("coalesce(last_hit, created) < ?")
        params.append(before)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with transaction(conn):
        n = conn.execute("DELETE FROM steps" + where, params).rowcount
        if prm is not None and before is None:
            conn.execute("DELETE FROM prms WHERE id = ?", (prm,))
        if prm is None and before is None:
            conn.execute("DELETE FROM prms")
    return int(n)
