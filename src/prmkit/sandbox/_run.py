"""Run Python source in a confined child process and report what it did (POSIX only; Linux for
the network namespace and for reaching the interpreter's folders after giving up root)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prmkit.sandbox._types import Execution, Limits, Status

__all__ = ["NOBODY", "run_many", "run_python"]

NOBODY = 65534
"""The user a sandbox started by root runs as."""

_CHILD = str(Path(__file__).with_name("_child.py"))
_REFUSED_TO_RUN = 125  # _child.py's exit status when it cannot confine itself
_GRACE_S = 1.0  # after the process ends, how long its pipes may stay open (a stray holder)
_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


def run_python(
    code: str, *, limits: Limits | None = None, stdin: str | bytes | None = None
) -> Execution:
    """Run ``code`` as ``__main__`` in a fresh confined interpreter; never raises for what it does.

    >>> run_python("print(sum(range(10)))").stdout
    '45\\n'
    >>> e = run_python("1 / 0")
    >>> e.status, e.stderr.splitlines()[-1]
    ('error', 'ZeroDivisionError: division by zero')
    >>> run_python("import socket; socket.create_connection(('127.0.0.1', 80))").status
    'forbidden'
    """
    return _run_in_new_folder(code, limits or Limits(), stdin, audit=True)


def _run_in_new_folder(
    code: str, limits: Limits, stdin: str | bytes | None, *, audit: bool
) -> Execution:
    """:func:`run_python`; ``audit=False`` leaves out the audit hook (tests of the layers under it)."""
    root = os.geteuid() == 0
    home = tempfile.mkdtemp(prefix="prmkit-sandbox-")
    try:
        Path(home, "main.py").write_text(code, encoding="utf-8")
        if root:
            os.chown(home, NOBODY, NOBODY)
        return _run(home, limits, root, audit, stdin.encode() if isinstance(stdin, str) else stdin)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_many(
    codes: Sequence[str], *, limits: Limits | None = None, workers: int = 2
) -> list[Execution]:
    """:func:`run_python` on each of ``codes``, at most ``workers`` at a time, in order.

    >>> [e.stdout for e in run_many(["print(1)", "print(2)"])]
    ['1\\n', '2\\n']
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (got {workers})")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: run_python(c, limits=limits), codes))


def _run(home: str, limits: Limits, root: bool, audit: bool, stdin: bytes | None) -> Execution:
    lim = {
        "cpu_s": max(1, math.ceil(limits.cpu_s)),
        "memory_bytes": limits.memory_bytes,
        "file_bytes": limits.file_bytes,
        "open_files": limits.open_files,
        "processes": limits.processes,
        "max_files": limits.max_files,
    }
    status_r, status_w = os.pipe()
    config = json.dumps(
        {"fd": status_w, "uid": NOBODY if root else None, "limits": lim, "audit": audit}
    )
    boot = f"import runpy; runpy.run_path({_CHILD!r}, run_name='__main__')"
    start = time.monotonic()
    try:
        with tempfile.TemporaryFile() as given:  # a file, so that no write to a pipe can block
            given.write(stdin or b"")
            given.seek(0)
            proc = subprocess.Popen(
                [sys.executable, "-I", "-u", "-X", "utf8", "-c", boot, config],
                stdin=given,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w,),
                cwd=home,
                env={**_ENV, "HOME": home, "TMPDIR": home},
                start_new_session=True,
            )
    except OSError as e:
        os.close(status_r)
        os.close(status_w)
        return Execution("crashed", None, "", "", reason=f"could not start the interpreter: {e}")
    os.close(status_w)
    try:
        got, killed = _collect(proc, status_r, start + limits.wall_s, limits.output_bytes)
    finally:
        os.close(status_r)
        _kill_group(proc.pid)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    try:
        _, wait_status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # reaped by someone else: SIGCHLD ignored, or a waitpid(-1)
        proc.returncode = -signal.SIGKILL
        return Execution(
            "crashed", None, "", "", reason="its exit status was taken by another wait"
        )
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    _wait_for_group(proc.pid, time.monotonic() + _GRACE_S)
    cpu_s = usage.ru_utime + usage.ru_stime
    lines = got["status"].decode(errors="replace").splitlines()
    denied = tuple(dict.fromkeys(line[2:] for line in lines if line.startswith("D ")))
    guards = tuple(line[2:] for line in lines if line.startswith("G "))
    out, err = (got[k][: limits.output_bytes] for k in ("stdout", "stderr"))
    stderr = err.decode(errors="replace")
    status, reason = _verdict(
        proc.returncode, killed, denied, "M" in lines, cpu_s, lim["cpu_s"], stderr, limits
    )
    return Execution(
        status,
        proc.returncode,
        out.decode(errors="replace"),
        stderr,
        reason=reason,
        stdout_truncated=len(got["stdout"]) > limits.output_bytes,
        stderr_truncated=len(got["stderr"]) > limits.output_bytes,
        wall_s=round(time.monotonic() - start, 3),
        cpu_s=round(cpu_s, 3),
        denied=denied,
        guards=guards,
    )


def _collect(
    proc: subprocess.Popen[bytes], status_fd: int, deadline: float, cap: int
) -> tuple[dict[str, bytes], str | None]:
    """Read the child's three pipes until they close, it overflows one, or time is up.

    Returns what was read, and ``"timeout"``/``"output_limit"`` if the group was killed for it."""
    assert proc.stdout is not None and proc.stderr is not None
    names = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr", status_fd: "status"}
    caps = {"stdout": cap + 1, "stderr": cap + 1, "status": 65536}
    got = {name: b"" for name in names.values()}
    ended = False
    with selectors.DefaultSelector() as sel:
        for fd in names:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                return got, None if ended else "timeout"
            for key, _ in sel.select(min(deadline - now, 0.05)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                name = names[key.fd]
                got[name] += chunk[: caps[name] - len(got[name])]
                if name != "status" and len(got[name]) > cap:
                    return got, "output_limit"
            if not ended and _has_ended(proc.pid):
                # Anything it started dies with it; its pipes then close, or a grace period ends.
                _kill_group(proc.pid)
                ended, deadline = True, min(deadline, time.monotonic() + _GRACE_S)
    return got, None


def _has_ended(pid: int) -> bool:
    """Whether ``pid`` has exited, without reaping it (so its group id cannot be reused yet)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid == pid


def _wait_for_group(pgid: int, until: float) -> None:
    """Wait (until ``until`` at most) for the killed group's last members to be gone; SIGKILL
    is delivered asynchronously, and a busy machine takes a moment to end each process."""
    while time.monotonic() < until:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.01)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _verdict(
    code: int,
    killed: str | None,
    denied: tuple[str, ...],
    memory_error: bool,
    cpu_s: float,
    cpu_limit: int,
    stderr: str,
    limits: Limits,
) -> tuple[Status, str]:
    if denied:
        return "forbidden", "refused: " + "; ".join(denied)
    if killed == "output_limit":
        return "output_limit", f"wrote more than {limits.output_bytes} bytes to stdout or stderr"
    if killed == "timeout":
        return "timeout", f"still running after {limits.wall_s} s (wall clock)"
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu_s >= cpu_limit):
        return "cpu_limit", f"used {cpu_s:.1f} s of CPU (limit {cpu_limit} s)"
    if memory_error or (code < 0 and any(w in stderr for w in _MEMORY_WORDS)):
        return "memory_limit", f"an allocation failed under the {limits.memory_bytes}-byte limit"
    if code == _REFUSED_TO_RUN and stderr.startswith("sandbox:"):
        return "crashed", stderr.strip()
    if code < 0:
        return "crashed", f"killed by {signal.Signals(-code).name}"
    if code > 0:
        last = stderr.strip().splitlines()[-1:] or [f"exit status {code}"]
        return "error", last[0]
    return "ok", ""
