"""The suite cannot go green by skipping or by updating: under CI (``CI`` set) a missing requirement
fails the test, and a golden-file update fails the test that wrote it.

The skip checks run pytest in a subprocess, once as on a developer's machine and once with ``CI=1``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _golden import update_golden

import prmkit

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# a test that reads the shared data through the fixture, and one that asks for a file of it
DATA_BACKED = [
    "tests/data/test_candidates.py::test_gsm8k_examples_loader",
    "tests/data/test_processbench.py::test_official_splits_load_with_the_paper_counts[gsm8k]",
]


def _pytest(args: list[str], cwd: Path, tmp: Path, ci: bool, **env: str) -> tuple[dict[str, int], str]:
    """Run pytest; return the counts of its last line ({"failed": 1, ...}) and its output."""
    src = str(Path(prmkit.__file__).resolve().parents[1])
    paths = [src, str(TESTS), os.environ.get("PYTHONPATH", "")]
    child_env = {k: v for k, v in os.environ.items() if k != "CI"} | env
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    if ci:
        child_env["CI"] = "1"
    cmd = [sys.executable, "-m", "pytest", *args, "-q", "-rA", "-p", "no:cacheprovider", "--basetemp", str(tmp)]
    done = subprocess.run(cmd, cwd=cwd, env=child_env, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    last = out.strip().splitlines()[-1]
    counts = {kind.rstrip("s") if kind == "errors" else kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", last)}
    return counts, out


def test_hidden_shared_data_fails_under_ci_and_skips_elsewhere(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    counts, out = _pytest(DATA_BACKED, ROOT, tmp_path / "ci", ci=True, PRMKIT_SHARED_DATA=str(empty))
    assert counts.get("failed", 0) + counts.get("error", 0) == 2 and "skipped" not in counts, out
    assert "CI is set: a missing requirement fails the test instead of skipping it" in out, out
    counts, out = _pytest(DATA_BACKED, ROOT, tmp_path / "dev", ci=False, PRMKIT_SHARED_DATA=str(empty))
    assert counts == {"skipped": 2}, out
    assert "the shared data folder (../shared/data, or $PRMKIT_SHARED_DATA) is not beside this checkout" in out


SYNTHETIC = {
    "conftest.py": "from _require import pytest_collection_modifyitems, pytest_make_collect_report, "
    "pytest_runtest_makereport  # noqa: F401\n",
    "pytest.ini": "[pytest]\nmarkers =\n    gpu: needs a CUDA device\n",
    "test_skips.py": (
        "import pytest\n"
        "from _require import need\n\n"
        "def test_plain_skip():\n    pytest.skip('a skip written by hand')\n\n"
        "@pytest.mark.skip(reason='a skip marker')\ndef test_marked_skip():\n    pass\n\n"
        "def test_need():\n    need(False, 'something missing')\n\n"
        "@pytest.mark.gpu\ndef test_gpu():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known', strict=True)\ndef test_xfail():\n    assert False\n\n"
        "def test_passes():\n    pass\n"
    ),
    "test_module_skip.py": "import pytest\npytest.skip('the whole module', allow_module_level=True)\n",
}


def test_under_ci_every_skip_but_a_gpu_test_s_is_a_failure(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, text in SYNTHETIC.items():
        (suite / name).write_text(text)
    counts, out = _pytest(["--continue-on-collection-errors"], suite, tmp_path / "ci", ci=True)
    gpu = "passed" if "test_skips.py::test_gpu PASSED" in out or "PASSED test_skips.py::test_gpu" in out else "skipped"
    # plain skip, skip marker (at setup: an error), need(); the self-skipping module (a collection error)
    assert counts.pop("failed", 0) + counts.pop("error", 0) == 4, out
    assert counts == {"passed": 1 + (gpu == "passed"), "xfailed": 1, **({"skipped": 1} if gpu == "skipped" else {})}, out
    assert "skipped under CI, where nothing may skip: a skip written by hand" in out
    assert "ERROR test_module_skip.py - skipped under CI, where nothing may skip: the whole module" in out
    if gpu == "skipped":
        assert "needs a CUDA device" in out
    counts, out = _pytest([], suite, tmp_path / "dev", ci=False)
    assert counts == {"passed": 1 + (gpu == "passed"), "xfailed": 1, "skipped": 4 + (gpu == "skipped")}, out


def test_updating_a_golden_file_writes_it_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = tmp_path / "golden.json"
    golden.write_text("old\n")
    update_golden(golden, "new\n")  # unset: nothing happens
    assert golden.read_text() == "old\n"
    monkeypatch.setenv("PRMKIT_UPDATE_GOLDEN", "1")
    with pytest.raises(pytest.fail.Exception, match="PRMKIT_UPDATE_GOLDEN is set: wrote"):
        update_golden(golden, "new\n")
    assert golden.read_text() == "new\n"
