"""One writer per output: an exclusive lock held for the whole run.

A run that writes a folder holds ``<folder>/.prmkit.lock``; a run that writes
one file holds ``<file>.lock`` beside it. The lock is an ``fcntl.flock`` on
that file, which the kernel releases when the holder exits, however it exits
(a ``SIGKILL`` included), so a stale lock file left behind never blocks a
rerun. The file holds the holder's pid, which a refused run names. Taking a
lock this process already holds nests (the CLI locks before loading a model,
the library function it then calls locks again).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from prmkit.errors import OutputError

__all__ = ["LOCK_NAME", "lock_output"]

LOCK_NAME = ".prmkit.lock"
"""The lock file inside a locked output folder."""

_held: dict[str, tuple[IO[bytes], int]] = {}  # lock path -> (open file, nesting depth) in this process


def _lock_path(path: Path, *, folder: bool) -> Path:
    return path / LOCK_NAME if folder else path.with_name(path.name + ".lock")


@contextmanager
def lock_output(path: str | os.PathLike[str], *, folder: bool) -> Iterator[Path]:
    """Hold the exclusive lock of the output ``path`` (a folder if ``folder``, else a file) while inside.

    A second holder, in another process, is refused at once with an
    :class:`~prmkit.errors.OutputError` naming the output and the holder's pid.

    >>> import os, tempfile, subprocess, sys, prmkit
    >>> env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(prmkit.__file__))}
    >>> d = tempfile.mkdtemp()
    >>> with lock_output(d, folder=True) as lock:
    ...     probe = "from prmkit.data._lock import lock_output\\nwith lock_output(%r, folder=True): pass" % d
    ...     r = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    ...     "is in use by another prmkit run (pid" in r.stderr
    True
    >>> with lock_output(d, folder=True):  # released on exit: the next run takes it
    ...     pass
    """
    p = Path(path)
    if folder:
        p.mkdir(parents=True, exist_ok=True)
    else:
        p.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_path(p, folder=folder)
    key = os.path.realpath(lock)
    if key in _held:
        fh, depth = _held[key]
        _held[key] = (fh, depth + 1)
        try:
            yield lock
        finally:
            _release(key)
        return
    try:
        fh = open(lock, "a+b")  # noqa: SIM115 - kept open while the lock is held
    except OSError as e:
        raise OutputError(f"cannot create the lock file {lock.name} ({e.strerror or e})", path=str(p)) from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().decode("ascii", "replace").strip() or "unknown"
        fh.close()
        raise OutputError(
            f"is in use by another prmkit run (pid {holder}); wait for it to finish or choose another output",
            path=str(p),
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n".encode("ascii"))
    fh.flush()
    _held[key] = (fh, 1)
    try:
        yield lock
    finally:
        _release(key)


def _release(key: str) -> None:
    fh, depth = _held[key]
    if depth > 1:
        _held[key] = (fh, depth - 1)
        return
    del _held[key]
    fh.close()  # closing the descriptor releases the flock; the file stays (unlinking it would race)
