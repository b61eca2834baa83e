"""The sympy worker, under a hard wall-clock limit per claim.

Claims are decided in a separate process (the script ``_sympy_worker.py``,
started isolated with ``python -I`` on first use and kept). The parent waits
at most ``timeout_s`` for each claim's reply; on a timeout it kills the worker
and the next claim starts a fresh one (start-up is not counted in any claim's
limit). A process is the only limit that always holds: sympy can spend minutes
inside one call that neither ``signal.alarm`` nor a thread can interrupt.
Claims are serialised by a lock. (POSIX only: the parent waits with ``select``.)
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
from typing import Any

from prmkit.errors import MissingExtraError

__all__ = ["ask"]

_STARTUP_S = 120.0
"""How long the worker may take to import sympy (not counted in any claim's limit)."""


def _worker_path() -> list[str]:
    """The parent's ``sys.path`` entries the worker may use: absolute, and not the working directory.

    >>> os.getcwd() in _worker_path() or "" in _worker_path()
    False
    """
    cwd = os.path.realpath(os.getcwd())
    return [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]


class _Worker:
    def __init__(self) -> None:
        # Run as a script, isolated: no prmkit import in the child, and no sympy.py from the user's folder.
        script = str(Path(__file__).with_name("_sympy_worker.py"))
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
                f"sympy and latex2sympy2_extended are needed for the sympy verifier ({detail}); "
                "install them with: pip install 'prmkit[verify]'"
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
                return {"error": "the worker died"}
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return dict(json.loads(line))

    def ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        assert self.proc.stdin is not None
        data = (json.dumps(request) + "\n").encode()
        try:
            while data:
                data = data[self.proc.stdin.write(data) or 0 :]
        except BrokenPipeError:
            return {"error": "the worker died"}
        return self._read_line(timeout_s)

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
_worker: _Worker | None = None


def _shutdown() -> None:
    global _worker
    if _worker is not None:
        _worker.kill()
        _worker = None


atexit.register(_shutdown)


def ask(request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
    """The worker's reply to one claim, or ``None`` when it took longer than ``timeout_s`` (it is then killed)."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive():
            _worker = _Worker()
        reply = _worker.ask(request, timeout_s)
        if reply is None or not _worker.alive():
            _shutdown()
        return reply
