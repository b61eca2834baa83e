"""Executed documentation: every doctest of ``src/prmkit`` and every Python block of ``docs/**/*.md``.

Only modules whose source holds a ``>>>`` are imported, one test each, in a fresh working directory.
A module that needs a missing optional dependency is a skip (a failure under CI, ``_require.py``); a
doctest that needs real weights says ``# doctest: +SKIP``. Docs blocks follow ``_markdown.py``.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from _markdown import Block, python_blocks, run_block
from _require import missing

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOCS = ROOT / "docs"


def _modules_with_doctests() -> list[str]:
    names = []
    for path in sorted((SRC / "prmkit").rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(SRC).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as e:  # MissingExtraError included; a broken prmkit import is an error
        if e.name is not None and e.name.split(".")[0] == "prmkit":
            raise
        missing(f"{name} needs what is not installed: {e}")


@pytest.mark.parametrize("name", _modules_with_doctests())
def test_doctests(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = _import(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    assert tests, f"{name}: '>>>' in the source but no doctest found"
    runner = doctest.DocTestRunner(optionflags=doctest.REPORT_NDIFF)
    report: list[str] = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


DOC_BLOCKS = [block for path in sorted(DOCS.rglob("*.md")) for block in python_blocks(path)]


def test_doctests_and_docs_blocks_are_found() -> None:
    assert len(_modules_with_doctests()) > 50
    assert DOC_BLOCKS


@pytest.mark.parametrize("block", DOC_BLOCKS, ids=[f"{b.path.relative_to(DOCS)}:{b.line}" for b in DOC_BLOCKS])
def test_docs_python_blocks_run(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_block(block)
