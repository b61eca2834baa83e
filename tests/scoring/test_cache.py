"""The persistent step-score cache: hits, prefix sharing, failures, durability, concurrency."""

from __future__ import annotations

import hashlib
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from prmkit.errors import DataFormatError, UnknownNameError
from prmkit.scoring import Scorer, ScorerInfo
from prmkit.scoring.cache import (
    CachedScorer,
    CacheWriteWarning,
    ScoreCache,
    default_cache_path,
    solution_keys,
)
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

SRC = str(Path(__file__).resolve().parents[2] / "src")


def reference_score(problem: str, steps: Sequence[str]) -> float:
    """Score of the last step of ``steps``: a float in [0, 1) derived from the text alone."""
    digest = hashlib.sha256("\x1f".join([problem, *steps]).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


class HashScorer:
    """A deterministic, causal scorer: step k's score depends on the problem and steps[:k+1].

    A step containing "TOO LONG" makes the whole solution fail with ``context_length``.
    Every inner call is recorded, so tests count what reached the PRM.
    """

    def __init__(self, identity: str = "hash-v1", drift: float = 0.0) -> None:
        self.identity = identity
        self.drift = drift
        self.batches: list[list[Solution]] = []

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        self.batches.append(list(solutions))
        out: list[ScoreResult] = []
        for sol in solutions:
            if not sol.steps:
                out.append(ScoreFailure("empty_solution", "no steps", sol.id))
            elif any("TOO LONG" in s for s in sol.steps):
                out.append(ScoreFailure("context_length", "too long", sol.id))
            else:
                scores = tuple(
                    reference_score(sol.problem, sol.steps[: k + 1])
                    + self.drift * len(self.batches)
                    for k in range(sol.n_steps)
                )
                out.append(
                    StepScores(
                        scores, tokens=sum(len(s.split()) for s in (sol.problem, *sol.steps))
                    )
                )
        return out


class WholeSolutionScorer(HashScorer):
    """Not causal: every step's score depends on the whole solution."""

    @property
    def info(self) -> ScorerInfo:
        return ScorerInfo(self.identity, causal=False)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        self.batches.append(list(solutions))
        return [
            StepScores(
                tuple(reference_score(s.problem, (*s.steps, str(k))) for k in range(s.n_steps)),
                tokens=5,
            )
            for s in solutions
        ]


def arithmetic_solutions(n: int) -> list[Solution]:
    sols = []
    for i in range(n):
        a, b = i % 7 + 1, i % 5 + 2
        steps = (
            f"{a} + {b} = {a + b}",
            f"{a + b} * 2 = {2 * (a + b) + i % 2}",
            f"The answer is {2 * (a + b)}.",
        )
        sols.append(Solution(f"What is ({a} + {b}) * 2?", steps[: 1 + i % 3], id=f"s{i}"))
    return sols


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "scores.sqlite"


def test_cached_scorer_is_a_scorer(db: Path) -> None:
    prm = CachedScorer(HashScorer(), db)
    assert isinstance(CachedScorer(HashScorer(), db), Scorer)
    assert prm.identity == "hash-v1" and prm.causal is True
    assert prm.drift == 0.0  # other attributes are the inner scorer's


def test_second_identical_run_makes_no_inner_calls(db: Path) -> None:
    sols = arithmetic_solutions(30)
    direct = HashScorer().score(sols)

    first_inner = HashScorer()
    first = CachedScorer(first_inner, db)
    assert first.score(sols) == direct
    assert (first.calls, first.solutions_scored, first.hits, first.misses) == (
        1,
        len(set(map(_content, sols))),
        0,
        30,
    )
    assert len(first_inner.batches) == 1

    second_inner = HashScorer()
    second = CachedScorer(second_inner, ScoreCache(db))  # a new run on the same file
    again = second.score(sols)
    assert again == direct  # scores and token counts, exactly
    assert [r.tokens for r in again if isinstance(r, StepScores)] == [
        r.tokens for r in direct if isinstance(r, StepScores)
    ]
    assert (second.calls, second.solutions_scored, second.hits, second.misses) == (0, 0, 30, 0)
    assert second_inner.batches == []
    st = ScoreCache(db).stats().prms[0]
    assert (st.hits, st.misses, st.calls) == (30, 30, 1)


def _content(sol: Solution) -> tuple[str, tuple[str, ...]]:
    return (sol.problem, sol.steps)


def test_only_misses_reach_the_scorer_in_one_batch(db: Path) -> None:
    sols = arithmetic_solutions(12)
    inner = HashScorer()
    prm = CachedScorer(inner, db)
    prm.score(sols[:5])
    new = Solution("What is 9 - 4?", ("9 - 4 = 5",), id="new")
    out = prm.score([*sols[:5], new, *sols[5:8]])
    assert [s.id for s in inner.batches[1]] == ["new", "s5", "s6", "s7"]
    assert out[5] == StepScores((reference_score(new.problem, new.steps),), tokens=10)
    assert (prm.calls, prm.hits, prm.misses) == (2, 5, 9)


def test_solutions_sharing_a_prefix_share_entries(db: Path) -> None:
    a = Solution("p", ("s0", "s1", "s2"))
    b = Solution("p", ("s0", "s1", "t2"))
    inner = HashScorer()
    prm = CachedScorer(inner, db)
    out = prm.score([a, b])
    assert out[0].scores[:2] == out[1].scores[:2]
    assert ScoreCache(db).stats().entries == 4  # s0, s0s1, s0s1s2, s0s1t2

    # A prefix of a cached solution has every score cached but no token count of its own:
    # it is scored once to learn its tokens, then it is a hit.
    c = Solution("p", ("s0", "s1"))
    assert prm.score([c]) == [StepScores(out[0].scores[:2], tokens=3)]
    assert prm.calls == 2
    assert prm.score([c]) == [StepScores(out[0].scores[:2], tokens=3)]
    assert prm.calls == 2
    assert ScoreCache(db).stats().entries == 4 and ScoreCache(db).stats().solutions == 3


def test_cached_scores_are_never_overwritten(db: Path) -> None:
    """A scorer whose output drifts between calls (as batching can): shared steps keep their first value."""
    inner = HashScorer(drift=1e-6)
    prm = CachedScorer(inner, db)
    a = prm.score([Solution("p", ("s0", "s1"))])[0]
    b = prm.score([Solution("p", ("s0", "other"))])[0]
    assert isinstance(a, StepScores) and isinstance(b, StepScores)
    assert b.scores[0] == a.scores[0]  # the cached value, not the drifted fresh one
    assert (
        b.scores[1] == reference_score("p", ("s0", "other")) + 2e-6
    )  # fresh where nothing was cached
    rerun = CachedScorer(HashScorer(drift=1e-3), db).score([Solution("p", ("s0", "other"))])[0]
    assert rerun == b


def test_non_causal_scorer_does_not_share_prefixes(db: Path) -> None:
    sols = [Solution("p", ("s0", "s1")), Solution("p", ("s0", "t1"))]
    prm = CachedScorer(WholeSolutionScorer(), db)
    assert prm.causal is False
    assert prm.score(sols) == WholeSolutionScorer().score(sols)
    assert prm.score(sols[1:]) == WholeSolutionScorer().score(sols[1:])
    assert ScoreCache(db).stats().entries == 4
    assert (
        solution_keys(sols[0], causal=False).prefixes[0]
        != solution_keys(sols[1], causal=False).prefixes[0]
    )
    assert solution_keys(sols[0]).prefixes[0] == solution_keys(sols[1]).prefixes[0]


def test_failures_are_returned_every_time_and_never_cached(db: Path) -> None:
    good = Solution("p", ("1 + 1 = 2",), id="good")
    long = Solution("p", ("TOO LONG " * 3,), id="long")
    inner = HashScorer()
    prm = CachedScorer(inner, db)
    for _ in range(2):
        out = prm.score([good, long, Solution("p", (), id="empty")])
        assert out[1] == ScoreFailure("context_length", "too long", "long")
        assert out[2] == ScoreFailure("empty_solution", "no steps", "empty")
    assert [[s.id for s in b] for b in inner.batches] == [
        ["good", "long", "empty"],
        ["long", "empty"],
    ]
    assert ScoreCache(db).stats().solutions == 1


def test_duplicates_in_a_batch_are_scored_once_and_keep_their_ids(db: Path) -> None:
    sols = [
        Solution("p", ("a", "b"), id="x"),
        Solution("p", ("a", "b"), id="y"),
        Solution("p", ("TOO LONG",), id="f1"),
        Solution("p", ("TOO LONG",), id="f2"),
    ]
    inner = HashScorer()
    prm = CachedScorer(inner, db)
    out = prm.score(sols)
    assert [s.id for s in inner.batches[0]] == ["x", "f1"]
    assert out[0] == out[1] and isinstance(out[0], StepScores)
    assert [r.id for r in out[2:]] == ["f1", "f2"]
    assert (prm.solutions_scored, prm.misses) == (2, 4)


def test_nan_scores_are_returned_but_not_cached(db: Path) -> None:
    class NaNScorer:
        identity = "nan"

        def score(self, sols: Sequence[Solution]) -> list[ScoreResult]:
            return [StepScores((math.nan,) * s.n_steps) for s in sols]

    prm = CachedScorer(NaNScorer(), db)
    sol = Solution("p", ("a",))
    assert math.isnan(prm.score([sol])[0].scores[0])
    prm.score([sol])
    assert prm.calls == 2 and ScoreCache(db).stats().entries == 0


def test_identity_separates_prms(db: Path) -> None:
    sols = arithmetic_solutions(4)
    CachedScorer(HashScorer("prm-a"), db).score(sols)
    other = CachedScorer(HashScorer("prm-b"), db)
    other.score(sols)
    assert other.calls == 1 and other.hits == 0
    assert [p.identity for p in ScoreCache(db).stats().prms] == ["prm-a", "prm-b"]


def test_get_and_put_round_trip_and_export_rows(db: Path) -> None:
    cache = ScoreCache(db)
    sol = Solution("q", ("x", "y"))
    assert cache.put("prm", [(sol, StepScores((0.25, 0.75), tokens=9))]) == 1
    assert cache.get("prm", [sol, Solution("q", ("x",))]) == [
        StepScores((0.25, 0.75), tokens=9),
        None,
    ]
    rows = list(cache.rows())
    keys = solution_keys(sol)
    assert [(r["prefix"], r["step"], r["score"], r["tokens"]) for r in rows] == [
        (keys.prefixes[0].hex(), 0, 0.25, None),
        (keys.prefixes[1].hex(), 1, 0.75, 9),
    ]
    assert {r["problem"] for r in rows} == {keys.problem.hex()}
    with pytest.raises(UnknownNameError, match="did you mean 'prm'"):
        list(cache.rows("prn"))
    with pytest.raises(ValueError, match="1 scores for 2 steps"):
        cache.put("prm", [(sol, StepScores((0.5,)))])
    odd = Solution("q\ud800", ("x\udfff",))  # lone surrogates, as JSON can carry them
    cache.put("prm", [(odd, StepScores((0.5,), tokens=1))])
    assert cache.get("prm", [odd]) == [StepScores((0.5,), tokens=1)]


def test_prune_by_age_keeps_entries_hit_recently(db: Path) -> None:
    old, used = Solution("p", ("old",)), Solution("p", ("used",))
    prm = CachedScorer(HashScorer(), db)
    prm.score([old, used])
    with sqlite3.connect(db) as raw:  # pretend both were written 10 days ago
        raw.execute("UPDATE steps SET created = created - 10 * 86400")
    prm.score([used])  # a hit refreshes last_hit
    cache = ScoreCache(db)
    assert cache.prune(older_than_s=86400) == 1
    assert (
        cache.get("hash-v1", [old, used])[0] is None and cache.get("hash-v1", [used])[0] is not None
    )
    assert cache.prune(prm="hash-v1") == 1
    assert cache.stats().prms == ()


def test_default_cache_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_path() == tmp_path / "c" / "scores.sqlite"
    assert ScoreCache().path == tmp_path / "c" / "scores.sqlite"
    monkeypatch.delenv("PRMKIT_CACHE_DIR")
    assert default_cache_path() == Path.home() / ".cache" / "prmkit" / "scores.sqlite"


def test_bad_files_are_refused_with_their_path(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no score cache here"):
        ScoreCache(tmp_path / "missing.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataFormatError, match=str(junk)):
        ScoreCache(junk)
    future = tmp_path / "future.sqlite"
    ScoreCache(future).close()
    with sqlite3.connect(future) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(DataFormatError, match="schema 99"):
        ScoreCache(future)


def test_readers_do_not_wait_for_a_writer_and_busy_writes_warn(db: Path) -> None:
    sols = arithmetic_solutions(6)
    CachedScorer(HashScorer(), db).score(sols)
    raw = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("UPDATE steps SET score = -1")  # uncommitted
    try:
        prm = CachedScorer(HashScorer(), ScoreCache(db, busy_timeout_s=0.1))
        t0 = time.monotonic()
        with pytest.warns(CacheWriteWarning, match="not stored"):  # hit times and counters
            assert prm.score(sols) == HashScorer().score(sols)  # hits, from the old snapshot
        assert prm.calls == 0
        with pytest.warns(CacheWriteWarning, match="not stored"):
            fresh = prm.score([Solution("p", ("new",))])
        assert time.monotonic() - t0 < 5
        assert fresh == HashScorer().score([Solution("p", ("new",))]) and prm.write_errors == 2
    finally:
        raw.execute("ROLLBACK")
    # With time to wait, a writer gets the lock once the other transaction ends.
    raw.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: raw.execute("COMMIT")).start()
    patient = CachedScorer(HashScorer(), ScoreCache(db, busy_timeout_s=10))
    patient.score([Solution("p", ("later",))])
    assert patient.write_errors == 0
    assert ScoreCache(db).get("hash-v1", [Solution("p", ("later",))])[0] is not None


_WRITER = """
import os, sys, time
from prmkit.scoring.cache import CachedScorer
from prmkit.types import Solution, StepScores

class Lengths:
    identity = "lengths-v1"
    def score(self, sols):
        return [StepScores(tuple(len(s) + k / 100 for k, s in enumerate(sol.steps)), tokens=len(sol.steps)) for sol in sols]

prm = CachedScorer(Lengths(), sys.argv[1])
start, stop, per_batch, n_steps = map(int, sys.argv[2:6])
while len(sys.argv) > 6 and not os.path.exists(sys.argv[6]):  # start together
    time.sleep(0.001)
for t in range(start, stop):
    prm.score([Solution(f"problem {t}", tuple(f"batch {t} sol {j} step {k}" for k in range(n_steps)))
               for j in range(per_batch)])
    print(t, flush=True)
"""


def _writer(
    db: Path, start: int, stop: int, per_batch: int, n_steps: int, go: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    args = [
        str(db),
        str(start),
        str(stop),
        str(per_batch),
        str(n_steps),
        *([str(go)] if go else []),
    ]
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _rows_per_problem(db: Path) -> dict[bytes, int]:
    with sqlite3.connect(db) as raw:
        return dict(raw.execute("SELECT problem, count(*) FROM steps GROUP BY problem").fetchall())


def _problem_key(t: int) -> bytes:
    return solution_keys(Solution(f"problem {t}", ("x",))).problem


def test_two_processes_write_one_file(db: Path, tmp_path: Path) -> None:
    ScoreCache(db).close()
    go = tmp_path / "go"
    # batches 100..199 are written by both; the second lock-holder waits (busy_timeout)
    procs = [_writer(db, 0, 200, 10, 8, go), _writer(db, 100, 300, 10, 8, go)]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    counts = _rows_per_problem(db)
    assert counts == {_problem_key(t): 80 for t in range(300)}
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    st = ScoreCache(db).stats().prms[0]
    assert st.solutions == 3000 and st.hits + st.misses == 4000 and st.calls == 400 - st.hits // 10


def test_sigkill_mid_write_loses_nothing_committed(db: Path) -> None:
    """Kill a writer 8 times, at points spread over one transaction's duration; check after each."""
    per_batch, n_steps = 50, 20  # 1000 rows per transaction
    for round_ in range(8):
        start = 10_000 * round_
        proc = _writer(db, start, start + 10_000, per_batch, n_steps)
        assert proc.stdout is not None
        reported, stamps = [], []
        for line in proc.stdout:
            reported.append(int(line))
            stamps.append(time.monotonic())
            if len(reported) == 4:
                period = (stamps[-1] - stamps[0]) / 3  # time per transaction
                time.sleep(period * round_ / 8)
                break
        os.kill(proc.pid, signal.SIGKILL)
        reported += [int(line) for line in proc.stdout]  # whatever it printed before dying
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

        with sqlite3.connect(db) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = _rows_per_problem(db)
        last = reported[-1]
        for t in range(start, last + 1):  # every reported transaction is there, whole
            assert counts.get(_problem_key(t)) == per_batch * n_steps, (round_, t)
        assert set(counts.values()) == {per_batch * n_steps}, round_  # nothing partial anywhere
        ours = [t for t in range(start, last + 3) if _problem_key(t) in counts]
        assert ours in (list(range(start, last + 1)), list(range(start, last + 2)))
        sol = Solution(
            f"problem {last}", tuple(f"batch {last} sol 3 step {k}" for k in range(n_steps))
        )
        assert ScoreCache(db).get("lengths-v1", [sol]) == [
            StepScores(tuple(len(s) + k / 100 for k, s in enumerate(sol.steps)), tokens=n_steps)
        ]


def test_a_judges_judgement_comes_back_from_a_hit(db: Path) -> None:
    from prmkit.types import CodeRun, Judgement

    judged = Judgement(
        ("Paragraph 1 is wrong: \\boxed{1}", "ok ü \\boxed{-1}"),
        ("1", "error: missing"),
        80,
        9,
        0.25,
        (CodeRun(0, 1, "print(4 * 3)", "ok", "12\n"),),
    )

    class Judge:
        identity, calls = "judge:test", 0

        def score(self, sols: Sequence[Solution]) -> list[StepScores]:
            self.calls += 1
            return [StepScores((1.0,) * s.n_steps, tokens=89, judgement=judged) for s in sols]

    judge, sol = Judge(), Solution("q", ("a", "b"))
    first = CachedScorer(judge, db).score([sol])[0]
    hit = CachedScorer(judge, db).score([sol])[0]
    assert judge.calls == 1 and hit == first and hit.judgement == judged
    assert (
        CachedScorer(HashScorer(), db).score([sol])[0].judgement is None
    )  # other scorers keep none
    with ScoreCache(db) as cache:  # an export carries it on the solution's last row
        rows = list(cache.rows("judge:test"))
    assert sorted(str(r.get("judgement")) for r in rows) == sorted(
        [str(None), str(judged.to_record())]
    )


def test_a_schema_1_cache_is_upgraded_in_place_and_read_as_is_read_only(tmp_path: Path) -> None:
    old = tmp_path / "v1.sqlite"
    with sqlite3.connect(old) as raw:  # the schema-1 layout, one PRM, one stored one-step solution
        raw.executescript("""
            CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
            CREATE TABLE prms (id INTEGER PRIMARY KEY AUTOINCREMENT, identity TEXT NOT NULL UNIQUE,
                created REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0, misses INTEGER NOT NULL DEFAULT 0,
                calls INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE steps (prm INTEGER NOT NULL, problem BLOB NOT NULL, prefix BLOB NOT NULL,
                step INTEGER NOT NULL, score REAL NOT NULL, tokens INTEGER, created REAL NOT NULL,
                last_hit REAL, PRIMARY KEY (prm, problem, prefix)) WITHOUT ROWID;
            INSERT INTO prms (identity, created) VALUES ('prm-a', 0);""")
        keys = solution_keys(Solution("q", ("x",)))
        raw.execute(
            "INSERT INTO steps VALUES (1, ?, ?, 0, 0.25, 7, 0, NULL)",
            (keys.problem, keys.prefixes[0]),
        )
    with ScoreCache(old, read_only=True) as cache:
        assert cache.get("prm-a", [Solution("q", ("x",))]) == [StepScores((0.25,), tokens=7)]
    with sqlite3.connect(old) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchone() == (
            1,
        )  # read-only wrote nothing
    with ScoreCache(old) as cache:
        assert cache.get("prm-a", [Solution("q", ("x",))]) == [StepScores((0.25,), tokens=7)]
    with sqlite3.connect(old) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchone() == (2,)
        assert "detail" in [r[1] for r in raw.execute("PRAGMA table_info(steps)")]
