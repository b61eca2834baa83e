"""Fixtures shared by every test: the shared data folder, and an isolated score cache."""

from __future__ import annotations

from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``shared/data`` beside the checkout (``../shared``), or beside its parent (worktrees)."""
    for base in (_REPO.parent, _REPO.parent.parent):
        d = base / "shared" / "data"
        if d.is_dir():
            return d
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("the shared data folder (../shared/data) is not beside this checkout")
    return d


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands cache scores by default; tests never touch the user's cache."""
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
