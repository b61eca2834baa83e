"""The README's Python examples run, and its first command is the one CI can check."""

import re
from pathlib import Path

import pytest
from _markdown import python_blocks, run_block

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(README)
    assert blocks, "the README has no Python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        run_block(block)


def test_readme_opens_with_two_commands() -> None:
    text = README.read_text()
    bash = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    assert "prmkit eval processbench" in bash[0]
    assert "scripts/test.sh" in bash[1]
