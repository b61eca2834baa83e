"""Where the shared read-only data is: $PRMKIT_SHARED_DATA, else ``shared/data`` beside the checkout."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("PRMKIT_SHARED_DATA") or Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
