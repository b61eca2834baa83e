"""The score store behind :mod:`prmkit.scoring.cache`: keys, lookups, one-transaction writes, admin."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from prmkit._registry import suggest
from prmkit.errors import DataFormatError, OutputError, UnknownNameError
from prmkit.scoring import _cache_admin as admin
from prmkit.scoring import _cache_db as db
from prmkit.scoring._cache_admin import CacheStats
from prmkit.scoring._cache_integrity import quick_check, read_only_uri, reading, writable, writing
from prmkit.scoring._cache_keys import Found, SolutionKeys, default_cache_path, solution_keys
from prmkit.types import Judgement, Solution, StepScores

__all__ = ["Found", "ScoreCache", "SolutionKeys", "default_cache_path", "solution_keys"]

_CHUNK = 500  # prefix keys per SELECT, well under SQLite's bound-parameter limit


class ScoreCache:
    """Step scores in one SQLite file (WAL), shared by every run and process that opens it.

    ``create=False`` refuses a path with no cache instead of creating one.
    ``read_only=True`` opens an existing cache without writing anything (a
    cache in a read-only folder can still be inspected and exported); its
    writing methods raise :class:`~prmkit.errors.OutputError`. A file SQLite
    finds corrupt raises :class:`~prmkit.errors.DataFormatError` naming it
    wherever a read reaches the damage; :meth:`check` looks at every page.

    >>> import os, tempfile
    >>> with ScoreCache(os.path.join(tempfile.mkdtemp(), "s.sqlite")) as cache:
    ...     cache.put("prm-a", [(Solution("q", ("x",)), StepScores((0.5,), tokens=3))])
    ...     cache.get("prm-a", [Solution("q", ("x",)), Solution("q", ("y",))])
    1
    [StepScores(scores=(0.5,), tokens=3), None]
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        synchronous: db.Synchronous = "NORMAL",
        busy_timeout_s: float = 60.0,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.read_only = read_only
        if (read_only or not create) and not self.path.is_file():
            raise DataFormatError("no score cache here", path=str(self.path))
        if not read_only:
            writable(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise OutputError(
                    f"cannot create the cache folder ({e.strerror or e})", path=str(self.path)
                ) from None
        self._busy_timeout_s = busy_timeout_s
        self._conn = db.connect(
            self.path, synchronous=synchronous, busy_timeout_s=busy_timeout_s, read_only=read_only
        )
        self._lock = threading.RLock()
        self._detail = db.detail_column(self._conn)

    def get(
        self, identity: str, solutions: Sequence[Solution], *, causal: bool = True
    ) -> list[StepScores | None]:
        """Cached scores for each solution, or ``None`` where any part is missing. Read-only."""
        found = self._find(identity, [solution_keys(s, causal=causal) for s in solutions])
        return [f.result() if f.complete else None for f in found]

    def put(
        self, identity: str, scored: Sequence[tuple[Solution, StepScores]], *, causal: bool = True
    ) -> int:
        """Store scored solutions in one transaction; return how many were storable (no NaN).

        A result without exactly one score per step raises ``ValueError``.
        """
        for sol, res in scored:
            if len(res.scores) != sol.n_steps:
                raise ValueError(
                    f"{len(res.scores)} scores for {sol.n_steps} steps (solution {sol.id!r})"
                )
        new = [(solution_keys(sol, causal=causal), res) for sol, res in scored]
        return self._commit(identity, new, touched=[], hits=0, misses=0, calls=0)

    def _find(self, identity: str, keys: Sequence[SolutionKeys]) -> list[Found]:
        out = [Found([None] * len(k.prefixes), None) for k in keys]
        with self._lock, reading(self.path):
            pid = db.prm_id(self._conn, identity, create=False, now=0.0)
            if pid is None:
                return out
            for k, f in zip(keys, out, strict=True):
                where = {p: i for i, p in enumerate(k.prefixes)}
                for start in range(0, len(k.prefixes), _CHUNK):
                    chunk = k.prefixes[start : start + _CHUNK]
                    sql = db.LOOKUP.format(marks=",".join("?" * len(chunk)), detail=self._detail)
                    rows = self._conn.execute(sql, (pid, k.problem, *chunk))
                    for prefix, score, tokens, detail in rows:
                        i = where[prefix]
                        f.scores[i] = float(score)
                        if i == len(k.prefixes) - 1:
                            f.tokens, f.judgement = tokens, self._judgement(detail)
        return out

    def _commit(
        self,
        identity: str,
        new: Sequence[tuple[SolutionKeys, StepScores]],
        *,
        touched: Sequence[tuple[bytes, bytes]],
        hits: int,
        misses: int,
        calls: int,
    ) -> int:
        """One transaction: new rows, last-hit times, counters. Returns solutions stored."""
        self._writable()
        now = db.now()
        storable = [
            (k, r)
            for k, r in new
            if k.prefixes
            and len(r.scores) == len(k.prefixes)
            and not any(math.isnan(s) for s in r.scores)
        ]
        with self._lock, db.transaction(self._conn) as conn:
            pid = db.prm_id(conn, identity, create=True, now=now)
            conn.executemany(
                db.UPSERT,
                [
                    (
                        pid,
                        k.problem,
                        p,
                        i,
                        s,
                        r.tokens if last else None,
                        now,
                        _detail(r) if last else None,
                    )
                    for k, r in storable
                    for i, (p, s) in enumerate(zip(k.prefixes, r.scores, strict=True))
                    for last in (i == len(k.prefixes) - 1,)
                ],
            )
            conn.executemany(db.TOUCH, [(now, pid, prob, pref) for prob, pref in touched])
            conn.execute(db.COUNT, (hits, misses, calls, pid))
        return len(storable)

    def _judgement(self, detail: str | None) -> Judgement | None:
        if detail is None:
            return None
        try:
            return Judgement.from_record(json.loads(detail))
        except ValueError as e:
            raise DataFormatError(
                f"a stored judgement is damaged ({e})", path=str(self.path), field="detail"
            ) from None

    def identities(self) -> list[str]:
        """Every scorer identity with a row in this cache, sorted."""
        with self._lock, reading(self.path):
            return [r[0] for r in self._conn.execute("SELECT identity FROM prms ORDER BY identity")]

    def stats(self) -> CacheStats:
        """Entries, solutions and hit counts per PRM, and the size on disk.

        >>> import os, tempfile
        >>> ScoreCache(os.path.join(tempfile.mkdtemp(), "s.sqlite")).stats().entries
        0
        """
        with self._lock, reading(self.path):
            return admin.stats(self._conn, self.path)

    def check(self) -> None:
        """SQLite's ``PRAGMA quick_check`` over every page; damage raises
        :class:`~prmkit.errors.DataFormatError` naming the file.

        >>> import os, tempfile
        >>> ScoreCache(os.path.join(tempfile.mkdtemp(), "s.sqlite")).check()
        """
        with self._lock:
            quick_check(self._conn, self.path)

    def rows(self, prm: str | None = None) -> Iterator[dict[str, Any]]:
        """Every entry as a dict (digests as hex), optionally of one identity only.

        Reads one consistent snapshot on a connection of its own, so writers
        (this object included) are not held up while the rows are consumed.
        """
        pid = self._known(prm)
        conn = sqlite3.connect(
            read_only_uri(self.path), timeout=self._busy_timeout_s, isolation_level=None, uri=True
        )
        try:
            with reading(self.path):
                conn.execute("BEGIN")  # one snapshot for the whole read
                for batch in admin.rows(conn, pid):
                    yield from batch
        finally:
            conn.close()

    def export(
        self,
        out: str | os.PathLike[str],
        *,
        prm: str | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Write entries as JSON Lines (atomically: a temp file renamed); return the row count.

        ``progress(n)`` is called every ``n`` rows (``tqdm.update`` fits).
        """
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        n = 0
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in self.rows(prm):
                fh.write(json.dumps(row) + "\n")
                n += 1
                if progress is not None and n % 1000 == 0:
                    progress(1000)
            fh.flush()
            os.fsync(fh.fileno())
        if progress is not None and n % 1000:
            progress(n % 1000)
        os.replace(tmp, target)
        return n

    def prune(self, *, prm: str | None = None, older_than_s: float | None = None) -> int:
        """Delete entries of one identity and/or not used for ``older_than_s`` seconds.

        With neither, every entry goes. Forgetting a whole identity also drops
        its hit counters. Returns the number of entries deleted.
        """
        if older_than_s is not None and older_than_s < 0:
            raise ValueError(f"older_than_s must be >= 0, got {older_than_s}")
        self._writable()
        pid = self._known(prm)
        before = db.now() - older_than_s if older_than_s is not None else None
        with self._lock, writing(self.path):
            return admin.prune(self._conn, pid, before)

    def vacuum(self) -> None:
        """Give the space of deleted entries back to the filesystem and empty the WAL."""
        self._writable()
        with self._lock, writing(self.path):
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ScoreCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self) -> None:
        if self.read_only:
            raise OutputError(
                "score cache opened read-only; this needs write access", path=str(self.path)
            )

    def _known(self, prm: str | None) -> int | None:
        if prm is None:
            return None
        with self._lock, reading(self.path):
            pid = db.prm_id(self._conn, prm, create=False, now=0.0)
        if pid is None:
            raise UnknownNameError(
                suggest(prm, self.identities(), "PRM identity") + f" (in {self.path})"
            )
        return pid


def _detail(result: StepScores) -> str | None:
    """What the cache keeps besides the scores: a generative judge's judgement, as JSON."""
    if result.judgement is None:
        return None
    return json.dumps(result.judgement.to_record(), ensure_ascii=False)
