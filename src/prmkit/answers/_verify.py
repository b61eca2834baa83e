"""Symbolic equivalence with math-verify, under a hard wall-clock limit per comparison.

Comparisons run in a separate worker process (the script ``_worker.py``,
started isolated on first use and kept; :class:`prmkit._worker.WorkerSlot`).
The parent waits at most ``timeout_s`` seconds for each verdict; on a timeout
it kills the worker and the next comparison starts a fresh one. A process is
the only limit that always holds: sympy can spend minutes inside one C call
(``99999999999^{99999999}``) that neither ``signal.alarm`` nor a thread can
interrupt.

A comparison that runs out of time is reported as ``"timeout"``, one that
raises in math-verify as ``"error"``; neither counts as equal. Verdicts
``"equal"``/``"different"`` are cached per ``(gold, target)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prmkit._worker import WorkerSlot

__all__ = ["Verdict", "math_verify_equal"]

Verdict = Literal["equal", "different", "timeout", "error"]
"""Outcome of one comparison."""

_SLOT = WorkerSlot(
    Path(__file__).with_name("_worker.py"),
    needs="math-verify is needed to compare answers ({detail}); install it with: pip install 'prmkit[math]'",
)


def _compare(gold: str, target: str, timeout_s: float) -> Verdict:
    reply = _SLOT.ask({"g": gold, "t": target}, timeout_s)
    if reply is None:
        return "timeout"
    verdict = reply.get("v")
    return verdict if verdict in ("equal", "different") else "error"


_results: dict[tuple[str, str], Verdict] = {}


def math_verify_equal(gold: str, target: str, *, timeout_s: float) -> Verdict:
    """Whether math-verify finds ``target`` equivalent to ``gold`` within ``timeout_s`` seconds.

    >>> math_verify_equal(r"\\frac{3}{8}", "0.375", timeout_s=5.0)
    'equal'
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    key = (gold, target)
    hit = _results.get(key)
    if hit is not None:
        return hit
    verdict = _compare(gold, target, timeout_s)
    if verdict in ("equal", "different"):
        if len(_results) >= 65536:
            _results.clear()
        _results[key] = verdict
    return verdict
