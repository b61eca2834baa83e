"""A read-only or damaged score cache through ``prmkit cache`` in a subprocess: stats and export
work read-only, writes are a typed error, corrupt pages are named, never a traceback or a wrong answer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prmkit.errors import OutputError
from prmkit.scoring.cache import ScoreCache
from prmkit.types import Solution, StepScores

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def fill(path: Path, n: int) -> None:
    with ScoreCache(path) as cache:
        cache.put("prm-a", [(Solution(f"q{i}", tuple(f"step {j} of {i}" for j in range(5))),
                             StepScores(tuple(j / 8 for j in range(5)))) for i in range(n)])


def prmkit(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "prmkit", *argv], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A cache in a folder chmod 555 (closed cleanly: no -wal or -shm left)."""
    (tmp_path / "c").mkdir()
    fill(tmp_path / "c" / "s.sqlite", 50)
    (tmp_path / "c").chmod(0o555)
    try:
        yield tmp_path
    finally:
        (tmp_path / "c").chmod(0o755)


@pytest.fixture
def no_write_access(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores folder permissions: make ``os.access`` answer as for any other user."""
    if ROOT:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if mode & os.W_OK else real(p, mode, **kw))


def test_read_only_cache_in_process(readonly_dir: Path, no_write_access: None,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from prmkit.cli import main

    db = str(readonly_dir / "c" / "s.sqlite")
    assert main(["cache", "stats", "--db", db]) == 0
    assert "250 step prefixes, 50 solutions" in capsys.readouterr().out
    assert main(["cache", "export", "--db", db, "--out", str(readonly_dir / "e.jsonl")]) == 0
    assert len((readonly_dir / "e.jsonl").read_text().splitlines()) == 250
    assert sorted(os.listdir(readonly_dir / "c")) == ["s.sqlite"]  # nothing written beside it
    assert main(["cache", "prune", "--all", "--db", db]) == 2
    assert "s.sqlite: score cache is read-only" in capsys.readouterr().err
    with ScoreCache(db, read_only=True) as cache, pytest.raises(OutputError, match="opened read-only"):
        cache.put("prm-a", [(Solution("q", ("x",)), StepScores((0.5,)))])


@pytest.mark.parametrize("command", ["stats", "export", "prune"])
def test_corrupt_pages_with_an_intact_header_are_named(tmp_path: Path, command: str) -> None:
    db = tmp_path / "s.sqlite"
    fill(db, 2000)
    data = bytearray(db.read_bytes())
    mid = len(data) // 3
    data[mid : mid + 8192] = b"Z" * 8192  # whole pages in the middle; page 1 (the header) intact
    db.write_bytes(bytes(data))
    argv = {"stats": [], "export": ["--out", str(tmp_path / "e.jsonl")], "prune": ["--older-than", "0"]}[command]
    proc = prmkit("cache", command, "--db", str(db), *argv)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{db}: score cache is damaged (" in proc.stderr
    assert not (tmp_path / "e.jsonl").exists()
