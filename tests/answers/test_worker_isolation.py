"""The math-verify worker never imports a module from the user's working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("math_verify")

SRC = Path(__file__).resolve().parents[2] / "src"
TRAP = """
import pathlib
pathlib.Path({marker!r}).write_text("imported from the working directory")
raise SystemExit("booby-trapped math_verify imported")
"""


@pytest.mark.parametrize("how", ["python -c", "python -m", "PYTHONPATH=."])
def test_a_math_verify_py_in_the_cwd_is_not_imported(tmp_path: Path, how: str) -> None:
    marker = tmp_path / "pwned"
    for name in ("math_verify.py", "runpy.py"):
        (tmp_path / name).write_text(TRAP.format(marker=str(marker)))
    env = {**os.environ, "PYTHONPATH": str(SRC) + (os.pathsep + "." if how == "PYTHONPATH=." else "")}
    code = "from prmkit.answers._verify import math_verify_equal as eq; print(eq('1/2', '0.5', timeout_s=60))"
    if how == "python -m":  # -m puts the working directory itself first on the parent's path
        (tmp_path / "probe.py").write_text(code)
        argv = [sys.executable, "-m", "probe"]
    else:
        argv = [sys.executable, "-c", code]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "equal"
    assert not marker.exists()
