"""Ordinary code in the sandbox: output, errors, exit status, stdin, its own folder, sympy, limits."""

from __future__ import annotations

import json
import signal

import pytest
from _require import need_module

from prmkit.errors import ConfigError
from prmkit.sandbox import Execution, Limits, run_many, run_python

FAST = Limits(wall_s=10, cpu_s=5)


def test_prints_come_back_and_the_run_is_ok() -> None:
    e = run_python("print('a')\nprint(6 * 7)", limits=FAST)
    assert (e.status, e.exit_code, e.stdout, e.stderr, e.reason) == ("ok", 0, "a\n42\n", "", "")
    assert e.ok and not e.stdout_truncated and e.denied == ()
    assert {"rlimits", "audit", "no_new_privs"} <= set(e.guards)
    assert 0 < e.wall_s < 10 and e.cpu_s > 0


def test_an_exception_is_an_error_that_keeps_its_traceback() -> None:
    e = run_python("def f(x):\n    return 1 / x\n\nprint('before')\nf(0)\n", limits=FAST)
    assert (e.status, e.exit_code, e.stdout) == ("error", 1, "before\n")
    assert e.reason == "ZeroDivisionError: division by zero"
    assert e.stderr.splitlines() == [
        "Traceback (most recent call last):",
        '  File "main.py", line 5, in <module>',
        "    f(0)",
        '  File "main.py", line 2, in f',
        "    return 1 / x",
        "           ~~^~~",
        "ZeroDivisionError: division by zero",
    ]


def test_a_syntax_error_is_an_error() -> None:
    e = run_python("print(1 +)", limits=FAST)
    assert e.status == "error" and e.reason.startswith("SyntaxError")
    assert 'File "main.py", line 1' in e.stderr


@pytest.mark.parametrize(("code", "status", "exit_code"), [
    ("import sys; sys.exit(3)", "error", 3),
    ("import sys; sys.exit()", "ok", 0),
    ("raise SystemExit('no')", "error", 1),
    ("import os; os.abort()", "crashed", -6),
])  # fmt: skip
def test_exit_status(code: str, status: str, exit_code: int) -> None:
    e = run_python(code, limits=FAST)
    assert (e.status, e.exit_code) == (status, exit_code)
    if status == "crashed":
        assert e.reason == "killed by SIGABRT"


def test_stdin_is_given_and_it_runs_as_main() -> None:
    code = "import sys\nif __name__ == '__main__':\n    print(sys.stdin.read().upper(), sys.argv)"
    e = run_python(code, stdin="two words", limits=FAST)
    assert e.stdout == "TWO WORDS ['main.py']\n"
    assert run_python("import sys; print(repr(sys.stdin.read()))", limits=FAST).stdout == "''\n"


def test_it_may_write_and_read_files_in_its_own_folder_only_so_many_so_large() -> None:
    code = "import os\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), sorted(os.listdir('.')))"
    e = run_python(code, limits=FAST)
    assert (e.status, e.stdout) == ("ok", "hi ['a.txt', 'main.py']\n")
    code = "for i in range(3):\n    open(f'f{i}', 'w').close()\n    print(i)"
    e = run_python(code, limits=Limits(wall_s=10, max_files=2))
    assert (e.status, e.stdout) == ("forbidden", "0\n1\n")
    code = "with open('big', 'w') as f:\n    f.write('x' * 5000)"
    e = run_python(code, limits=Limits(wall_s=10, file_bytes=4096))
    assert e.status == "error" and "File too large" in e.reason


def test_sympy_math_and_fractions_work_inside() -> None:
    need_module("sympy")
    code = (
        "import math, sympy\nfrom fractions import Fraction\n"
        "x = sympy.symbols('x')\n"
        "print(sympy.solve(x**2 - 5*x + 6, x), sympy.simplify(sympy.sin(x)**2 + sympy.cos(x)**2))\n"
        "print(Fraction(1, 3) + Fraction(1, 6), math.comb(10, 3), sympy.Rational(3, 4) * 4)\n"
    )
    e = run_python(code, limits=Limits(wall_s=60, cpu_s=30))
    assert (e.status, e.stdout) == ("ok", "[2, 3] 1\n1/2 120 3\n"), e.stderr


def test_run_many_keeps_the_order() -> None:
    results = run_many([f"print({i} * {i})" for i in range(5)], limits=FAST, workers=2)
    assert [r.stdout for r in results] == ["0\n", "1\n", "4\n", "9\n", "16\n"]
    assert all(isinstance(r, Execution) and r.ok for r in results)
    with pytest.raises(ValueError, match="workers"):
        run_many(["print(1)"], workers=0)


def test_the_report_is_a_json_record() -> None:
    record = run_python("print(1)", limits=FAST).to_record()
    assert json.loads(json.dumps(record))["stdout"] == "1\n"
    assert set(record) >= {"status", "exit_code", "stdout", "stderr", "reason", "denied", "guards"}


def test_limits_report_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        Limits(wall_s=0, cpu_s=-1, memory_bytes=1000, open_files=3, processes="2")  # type: ignore[arg-type]
    assert str(info.value) == (
        "invalid sandbox limits: wall_s must be > 0 (got 0); cpu_s must be > 0 (got -1); "
        "memory_bytes must be >= 67108864 (got 1000); open_files must be >= 16 (got 3); "
        "processes must be a number (got '2')"
    )
    assert Limits(max_files=0).max_files == 0


def test_an_exit_status_taken_by_another_wait_is_reported_not_raised() -> None:
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps children at once
    try:
        e = run_python("print(1)", limits=FAST)
    finally:
        signal.signal(signal.SIGCHLD, old)
    assert (e.status, e.exit_code) == ("crashed", None)
    assert e.reason == "its exit status was taken by another wait"
