"""A Python script run as an isolated JSON-lines worker, under a hard wall-clock limit per request.

Used where a library call can run for minutes inside C code that neither
``signal.alarm`` nor a thread can interrupt (math-verify's and sympy's
comparisons): the request goes to a separate process, the parent waits at most
``timeout_s`` for the reply, and on a timeout it kills the worker; the next
request starts a fresh one (start-up is not counted in any request's limit).
It works off the main thread and leaves the caller's signal handlers alone.

The script is run as a script (no prmkit import in the child) and isolated
(``python -I``): neither the working directory nor ``PYTHONPATH`` is on its
path, so a ``math_verify.py``, ``sympy.py`` or ``runpy.py`` lying in the user's
folder is never imported; the parent's own absolute path entries, less the
working directory, are given instead. The script prints ``{"ready": true}``
once its imports succeed (or ``{"missing": why}``), then answers one JSON line
per JSON line read. Requests are serialised by a lock. (POSIX only: the parent
waits on the worker's pipe with ``select``.)
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

__all__ = ["WorkerSlot"]

DIED: dict[str, Any] = {"error": "the worker died"}
"""The reply when the worker dies (or closes its pipe) before answering."""


def _worker_path() -> list[str]:
    """The parent's ``sys.path`` entries the worker may use: absolute, and not the working directory.

    >>> os.getcwd() in _worker_path() or "" in _worker_path()
    False
    """
    cwd = os.path.realpath(os.getcwd())
    return [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]


class _Worker:
    def __init__(self, script: Path, startup_s: float, needs: str) -> None:
        boot = (
            f"import sys; sys.path[:0] = {_worker_path()!r}; "
            f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", boot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self._buf = b""
        hello = self._read_line(startup_s)
        if hello is None or "ready" not in hello:
            self.kill()
            detail = (hello or {}).get("missing", "the worker did not start")
            raise MissingExtraError(needs.format(detail=detail))

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
                return DIED
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
            return DIED
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


class WorkerSlot:
    """One kept worker for ``script``, started on first use and replaced after a timeout or a death.

    ``needs`` is the :class:`MissingExtraError` message when the script's imports fail;
    ``{detail}`` in it is replaced by what the script reported missing.
    """

    def __init__(self, script: Path, *, needs: str, startup_s: float = 120.0) -> None:
        self.script, self.needs, self.startup_s = script, needs, startup_s
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        atexit.register(self._kill)

    def ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
        """The worker's reply, :data:`DIED` if it died, or ``None`` when it took longer than ``timeout_s``
        (it is then killed)."""
        with self._lock:
            if self._worker is None or not self._worker.alive():
                self._worker = _Worker(self.script, self.startup_s, self.needs)
            reply = self._worker.ask(request, timeout_s)
            if reply is None or not self._worker.alive():
                self._kill()
            return reply

    def shutdown(self) -> None:
        """Kill the worker, if one runs (at exit too)."""
        with self._lock:
            self._kill()

    def _kill(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
