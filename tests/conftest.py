"""Fixtures shared by every test: the shared data folder, an isolated score cache, and one model cache
for the session; and the hooks that, under CI, fail every skip but a ``gpu`` test's (``_require.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _require import (
    pytest_collection_modifyitems,
    pytest_make_collect_report,
    pytest_runtest_makereport,
)
from _shared_data import shared_path

__all__ = ["pytest_collection_modifyitems", "pytest_make_collect_report", "pytest_runtest_makereport"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (``_shared_data.py``); a skip where it is absent, a failure under CI."""
    return shared_path()


@pytest.fixture(scope="session", autouse=True)
def prmkit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ``PRMKIT_HOME`` for the whole session, set before any fixture of any scope runs. A model
    assembled from its PyPI chunks (0.5 GB) and converted for transformers (2.5 GB in float32) or for
    vLLM is made once and shared by every test that loads it, instead of once per test."""
    home = tmp_path_factory.mktemp("prmkit_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRMKIT_HOME", str(home))
        yield home


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands cache scores by default; tests never touch the user's caches. Scores go to a cache of the
    test's own; models to the session's (:func:`prmkit_home`)."""
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
