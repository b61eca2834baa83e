"""Where the shared benchmark data lives: ``shared/data`` beside the checkout (or beside its parent).

``PRMKIT_SHARED_DATA`` names another folder, and then only that one is looked at; an empty folder counts
as absent, so pointing it at one hides the data. A missing folder or file goes through
:func:`_require.need`: a skip on a developer's machine, a failure under CI.
"""

from __future__ import annotations

import os
from pathlib import Path

from _require import need

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``$PRMKIT_SHARED_DATA`` if set, else ``../shared/data``, else ``../../shared/data``; None if absent or empty."""
    env = os.environ.get("PRMKIT_SHARED_DATA")
    candidates = [Path(env)] if env else [base / "shared" / "data" for base in (_REPO.parent, _REPO.parent.parent)]
    return next((d for d in candidates if d.is_dir() and any(d.iterdir())), None)


def shared_path(*parts: str) -> Path:
    """``shared_data_dir() / parts...``, which must exist (else the test skips, or fails under CI)."""
    root = shared_data_dir()
    need(root is not None, "the shared data folder (../shared/data, or $PRMKIT_SHARED_DATA) is not beside this checkout")
    assert root is not None
    path = root.joinpath(*parts)
    need(path.exists(), f"{path} is not in the shared data folder (set PRMKIT_SHARED_DATA)")
    return path
