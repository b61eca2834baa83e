"""The generation engines by name, imported only when used."""

from __future__ import annotations

from typing import Any

from prmkit._registry import Registry
from prmkit.generation._protocol import Generator

__all__ = ["GENERATORS", "load_generator"]

GENERATORS: Registry[Any] = Registry("generator")
"""Generation engine classes by name, imported only when used."""
GENERATORS.register("llamacpp", "prmkit.generation.llamacpp:LlamaCppGenerator")
GENERATORS.register("openai", "prmkit.generation.openai_http:OpenAIGenerator")
GENERATORS.register("hf", "prmkit.generation.hf:HFGenerator")
GENERATORS.register("vllm", "prmkit.generation.vllm:VLLMGenerator")


def load_generator(backend: str = "llamacpp", **options: Any) -> Generator:
    """Build a generator; ``options`` go to the backend class (``model=``, ``base_url=``, ...).

    >>> load_generator("llama.cpp")
    Traceback (most recent call last):
    ...
    prmkit.errors.UnknownNameError: unknown generator 'llama.cpp'; did you mean 'llamacpp'? available: hf, llamacpp, openai, vllm
    """
    return GENERATORS.get(backend)(**options)
