"""Fixtures shared by every test: the shared data folder, and an isolated score cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from _shared_data import shared_data_dir


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
