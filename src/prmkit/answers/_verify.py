"""Symbolic equivalence with math-verify, under a hard wall-clock limit per comparison.

Comparisons run in a separate worker process (the script ``_worker.py``,
started on first use and kept). The parent waits at most ``timeout_s`` seconds
for each verdict; on a timeout it kills the worker (and starts a fresh one for
the next comparison; start-up is not counted in any comparison's limit). A process
is the only limit that always holds: sympy can spend minutes inside one C call
(``99999999999^{99999999}``) that neither ``signal.alarm`` nor a thread can
interrupt. It also works off the main thread and leaves the caller's signal
handlers alone. Comparisons are serialised by a lock. (POSIX only: the parent
waits on the worker's pipe with ``select``.)

A comparison that runs out of time is reported as ``"timeout"``, one that
raises in math-verify as ``"error"``; neither counts as equal. Verdicts
``"equal"``/``"different"`` are cached per ``(gold, target)``.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

from prmkit.errors import MissingExtraError

__all__ = ["Verdict", "math_verify_equal"]

Verdict = Literal["equal", "different", "timeout", "error"]
"""Outcome of one comparison."""

_STARTUP_S = 120.0
"""How long the worker may take to import math-verify (not counted in any comparison's limit)."""


class _Worker:
    def __init__(self) -> None:
        # Run the worker file as a script: no prmkit import (and no package __init__) in the child.
        # Isolated (-I): neither the working directory nor PYTHONPATH is on its path, so a
        # math_verify.py (or runpy.py) lying in the user's folder is never imported; the
        # parent's own absolute path entries, less the working directory, are given instead.
        script = str(Path(__file__).with_name("_worker.py"))
        boot = (
            f"import sys; sys.path[:0] = {_worker_path()!r}; "
            f"import runpy; runpy.run_path({script!r}, run_name='__main__')"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", boot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self._buf = b""
        hello = self._read_line(_STARTUP_S)
        if hello is None or "ready" not in hello:
            self.kill()
            detail = (hello or {}).get("missing", "the worker did not start")
            raise MissingExtraError(
                f"math-verify is needed to compare answers ({detail}); install it with: pip install 'prmkit[math]'"
            )

    def _read_line(self, timeout_s: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:  # the worker died
                return {"v": "error"}
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return dict(json.loads(line))

    def ask(self, gold: str, target: str, timeout_s: float) -> Verdict:
        assert self.proc.stdin is not None
        data = (json.dumps({"g": gold, "t": target}) + "\n").encode()
        try:
            while data:
                data = data[self.proc.stdin.write(data) or 0 :]
        except BrokenPipeError:
            return "error"
        reply = self._read_line(timeout_s)
        if reply is None:
            return "timeout"
        verdict = reply.get("v")
        return verdict if verdict in ("equal", "different") else "error"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


_lock = threading.Lock()
def _worker_path() -> list[str]:
    """The parent's ``sys.path`` entries the worker may use: absolute, and not the working directory.

    >>> import os
    >>> os.getcwd() in _worker_path() or "" in _worker_path()
    False
    """
    cwd = os.path.realpath(os.getcwd())
    return [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]


_worker: _Worker | None = None


def _shutdown() -> None:
    global _worker
    if _worker is not None:
        _worker.kill()
        _worker = None


atexit.register(_shutdown)


def _compare(gold: str, target: str, timeout_s: float) -> Verdict:
    global _worker
    with _lock:
        if _worker is None or not _worker.alive():
            _worker = _Worker()
        verdict = _worker.ask(gold, target, timeout_s)
        if verdict == "timeout" or not _worker.alive():
            _shutdown()
        return verdict


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
