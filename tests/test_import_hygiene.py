"""`import prmkit` must stay light."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "ray", "fastapi", "llama_cpp", "math_verify", "matplotlib", "sympy")


def test_import_prmkit_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, prmkit, prmkit.scoring, prmkit.evaluation, prmkit.search, prmkit.data, prmkit.cli\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import prmkit pulled in: {out.stdout.strip()}"
