"""A persistent step-score cache: a rerun, or a new aggregator over old scores, costs no PRM calls.

>>> import os, tempfile
>>> from prmkit.types import Solution, StepScores
>>> class Lengths:  # a tiny deterministic scorer
...     identity = "lengths-v1"
...     def score(self, solutions):
...         return [StepScores(tuple(float(len(s)) for s in sol.steps), tokens=7) for sol in solutions]
>>> prm = CachedScorer(Lengths(), os.path.join(tempfile.mkdtemp(), "scores.sqlite"))
>>> prm.score([Solution("1+1?", ("ab", "abc"))])[0].scores
(2.0, 3.0)
>>> again = prm.score([Solution("1+1?", ("ab", "abc"))])[0]
>>> again.scores, again.tokens, prm.calls, prm.hits
((2.0, 3.0), 7, 1, 1)

Design
------
Key
    ``(PRM identity, problem digest, step-prefix digest) -> score``. The
    identity is the scorer's ``identity`` (spec fingerprint + weights hash).
    Digests are 16-byte BLAKE2b; the prefix digest of step ``k`` chains over
    the length-prefixed texts of ``steps[:k + 1]``, so two solutions that share
    their first steps share those entries.
Causality
    This is sound because every catalogued PRM is causal: the score of step
    ``k`` depends only on the problem and ``steps[:k + 1]``. A scorer that also
    reads later steps must say so in its ``info`` (a
    :class:`~prmkit.scoring.ScorerInfo` with ``causal=False``); its entries are
    then keyed by the whole solution plus the step index and shared with nothing.
Tokens
    ``StepScores.tokens`` is per solution, so it is stored on the row that ends
    a solution scored as a whole. A solution is a hit only when every step
    prefix is present **and** that row has a token count; a solution that is
    only a prefix of a cached one is scored once more, to learn its tokens.
Consistency
    A stored score is never overwritten. When a miss is re-scored, steps that
    were already cached keep (and return) their cached values, so results are
    a function of the cache, identical on every rerun, even where batching
    changes a score in the last float bits.
Failures
    Not cached. ``empty_*`` and ``reserved_text`` cost nothing to find again;
    ``context_length`` depends on the backend's ``max_length``, which is not
    part of the identity; ``backend_error`` is transient. Scores containing NaN
    are returned but not cached (SQLite would store NULL).
Durability
    WAL journal, ``synchronous=NORMAL`` by default: every commit survives a
    killed process (a SIGKILL in the middle of a write loses nothing committed
    and leaves no partial transaction); only a power cut or OS crash can lose
    the last commits, never corrupt the file. For a cache that costs at most a
    re-score, so the per-commit fsync of ``FULL`` is left as an option.
Concurrency
    Several processes may share one file on a local disk (WAL does not work
    over network filesystems). Readers never wait for a writer; writers take the
    lock at ``BEGIN`` and wait up to ``busy_timeout_s``. The PRM runs outside any
    transaction. A :class:`ScoreCache` may be shared by threads; open one per
    process (a connection must not cross a ``fork``). If a write still fails (locked, disk full) the scores are
    returned, a :class:`CacheWriteWarning` is issued and ``write_errors`` counts it.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import warnings
from collections.abc import Sequence
from typing import Any

from prmkit.scoring._backend import Scorer, ScorerInfo, check_batch, scorer_info
from prmkit.scoring._cache_admin import CacheStats, PRMCacheStats
from prmkit.scoring._cache_store import (
    Found,
    ScoreCache,
    SolutionKeys,
    default_cache_path,
    solution_keys,
)
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = [
    "CacheStats",
    "CacheWriteWarning",
    "CachedScorer",
    "PRMCacheStats",
    "ScoreCache",
    "SolutionKeys",
    "default_cache_path",
    "solution_keys",
]


class CacheWriteWarning(UserWarning):
    """Scores were computed and returned but could not be written to the cache."""


class CachedScorer:
    """A :class:`~prmkit.scoring.Scorer` that asks the cache first and the inner scorer only for misses.

    ``cache`` is a :class:`ScoreCache` or a path to one. Every ``score()`` call
    makes at most one batched inner call (duplicates in the batch are scored
    once) and one write transaction. Counters: ``hits`` and ``misses``
    (solutions), ``calls`` (inner ``score()`` calls), ``solutions_scored``
    (solutions sent to the inner scorer), ``write_errors``. Other attributes
    (``spec``, ...) are the inner scorer's.

    >>> from prmkit.scoring import Scorer
    >>> class Const:
    ...     identity = "const"
    ...     def score(self, sols):
    ...         return [StepScores((1.0,) * sol.n_steps) for sol in sols]
    >>> import os, tempfile
    >>> isinstance(CachedScorer(Const(), os.path.join(tempfile.mkdtemp(), "c.sqlite")), Scorer)
    True
    """

    def __init__(self, scorer: Scorer, cache: ScoreCache | str | os.PathLike[str]) -> None:
        self.inner = scorer
        self.cache = cache if isinstance(cache, ScoreCache) else ScoreCache(cache)
        self.causal: bool = scorer_info(scorer).causal
        self.hits = self.misses = self.calls = self.solutions_scored = self.write_errors = 0

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def info(self) -> ScorerInfo:
        """The inner scorer's: a cache changes no score."""
        return scorer_info(self.inner)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not yet set (copy/pickle): do not recurse
            raise AttributeError(name)
        return getattr(self.inner, name)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order; cached where possible, fresh otherwise."""
        sols = list(solutions)
        if not sols:
            return []
        identity = self.identity
        keys = [solution_keys(s, causal=self.causal) for s in sols]
        found = self.cache._find(identity, keys)
        results: list[ScoreResult | None] = [None] * len(sols)
        touched = [
            (k.problem, p)
            for k, f in zip(keys, found, strict=True)
            for p, s in zip(k.prefixes, f.scores, strict=True)
            if s is not None
        ]
        misses: dict[tuple[bytes, bytes], list[int]] = {}
        for i, f in enumerate(found):
            if f.complete:
                results[i] = f.result()
            else:
                misses.setdefault(keys[i].solution, []).append(i)
        n_miss = sum(len(v) for v in misses.values())
        new: list[tuple[SolutionKeys, StepScores]] = []
        if misses:
            firsts = [v[0] for v in misses.values()]
            self.calls += 1
            self.solutions_scored += len(firsts)
            fresh = check_batch([sols[i] for i in firsts], self.inner.score([sols[i] for i in firsts]))
            for positions, first, res in zip(misses.values(), firsts, fresh, strict=True):
                if isinstance(res, StepScores):
                    res = _merge(found[first], res)
                    new.append((keys[first], res))
                for i in positions:
                    results[i] = (
                        res
                        if isinstance(res, StepScores)
                        else dataclasses.replace(res, id=sols[i].id)
                    )
        self.hits += len(sols) - n_miss
        self.misses += n_miss
        try:
            self.cache._commit(
                identity,
                new,
                touched=touched,
                hits=len(sols) - n_miss,
                misses=n_miss,
                calls=int(bool(misses)),
            )
        except sqlite3.Error as e:
            self.write_errors += 1
            warnings.warn(
                f"score cache {self.cache.path}: new scores and hit times not stored ({e})",
                CacheWriteWarning,
                stacklevel=2,
            )
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]


def _merge(found: Found, fresh: StepScores) -> StepScores:
    """Fresh scores where the cache had none; cached scores and token count where it had them."""
    scores = tuple(
        c if c is not None else f for c, f in zip(found.scores, fresh.scores, strict=True)
    )
    tokens = found.tokens if found.tokens is not None else fresh.tokens
    return dataclasses.replace(fresh, scores=scores, tokens=tokens)  # a judge's judgement kept
