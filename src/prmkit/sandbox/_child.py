"""The sandbox's child process: confine itself, then run ``main.py`` from its working directory.

Run as a script (it imports nothing from prmkit) by :mod:`prmkit.sandbox._run`, with one argument,
a JSON object ``{"fd": status pipe, "uid": user to become or null, "limits": {...}, "audit": bool}``.
In this order it

1. makes new network and mount namespaces (and a user namespace when not root, whose
   capabilities it then gives back), where the kernel allows: no network, every mount read-only
   but the working directory;
2. as root, becomes ``uid`` (``nobody``), reaching the ``sys.path`` folders that ``nobody`` may
   not traverse through descriptors opened before; refuses to run if it cannot;
3. sets ``no_new_privs``, death with its parent, and the resource limits;
4. installs the audit hook (``_guard.py``) and runs the code.

If any step but the optional namespaces fails, it exits with status 125 and a ``sandbox:`` line on
stderr. Lines written to the status pipe: ``G <guard>`` for each guard in force, ``D <what>`` for
each refused operation (from the hook), ``M`` after a ``MemoryError``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 1 << 18
SYS_MOUNT_SETATTR = 442  # x86_64 and aarch64 alike (Linux >= 5.12)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1
REFUSED_TO_RUN = 125


def _tell(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode())


def _tasks_of(uid: int) -> int:
    """How many tasks (threads included: RLIMIT_NPROC counts them) ``uid`` runs now."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                n += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return n


def _unshare(libc: Any, root: bool, home: str) -> list[str]:
    """New network and mount namespaces (and a user namespace when not root), where allowed:
    no network but a loopback that is down, and every mount read-only but ``home``."""
    import ctypes

    user = 0 if root else CLONE_NEWUSER
    if libc.unshare(user | CLONE_NEWNET | CLONE_NEWNS) == 0:
        guards = ["netns"]
        if _read_only_but(libc, home):
            os.chdir(home)  # the old working directory is the folder under the new writable mount
            guards.append("read-only mounts")
    elif libc.unshare(user | CLONE_NEWNET) == 0:
        guards = ["netns"]
    else:
        return []
    if not root:  # the new user namespace gave this process every capability inside it
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        if libc.capset(header, (ctypes.c_uint32 * 6)()) != 0:
            sys.stderr.write("sandbox: could not drop the capabilities of the new user namespace\n")
            os._exit(REFUSED_TO_RUN)
        guards.append("userns")
    return guards


def _read_only_but(libc: Any, home: str) -> bool:
    import ctypes

    class MountAttr(ctypes.Structure):
        _fields_ = [
            (n, ctypes.c_uint64) for n in ("attr_set", "attr_clr", "propagation", "userns_fd")
        ]

    def setattr_(path: str, attr_set: int, attr_clr: int) -> bool:
        attr = MountAttr(attr_set, attr_clr, 0, 0)
        size = ctypes.sizeof(attr)
        return (
            libc.syscall(
                SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), AT_RECURSIVE, ctypes.byref(attr), size
            )
            == 0
        )

    return (
        libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0
        and libc.mount(home.encode(), home.encode(), None, MS_BIND | MS_REC, None) == 0
        and setattr_("/", MOUNT_ATTR_RDONLY, 0)
        and setattr_(home, 0, MOUNT_ATTR_RDONLY)
    )


def _drop_root(uid: int) -> None:
    """Become ``uid``; reach the ``sys.path`` folders it may not traverse through handles opened now."""
    handles = {}
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            handles[entry] = os.open(entry, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    except OSError as e:
        sys.stderr.write(f"sandbox: could not give up root ({e}); refusing to run as root\n")
        os._exit(REFUSED_TO_RUN)
    if os.getuid() == 0 or os.geteuid() == 0:
        os._exit(REFUSED_TO_RUN)
    moved = {}
    for entry, fd in handles.items():
        if os.access(entry, os.R_OK | os.X_OK):
            os.close(fd)
        else:
            moved[entry] = f"/proc/self/fd/{fd}"
    if not moved:
        return
    sys.path[:] = [moved.get(e, e) for e in sys.path]
    for module in list(sys.modules.values()):  # packages imported at start-up keep their folders
        path = getattr(module, "__path__", None)
        if isinstance(path, list):
            for i, p in enumerate(path):
                for old, new in moved.items():
                    if isinstance(p, str) and (p == old or p.startswith(old + os.sep)):
                        path[i] = new + p[len(old) :]
                        break
    sys.path_importer_cache.clear()


def _set_limits(lim: dict[str, int], tasks: int) -> None:
    def cap(which: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        _, now = resource.getrlimit(which)
        if now != resource.RLIM_INFINITY:  # lower only: raising a hard limit needs privilege
            hard = min(hard, now)
        resource.setrlimit(which, (min(soft, hard), hard))

    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_CPU, lim["cpu_s"], lim["cpu_s"] + 1)  # SIGXCPU, then SIGKILL a second later
    cap(resource.RLIMIT_FSIZE, lim["file_bytes"])
    cap(resource.RLIMIT_NOFILE, lim["open_files"])
    cap(resource.RLIMIT_NPROC, tasks + lim["processes"])
    cap(resource.RLIMIT_AS, lim["memory_bytes"])


def main() -> None:
    try:
        config, guards, _guard = _confine()
    except Exception as e:
        sys.stderr.write(f"sandbox: could not confine the run ({type(e).__name__}: {e})\n")
        os._exit(REFUSED_TO_RUN)
    for g in guards:
        _tell(config["fd"], f"G {g}")
    _guard.run(config["fd"], os.getcwd(), config["limits"]["max_files"], audit=config["audit"])


def _confine() -> tuple[dict[str, Any], list[str], Any]:
    config = json.loads(sys.argv[1])
    uid, lim = config["uid"], config["limits"]
    root = os.geteuid() == 0
    # Counted before a new user namespace hides whose tasks are whose; this one joins uid's below.
    tasks = _tasks_of(uid if root else os.getuid()) + (1 if root else 0)
    # Imported while every folder is still readable; installed last.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _guard

    del sys.path[0], sys.modules["_guard"]
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    guards = _unshare(libc, root, os.getcwd())
    if "userns" in guards:  # the kernel counts only the tasks inside the new user namespace
        tasks = 1
    if root:
        _drop_root(uid)
        guards.append(f"uid={uid}")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        guards.append("no_new_privs")
    # Killed if the process that started it dies (set after the change of user, which clears it).
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    del libc
    _set_limits(lim, tasks)
    guards.append("rlimits")
    if config["audit"]:
        guards.append("audit")
    return config, guards, _guard


if __name__ == "__main__":
    main()
