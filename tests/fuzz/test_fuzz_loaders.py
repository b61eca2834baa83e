"""Every loader under fuzzed files: only typed errors escape, naming the file (and line or record); valid
files load into well-formed objects and read back equal after prmkit writes them (``_fuzz_loaders.py``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from _fuzz_loaders import LOADERS, Loader, run_case
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize("loader", LOADERS, ids=lambda x: x.name)
def test_loader_returns_good_objects_or_a_typed_error(loader: Loader) -> None:
    outcomes: set[str] = set()

    @given(st.data())
    def one(data: st.DataObject) -> None:
        contents, records = data.draw(loader.files, label="file")
        with tempfile.TemporaryDirectory() as tmp:
            outcomes.add(run_case(loader, contents, records, Path(tmp)))

    one()
    assert outcomes == {"valid", "typed"}  # both paths ran: the property was exercised, not skipped


def _run(loader: str, data: bytes, tmp: Path) -> str:
    return run_case(next(x for x in LOADERS if x.name == loader), data, None, tmp)


def test_the_long_mode_is_a_hypothesis_profile() -> None:
    from hypothesis import settings

    assert settings.get_profile("long").max_examples >= 1_000
    assert settings.default.deadline is None


def _record(**kw: Any) -> dict[str, Any]:
    return kw
