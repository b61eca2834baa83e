"""Golden files: ``PRMKIT_UPDATE_GOLDEN=1`` rewrites them, and the test then fails.

Updating is for a deliberate change only: the run that writes a file fails, so it can never pass a
regression as the new truth; review ``git diff``, then run again without the switch.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["UPDATE", "update_golden"]

UPDATE = "PRMKIT_UPDATE_GOLDEN"
"""The one switch; set to anything but empty or ``0``."""


def update_golden(path: Path, text: str) -> None:
    """With ``PRMKIT_UPDATE_GOLDEN`` set, write ``text`` to ``path`` and fail; without it, nothing."""
    if os.environ.get(UPDATE, "") in ("", "0"):
        return
    path.write_text(text, encoding="utf-8")
    pytest.fail(f"{UPDATE} is set: wrote {path}; review the diff, then rerun without it", pytrace=False)
