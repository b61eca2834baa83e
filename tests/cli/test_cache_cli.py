"""``prmkit cache stats|export|prune`` on a cache filled by a real (deterministic) scorer."""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from prmkit.cli._cache import add_parser
from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.scoring.cache import CachedScorer, ScoreCache, solution_keys
from prmkit.scoring.config import ScorerConfig
from prmkit.types import ScoreResult, Solution, StepScores


class PrefixLengthScorer:
    """Step k scores (characters in the problem and steps[:k+1]) mod 97 / 97; tokens = words."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.calls = 0

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        self.calls += 1
        out: list[ScoreResult] = []
        for sol in solutions:
            sizes = [
                len(sol.problem) + sum(map(len, sol.steps[: k + 1])) for k in range(sol.n_steps)
            ]
            out.append(
                StepScores(
                    tuple(n % 97 / 97 for n in sizes), tokens=sum(len(s.split()) for s in sol.steps)
                )
            )
        return out


def solutions(n: int, n_steps: int = 3) -> list[Solution]:
    return [
        Solution(
            f"What is {i} * 3?", tuple(f"step {k}: {i} * 3 = {3 * i + k}" for k in range(n_steps))
        )
        for i in range(n)
    ]


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="prmkit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two PRMs: ``prm-a`` scored 5 solutions of 3 steps twice (5 hits), ``prm-b`` 2 solutions once."""
    path = tmp_path / "scores.sqlite"
    a = CachedScorer(PrefixLengthScorer("prm-a"), path)
    a.score(solutions(5))
    a.score(solutions(5))
    CachedScorer(PrefixLengthScorer("prm-b"), path).score(solutions(2))
    return path


def test_stats_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keep = ScoreCache(
        db
    )  # the last connection to close checkpoints and removes the WAL: not the CLI's
    assert cli("cache", "stats", "--db", str(db), "--json") == 0
    st = json.loads(capsys.readouterr().out)
    assert (st["entries"], st["solutions"], st["schema_version"]) == (21, 7, 2)
    by = {p["identity"]: p for p in st["prms"]}
    assert {
        k: by["prm-a"][k] for k in ("entries", "solutions", "hits", "misses", "calls", "hit_rate")
    } == {
        "entries": 15,
        "solutions": 5,
        "hits": 5,
        "misses": 5,
        "calls": 1,
        "hit_rate": 0.5,
    }
    assert (by["prm-b"]["entries"], by["prm-b"]["hits"], by["prm-b"]["calls"]) == (6, 0, 1)
    on_disk = sum(
        p.stat().st_size for p in db.parent.iterdir() if p.name.startswith("scores.sqlite")
    )
    assert st["size_bytes"] == on_disk > 0
    keep.close()


def test_stats_text_and_default_location(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(db.parent))
    assert cli("cache", "stats") == 0
    out = capsys.readouterr().out
    assert f"cache      {db} (schema 2)" in out
    assert "entries    21 step prefixes, 7 solutions, 2 PRMs" in out
    row = next(line for line in out.splitlines() if line.startswith("prm-a"))
    assert row.split()[:7] == ["prm-a", "15", "5", "5", "5", "1", "50.0%"]


def test_missing_cache_is_an_error_not_a_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.sqlite"
    assert cli("cache", "stats", "--db", str(missing)) == 2
    assert "no score cache here" in capsys.readouterr().err
    assert not missing.exists()


def test_export_one_prm(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "export" / "b.jsonl"
    assert cli("cache", "export", "--db", str(db), "--out", str(out), "--prm", "prm-b") == 0
    assert "wrote 6 entries" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    sols = solutions(2)
    expected = PrefixLengthScorer("x").score(sols)
    want = {
        (solution_keys(s).problem.hex(), solution_keys(s).prefixes[k].hex()): (k, r.scores[k])  # type: ignore[union-attr]
        for s, r in zip(sols, expected, strict=True)
        for k in range(s.n_steps)
    }
    assert {(r["problem"], r["prefix"]): (r["step"], r["score"]) for r in rows} == want
    assert {r["prm"] for r in rows} == {"prm-b"}
    assert sorted(r["tokens"] for r in rows if r["tokens"] is not None) == [
        21,
        21,
    ]  # 7 words x 3 steps
    assert not list(out.parent.glob("*.tmp"))


def test_export_all_and_unknown_prm(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.jsonl"
    assert cli("cache", "export", "--db", str(db), "--out", str(out)) == 0
    assert len(out.read_text().splitlines()) == 21
    assert cli("cache", "export", "--db", str(db), "--out", str(out), "--prm", "prm-c") == 2
    err = capsys.readouterr().err
    assert "unknown PRM identity 'prm-c'; did you mean" in err and "available: prm-a, prm-b" in err


def test_prune_one_prm_forces_rescoring_of_it_only(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("cache", "prune", "--db", str(db), "--prm", "prm-a") == 0
    assert "deleted 15 entries; 6 left" in capsys.readouterr().out
    a, b = PrefixLengthScorer("prm-a"), PrefixLengthScorer("prm-b")
    CachedScorer(a, db).score(solutions(5))
    CachedScorer(b, db).score(solutions(2))
    assert (a.calls, b.calls) == (1, 0)


def test_prune_older_than(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(db) as raw:  # prm-b's entries were written 40 days ago and never hit
        raw.execute(
            "UPDATE steps SET created = created - 40 * 86400 WHERE prm = (SELECT id FROM prms WHERE identity = 'prm-b')"
        )
    assert cli("cache", "prune", "--db", str(db), "--older-than", "30") == 0
    assert "deleted 6 entries; 15 left" in capsys.readouterr().out
    assert cli("cache", "prune", "--db", str(db), "--older-than", "30", "--prm", "prm-a") == 0
    assert "deleted 0 entries; 15 left" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli("cache", "prune", "--db", str(db), "--older-than", "-1")
    assert "days must be >= 0" in capsys.readouterr().err


def test_prune_needs_a_filter_and_vacuum_shrinks_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "big.sqlite"
    CachedScorer(PrefixLengthScorer("prm-a"), db).score(solutions(2000, n_steps=8))
    assert cli("cache", "prune", "--db", str(db)) == 2
    assert "nothing to do" in capsys.readouterr().err
    assert cli("cache", "prune", "--db", str(db), "--all", "--prm", "prm-a") == 2
    capsys.readouterr()
    before = ScoreCache(db).stats().size_bytes
    assert cli("cache", "prune", "--db", str(db), "--all", "--vacuum") == 0
    assert "deleted 16000 entries; 0 left" in capsys.readouterr().out
    after = ScoreCache(db).stats().size_bytes
    assert after < before / 10, (before, after)


def test_scoring_commands_use_the_cache_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(tmp_path / "default"))
    parser = argparse.ArgumentParser(prog="prmkit score")
    add_dataclass_arguments(parser, ScorerConfig)
    inner = PrefixLengthScorer("prm-a")
    for argv in (
        [],
        [],
        ["--cache", str(tmp_path / "other.sqlite")],
        ["--no-cache"],
        ["--no-cache"],
    ):
        config_from_args(ScorerConfig, parser.parse_args(argv)).cached(inner).score(solutions(3))
    assert inner.calls == 4  # the second default run was served from the cache
    assert ScoreCache(tmp_path / "default" / "scores.sqlite").stats().solutions == 3
    assert ScoreCache(tmp_path / "other.sqlite").stats().solutions == 3
    with pytest.raises(SystemExit):
        parser.parse_args(["--no-cache", "--cache", "x.sqlite"])
