"""``import prmkit.runtime`` stays light: Ray loads only when a RayRunner starts."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "ray", "llama_cpp", "math_verify", "sympy", "matplotlib")


def test_runtime_and_the_policy_layer_import_no_heavy_dependency() -> None:
    code = (
        "import sys, prmkit.runtime, prmkit.generation\n"
        "prmkit.runtime.RayRunner(factory=dict, num_actors=2, num_cpus=0.5)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import prmkit.runtime pulled in: {out.stdout.strip()}"
