"""Hostile code: each attempt is stopped and reported, and the host is unharmed.

Most cases run twice: as users run it (the audit hook refuses first and the report names the
attempt) and without the audit hook (``_run_in_new_folder(audit=False)``), where the operating
system's layers alone must stop it: the resource limits, the read-only mounts, the empty network
namespace, and, under root, the ``nobody`` user.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from prmkit.sandbox import Execution, Limits, run_python
from prmkit.sandbox._run import _run_in_new_folder

SRC = Path(__file__).resolve().parents[2] / "src"
SHORT = Limits(wall_s=2, cpu_s=10, memory_bytes=256 << 20, output_bytes=4096)


def run(code: str, audit: bool, limits: Limits = SHORT) -> Execution:
    return _run_in_new_folder(code, limits, None, audit=audit)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for init to reap it is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_an_infinite_loop_is_killed_at_the_wall_clock() -> None:
    e = run_python(
        "print('started', flush=True)\nwhile True:\n    pass", limits=Limits(wall_s=1, cpu_s=30)
    )
    assert (e.status, e.exit_code, e.stdout) == ("timeout", -9, "started\n")
    assert e.reason == "still running after 1 s (wall clock)"
    assert 1 <= e.wall_s < 3


def test_a_sleeping_loop_is_killed_at_the_wall_clock() -> None:
    e = run_python("import time\nwhile True:\n    time.sleep(1)", limits=Limits(wall_s=1))
    assert e.status == "timeout" and e.cpu_s < 1


def test_a_cpu_bound_loop_is_stopped_by_the_cpu_limit() -> None:
    e = run_python("while True:\n    pass", limits=Limits(wall_s=60, cpu_s=1))
    assert e.status == "cpu_limit" and e.exit_code == -24  # SIGXCPU
    assert 0.5 <= e.cpu_s < 3 and e.reason.endswith("(limit 1 s)")


FORK_BOMB = """
import os, time
n = 0
while True:
    try:
        pid = os.fork()
    except OSError as e:
        os.write(1, f"stopped after {n} {type(e).__name__}\\n".encode())
        break
    if pid == 0:
        os.write(1, f"child {os.getpid()}\\n".encode())  # one write: the children share the pipe
        time.sleep(60)
        os._exit(0)
    n += 1
time.sleep(60)
"""

SPAWNERS = {
    "multiprocessing fork": "import multiprocessing as mp, time\n"
    "mp.get_context('fork').Process(target=time.sleep, args=(60,)).start()",
    "multiprocessing spawn": "import multiprocessing as mp, time\nif __name__ == '__main__':\n"
    "    mp.get_context('spawn').Process(target=time.sleep, args=(60,)).start()",
    "subprocess": "import subprocess; subprocess.Popen(['sleep', '60'])",
    "os.system": "import os; os.system('sleep 60')",
    "posix_spawn": "import os; os.posix_spawn('/bin/sleep', ['sleep', '60'], {})",
}


def test_a_fork_bomb_is_refused_at_the_first_fork() -> None:
    e = run_python(FORK_BOMB, limits=SHORT)
    assert e.status == "forbidden" and e.denied == ("os.fork",)
    assert e.stdout == "stopped after 0 PermissionError\n"


@pytest.mark.parametrize("how", sorted(SPAWNERS))
def test_starting_a_process_is_refused(how: str) -> None:
    e = run_python(SPAWNERS[how], limits=SHORT)
    assert e.status == "forbidden", e.stderr
    assert e.reason.startswith("refused: ")


def test_without_the_hook_a_fork_bomb_stops_at_the_process_limit_and_leaves_nothing_behind() -> (
    None
):
    e = run(FORK_BOMB, audit=False)
    assert e.status == "timeout", e.stderr
    lines = e.stdout.splitlines()
    children = [int(line.split()[1]) for line in lines if line.startswith("child ")]
    stopped = [line for line in lines if line.startswith("stopped after ")]
    assert stopped == [f"stopped after {len(children)} BlockingIOError"]
    assert 1 <= len(children) <= SHORT.processes
    assert [pid for pid in children if _alive(pid)] == []


MEMORY_BOMBS = {
    "one allocation": "x = bytearray(10**10)",
    "growing list": "a = []\nwhile True:\n    a.append(' ' * 10**6)",
}


@pytest.mark.parametrize("name", sorted(MEMORY_BOMBS))
def test_a_memory_bomb_hits_the_memory_limit(name: str) -> None:
    e = run_python(MEMORY_BOMBS[name], limits=SHORT)
    assert e.status == "memory_limit", e.stderr
    assert e.stderr.splitlines()[-1] == "MemoryError"


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[list[Path]]:
    tag = uuid.uuid4().hex
    paths = [
        Path("/tmp") / f"prmkit-sandbox-escape-{tag}",
        Path.home() / f"prmkit-sandbox-escape-{tag}",
    ]
    yield paths
    for p in paths:
        p.unlink(missing_ok=True)


WRITES = {
    "open": "open({p!r}, 'w').write('pwned')",
    "os.open": "import os; os.open({p!r}, os.O_WRONLY | os.O_CREAT)",
    "symlink": "import os; os.symlink({p!r}, 'link'); open('link', 'w').write('pwned')",
    "rename": "import os; open('x', 'w').write('pwned'); os.rename('x', {p!r})",
    "relative": "import os; open(os.path.relpath({p!r}), 'w').write('pwned')",
    "sqlite": "import sqlite3; sqlite3.connect({p!r}).execute('create table t (x)')",
}


@pytest.mark.parametrize("audit", [True, False], ids=["audit", "os"])
@pytest.mark.parametrize("how", sorted(WRITES))
def test_writing_outside_its_folder_is_stopped(outside: list[Path], how: str, audit: bool) -> None:
    for p in outside:
        e = run(WRITES[how].format(p=str(p)), audit=audit)
        assert e.status == ("forbidden" if audit else "error"), e.stderr
        if not audit:
            assert any(
                w in e.reason
                for w in (
                    "Read-only file system",
                    "Permission denied",
                    "cross-device",
                    "unable to open",
                )
            )
        assert not p.exists()


@pytest.fixture
def server() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as s:
        s.settimeout(0.2)
        yield s


@pytest.mark.parametrize("audit", [True, False], ids=["audit", "os"])
def test_a_socket_cannot_reach_a_listening_server(server: socket.socket, audit: bool) -> None:
    port = server.getsockname()[1]
    code = (
        f"import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {port}))\nprint('connected')"
    )
    e = run(code, audit=audit)
    assert e.status == ("forbidden" if audit else "error") and "connected" not in e.stdout
    if not audit:
        assert e.reason == "OSError: [Errno 101] Network is unreachable" and "netns" in e.guards
    with pytest.raises(TimeoutError):
        server.accept()


READ_ENVIRONMENTS = """
import os
print(dict(os.environ))
for pid in ("self", os.getppid(), 1):
    try:
        print(open(f"/proc/{pid}/environ", "rb").read())
    except OSError as e:
        print(pid, type(e).__name__)
"""
HOST = """
import json, sys
from prmkit.sandbox import Limits
from prmkit.sandbox._run import _run_in_new_folder
e = _run_in_new_folder(sys.stdin.read(), Limits(wall_s=10), None, audit=sys.argv[1] == "audit")
print(json.dumps(e.to_record()))
"""


@pytest.mark.parametrize("audit", [True, False], ids=["audit", "os"])
def test_the_hosts_environment_secrets_are_not_visible(audit: bool) -> None:
    """The secret is in the starting environment of the host process (the sandbox's parent),
    where ``/proc/<pid>/environ`` would show it."""
    secret = f"s3cret-{uuid.uuid4().hex}"
    env = {**os.environ, "PRMKIT_SANDBOX_TEST_SECRET": secret, "PYTHONPATH": str(SRC)}
    host = subprocess.run(
        [sys.executable, "-c", HOST, "audit" if audit else "os"],
        input=READ_ENVIRONMENTS, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    e = json.loads(host.stdout)
    assert e["status"] == "ok", e["stderr"]
    assert secret not in e["stdout"] and "PRMKIT_SANDBOX_TEST_SECRET" not in e["stdout"]
    assert "'PATH': '/usr/local/bin:/usr/bin:/bin'" in e["stdout"]
    own, host_env, init_env = e["stdout"].splitlines()[1:]
    assert own.startswith("b'PATH=") or own == "self PermissionError"  # non-dumpable as nobody
    assert host_env.endswith(" PermissionError") and init_env == "1 PermissionError"


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_huge_output_is_cut_at_the_cap_and_the_run_killed(stream: str) -> None:
    e = run_python(f"import sys\nwhile True:\n    sys.{stream}.write('x' * 1000)", limits=SHORT)
    assert (e.status, e.exit_code) == ("output_limit", -9)
    assert getattr(e, stream) == "x" * SHORT.output_bytes and getattr(e, f"{stream}_truncated")
    assert e.wall_s < SHORT.wall_s


def test_a_refusal_caught_by_the_code_is_still_reported() -> None:
    code = "import socket\ntry:\n    socket.socket()\nexcept PermissionError:\n    print('caught')"
    e = run_python(code, limits=SHORT)
    assert (e.status, e.exit_code, e.stdout) == ("forbidden", 0, "caught\n")
    assert len(e.denied) == 1 and e.denied[0].startswith("socket.__new__ (")


@pytest.mark.parametrize("code", [
    "import ctypes; ctypes.CDLL(None)",
    "import gc; gc.get_objects()",
    "import resource; resource.setrlimit(resource.RLIMIT_CPU, (100, 100))",
    "import os; os.kill(1, 0)",
])  # fmt: skip
def test_other_escapes_are_refused(code: str) -> None:
    assert run_python(code, limits=SHORT).status == "forbidden"


def test_a_refusal_reads_as_a_python_error_at_the_line_that_asked() -> None:
    e = run_python("import socket\nsocket.socket()", limits=SHORT)
    assert (e.status, e.exit_code) == ("forbidden", 1)
    assert e.stderr.splitlines()[:3] == [
        "Traceback (most recent call last):",
        '  File "main.py", line 2, in <module>',
        "    socket.socket()",
    ]
    assert (
        e.stderr.splitlines()[-1]
        == "PermissionError: sandbox: socket.__new__ (2, 1, 0) is not allowed"
    )
    assert "_guard.py" not in e.stderr and "_child.py" not in e.stderr


RACE = """
import errno, os, sys, threading
sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside the hook too
os.makedirs("d/" * 30)
stop = False
def reader():  # keeps its thread in the hook, resolving 30 folders
    while not stop:
        open("d/" * 30 + "f", "w").close()
threads = [threading.Thread(target=reader) for _ in range(3)]
for t in threads:
    t.start()
kinds = {}
for _ in range(300):
    try:
        open(PATH, "w").close()
        kind = "written"
    except PermissionError as e:
        kind = "refused" if str(e).startswith("sandbox:") else "EACCES"
    except OSError as e:
        kind = errno.errorcode[e.errno]
    kinds[kind] = kinds.get(kind, 0) + 1
stop = True
for t in threads:
    t.join()
print(kinds)
"""


def test_threads_inside_the_hook_do_not_let_another_threads_write_through(
    outside: list[Path],
) -> None:
    e = run_python(RACE.replace("PATH", repr(str(outside[0]))), limits=Limits(wall_s=30, cpu_s=20))
    assert (e.status, e.stdout) == ("forbidden", "{'refused': 300}\n"), e.stderr
    assert not outside[0].exists()
