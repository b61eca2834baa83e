"""The sandbox's audit hook, and the run of ``main.py`` under it (imported by ``_child.py`` only).

The hook (:pep:`578`) refuses, by raising ``PermissionError`` in the code that asked: sockets,
new processes (``fork``, ``exec*``, ``system``, ``posix_spawn``, ``subprocess``, and the
``_posixsubprocess`` call that ``multiprocessing`` uses directly), signals to other processes,
``ctypes`` and ``cffi``, raising resource limits, walking the garbage collector's objects,
and every change to a file outside the working directory (open for writing, create, remove,
rename, link, chmod, chown, truncate, an sqlite database). Reading anywhere the user may read
is allowed. Each refusal is also written to the status pipe.

It is a tripwire, not a boundary: C code (an extension module) is not audited, and a path
check can race with a symlink swapped by another thread. The boundary is the process and
the operating system: the namespaces (no network, read-only mounts), the other user, the
resource limits.
"""

from __future__ import annotations

import _thread
import builtins
import contextlib
import os
import posix
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CHANGES = {  # event -> (positions of its path arguments, positions of its dir_fd arguments)
    "os.remove": ((0,), (1,)),
    "os.rmdir": ((0,), (1,)),
    "os.mkdir": ((0,), (2,)),
    "os.rename": ((0, 1), (2, 3)),
    "os.link": ((0, 1), (2, 3)),
    "os.symlink": ((1,), (2,)),
    "os.chmod": ((0,), (2,)),
    "os.chown": ((0,), (3,)),
    "os.truncate": ((0,), ()),
    "os.utime": ((0,), (3,)),
    "os.mkfifo": ((0,), (2,)),
    "os.mknod": ((0,), (3,)),
    "os.chflags": ((0,), ()),
    "os.setxattr": ((0,), ()),
    "os.removexattr": ((0,), ()),
}
_REFUSED = {
    "os.system", "os.exec", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "subprocess.Popen",
    "pty.spawn", "resource.setrlimit", "resource.prlimit", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys.remote_exec", "os.chroot",
}  # fmt: skip
_REFUSED_PREFIXES = ("socket.", "ctypes.", "_ctypes.")
_REFUSED_IMPORTS = {"_cffi_backend", "cffi"}


def _make_hook(
    fd: int, home: str, max_files: int
) -> tuple[Callable[..., None], Callable[..., None]]:
    lstat, readlink, getcwd, fsdecode, write = (
        posix.lstat,
        posix.readlink,
        posix.getcwd,
        os.fsdecode,
        posix.write,
    )
    link_bits, join, mypid = 0o170000, os.path.join, os.getpid()
    created: set[str] = set()
    told: set[str] = set()
    busy: set[int] = set()  # threads inside the hook (an event the hook itself raises passes)
    thread = _thread.get_ident

    def resolve(path: str) -> str:
        """The real path (links followed) of ``path``, which need not exist, without os.path."""
        parts = join(getcwd(), path).split("/")
        out: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if out:
                    out.pop()
                continue
            here = "/" + "/".join([*out, part])
            try:
                is_link = lstat(here).st_mode & link_bits == 0o120000
            except OSError:
                is_link = False
            if is_link and hops < 40:
                hops += 1
                target = readlink(here)
                if target.startswith("/"):
                    out = []
                parts = target.split("/") + parts
            else:
                out.append(part)
        return "/" + "/".join(out)

    def inside(path: object) -> bool:
        if isinstance(path, int) or path is None:
            return True  # an open descriptor: the OS decided when it was opened
        if not isinstance(path, str | bytes | os.PathLike):
            return False
        real = resolve(fsdecode(path))
        return real == home or real.startswith(home + "/") or real == "/dev/null"

    def refuse(event: str, detail: str) -> None:
        said = f"{event} ({detail[:200]})" if detail else event
        if said not in told and len(told) < 64:
            told.add(said)
            write(fd, ("D " + said.replace("\n", " ") + "\n").encode())
        raise PermissionError(f"sandbox: {said} is not allowed")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        me = thread()
        if me in busy:
            return
        busy.add(me)
        try:
            check(event, args)
        finally:
            busy.discard(me)

    def check(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags > 0 and flags & _WRITE_FLAGS
            )
            if writes:
                if not inside(path):
                    refuse("open", f"{path} for writing outside the sandbox")
                if not isinstance(path, int) and path not in created:
                    if len(created) >= max_files:
                        refuse("open", f"{path}: more than {max_files} files")
                    created.add(path)
        elif event in _CHANGES:
            paths, dir_fds = _CHANGES[event]
            if any(i < len(args) and args[i] not in (None, -1) for i in dir_fds):
                refuse(event, "a path relative to a dir_fd")
            for i in paths:
                if not inside(args[i]):
                    refuse(event, f"{args[i]} is outside the sandbox")
        elif event == "sqlite3.connect":  # sqlite writes its file from C, unaudited
            db = args[0]
            if db not in (":memory:", "", b":memory:", b"") and not inside(db):
                refuse(event, f"{db} is outside the sandbox")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if event != "signal.pthread_kill" and args[0] not in (0, mypid):
                refuse(event, f"pid {args[0]}")
        elif event in _REFUSED or event.startswith(_REFUSED_PREFIXES):
            refuse(event, _show(args))
        elif event == "import" and args[0] in _REFUSED_IMPORTS:
            refuse(event, args[0])

    def refused_fork_exec(*args: object, **kwargs: object) -> None:
        refuse("_posixsubprocess.fork_exec", _show(args[:1]))

    return hook, refused_fork_exec


def _show(args: tuple[Any, ...]) -> str:
    """The plain values among an event's arguments (a socket's family and type, an address, a path)."""
    plain = (str, bytes, int, float, tuple, list)
    return ", ".join(repr(a) for a in args if isinstance(a, plain) and not isinstance(a, bool))[
        :200
    ]


def _print_error(e: BaseException) -> None:
    """The traceback as Python prints it, less the frames of the sandbox itself."""
    shown = traceback.TracebackException(type(e), e, e.__traceback__)
    chain: traceback.TracebackException | None = shown
    while chain is not None:
        frames = list(chain.stack)
        while frames and frames[0].filename != "main.py":
            frames.pop(0)  # the bootstrap below the code
        kept = [f for f in frames if f.filename != __file__]  # the hook above a refused call
        chain.stack = traceback.StackSummary.from_list(kept or frames)
        chain = chain.__cause__ or chain.__context__
    sys.stderr.write("".join(shown.format()))


def run(fd: int, home: str, max_files: int, *, audit: bool = True) -> None:
    """Install the hook (unless ``audit`` is false: tests of the layers under it) and run
    ``main.py`` as ``__main__``; exit with its status."""
    with open("main.py", encoding="utf-8") as f:
        source = f.read()
    hook, refused_fork_exec = _make_hook(fd, home, max_files)
    if audit:
        try:
            import _posixsubprocess

            # No audit event of its own; multiprocessing calls it directly.
            _posixsubprocess.fork_exec = refused_fork_exec  # type: ignore[assignment]
        except ImportError:
            pass
        sys.addaudithook(hook)
    module = types.ModuleType("__main__")
    module.__file__ = "main.py"
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    sys.argv = ["main.py"]
    del hook, refused_fork_exec
    status = 0
    try:
        exec(compile(source, "main.py", "exec"), module.__dict__)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            status = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except MemoryError as e:
        posix.write(fd, b"M\n")
        status = 1
        with contextlib.suppress(MemoryError):
            _print_error(e)
    except BaseException as e:
        _print_error(e)
        status = 1
    sys.exit(status)  # the usual shutdown: threads joined, files flushed, atexit run
