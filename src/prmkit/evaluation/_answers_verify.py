"""Symbolic equivalence with math-verify, under a wall-clock limit per comparison.

math-verify's own limits use ``signal.alarm`` with whole seconds and refuse to
run off the main thread; prmkit switches them off and applies its own limit
to the whole comparison (both parses and the check):

* on the main thread, ``signal.setitimer`` interrupts the comparison after
  ``timeout_s`` seconds (fractions allowed). An alarm the caller had set is
  suspended for the duration of the comparison.
* on any other thread the comparison runs in a daemon worker thread that is
  abandoned after ``timeout_s`` (Python cannot stop it; it finishes in the
  background).

A comparison that runs out of time is reported as ``"timeout"``, one that
raises as ``"error"``; neither counts as equal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal, TypeVar

from prmkit._extras import require

__all__ = ["Verdict", "math_verify_equal"]

Verdict = Literal["equal", "different", "timeout", "error"]
"""Outcome of one comparison."""

T = TypeVar("T")


class _Deadline(BaseException):
    """Raised by the timer. A BaseException so that ``except Exception`` inside sympy cannot swallow it."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def _fire(signum: int, frame: Any) -> None:
        raise _Deadline

    old_handler = signal.signal(signal.SIGALRM, _fire)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:  # give back the caller's pending alarm
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)


def _with_limit(fn: Callable[[], T], seconds: float) -> tuple[Literal["ok", "timeout", "error"], T | None]:
    on_main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if on_main:
        try:
            with _deadline(seconds):
                return "ok", fn()
        except _Deadline:
            return "timeout", None
        except Exception:
            return "error", None
    box: dict[str, Any] = {}

    def _run() -> None:
        try:
            box["value"] = fn()
        except Exception:
            box["error"] = True

    worker = threading.Thread(target=_run, daemon=True, name="prmkit-math-verify")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return "timeout", None
    if "error" in box:
        return "error", None
    return "ok", box["value"]


@lru_cache(maxsize=1)
def _math_verify() -> Any:
    mv = require("math_verify", extra="math", package="math-verify")
    # prmkit applies its own limit (above); silence the one-time "timeout disabled" notice.
    for sub in ("grader", "parser"):
        mod = getattr(mv, sub, None)
        if mod is not None and hasattr(mod, "TIMEOUT_WARNING_SHOWN"):
            mod.TIMEOUT_WARNING_SHOWN = True
    return mv


@lru_cache(maxsize=65536)
def _parse(text: str) -> Any:
    mv = _math_verify()
    wrapped = text if "$" in text or "\\boxed" in text else f"${text}$"
    return mv.parse(wrapped, parsing_timeout=None)


@lru_cache(maxsize=65536)
def _verify_cached(gold: str, target: str) -> bool:
    mv = _math_verify()
    g, t = _parse(gold), _parse(target)
    if not g or not t:
        return False
    return bool(mv.verify(g, t, timeout_seconds=None))


def math_verify_equal(gold: str, target: str, *, timeout_s: float) -> Verdict:
    """Whether math-verify finds ``target`` equivalent to ``gold`` within ``timeout_s`` seconds.

    Results (not timeouts or errors) are cached per ``(gold, target)``.

    >>> math_verify_equal(r"\\frac{3}{8}", "0.375", timeout_s=5.0)
    'equal'
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    _math_verify()  # a missing extra raises here, not as an "error" verdict
    status, value = _with_limit(lambda: _verify_cached(gold, target), timeout_s)
    if status != "ok":
        return status
    return "equal" if value else "different"
