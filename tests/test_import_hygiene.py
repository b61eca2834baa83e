"""`import prmkit` must stay light."""

import ast
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "transformers", "vllm", "ray", "fastapi", "llama_cpp", "math_verify", "matplotlib", "sympy", "z3")


def test_import_prmkit_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, prmkit, prmkit.scoring, prmkit.evaluation, prmkit.search, prmkit.data, prmkit.rewards, prmkit.cli\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import prmkit pulled in: {out.stdout.strip()}"


SRC = Path(__file__).resolve().parents[1] / "src" / "prmkit"


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def _deferred_prmkit_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every prmkit import inside a function body (not under ``if TYPE_CHECKING``)."""
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if in_function and isinstance(child, ast.ImportFrom) and (child.module or "").startswith("prmkit"):
                found.append((child.lineno, child.module or ""))
            if in_function and isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names if a.name.startswith("prmkit"))
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    walk(tree, False)
    return found


def test_no_prmkit_module_is_imported_inside_a_function_outside_the_cli() -> None:
    """Deferring an import of prmkit's own light modules only hides a cycle (import-linter then cannot see
    the edge); heavy optional dependencies are deferred with ``prmkit._extras.require`` instead. The CLI
    defers a subcommand's modules so that ``prmkit --help`` starts fast."""
    deferred = {
        f"{path.relative_to(SRC)}:{line} {module}"
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).parts[0] != "cli"
        for line, module in _deferred_prmkit_imports(ast.parse(path.read_text(), str(path)))
    }
    assert deferred == set()


def test_the_deferred_import_finder_sees_a_deferred_import() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from prmkit.types import Solution\n"
        "def f():\n    from prmkit.scoring import load_prm\n    import prmkit.data\n    import json\n"
    )
    assert _deferred_prmkit_imports(tree) == [(5, "prmkit.scoring"), (6, "prmkit.data")]
