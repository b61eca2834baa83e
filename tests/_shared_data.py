"""Where the shared benchmark data lives: ``shared/data`` beside the checkout (or beside its parent)."""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``$PRMKIT_SHARED_DATA``, else ``../shared/data``, else ``../../shared/data``; None if absent."""
    env = os.environ.get("PRMKIT_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [base / "shared" / "data" for base in (_REPO.parent, _REPO.parent.parent)]
    return next((d for d in candidates if d.is_dir()), None)
