"""The Python blocks of a markdown file, for the tests that run them (test_readme.py, test_docs.py).

A block runs unless an HTML comment right before it says why not, e.g.
``<!-- not-run: needs the qwen2.5-coder GGUF and a solutions file -->``; such a block is still compiled
and its top-level imports still run, so a renamed module or name fails the test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "python_blocks", "run_block"]

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.*?)\s*-->\s*$", re.S)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    """1-based line of the block's first line of code."""
    code: str
    not_run: str | None
    """Why the block is not run, or None."""

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    """Every fenced ``python`` block of ``path``, in order."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _NOT_RUN.search(before)
        out.append(Block(path, text.count("\n", 0, m.start(1)) + 1, m.group(1), reason.group(1) if reason else None))
    return out


def run_block(block: Block) -> None:
    """Execute the block (line numbers in tracebacks are the file's); a not-run block: only its imports."""
    tree = ast.parse("\n" * (block.line - 1) + block.code, str(block.path))
    if block.not_run is not None:
        tree.body = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    exec(compile(tree, str(block.path), "exec"), {"__name__": "__docs__"})
