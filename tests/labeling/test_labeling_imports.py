"""``import prmkit.labeling`` (and the label CLI) must stay light: ray, llama.cpp, torch load only when used."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "ray", "llama_cpp", "math_verify", "sympy", "matplotlib")


def test_labeling_imports_no_heavy_dependency() -> None:
    code = (
        "import sys, prmkit.labeling, prmkit.labeling.job, prmkit.labeling.consensus, prmkit.labeling.inject, "
        "prmkit.labeling.tree_search, prmkit.labeling.io, prmkit.cli._label\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import prmkit.labeling pulled in: {out.stdout.strip()}"
