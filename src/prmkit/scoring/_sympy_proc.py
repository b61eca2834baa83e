"""The sympy worker, under a hard wall-clock limit per claim.

Claims are decided in a separate process (the script ``_sympy_worker.py``,
started isolated on first use and kept; :class:`prmkit._worker.WorkerSlot`).
The parent waits at most ``timeout_s`` for each claim's reply; on a timeout it
kills the worker and the next claim starts a fresh one. A process is the only
limit that always holds: sympy can spend minutes inside one call that neither
``signal.alarm`` nor a thread can interrupt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prmkit._worker import WorkerSlot

__all__ = ["ask"]

_SLOT = WorkerSlot(
    Path(__file__).with_name("_sympy_worker.py"),
    needs="sympy and latex2sympy2_extended are needed for the sympy verifier ({detail}); "
    "install them with: pip install 'prmkit[verify]'",
)


def ask(request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
    """The worker's reply to one claim, or ``None`` when it took longer than ``timeout_s`` (it is then killed)."""
    return _SLOT.ask(request, timeout_s)
