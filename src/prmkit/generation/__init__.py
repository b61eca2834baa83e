"""Generation: sample n continuations of a prefix, on llama.cpp, an OpenAI-compatible server,
transformers or vLLM.

Every backend takes the same :class:`GenerationRequest` (prompt, n, max_tokens,
temperature, top_p, stop strings, seed) and returns, per request, ``n``
:class:`Sample` values (text, generated token count, finish reason, prompt token
count). Backends are imported only when used.

>>> from prmkit.generation import GENERATORS, GenerationRequest
>>> GENERATORS.names()
['hf', 'llamacpp', 'openai', 'vllm']
>>> gen = load_generator("llamacpp", model="smollm2-135m-instruct")  # doctest: +SKIP
>>> gen.generate([GenerationRequest("1, 2, 3, 4,", max_tokens=6, temperature=0)])[0][0].text  # doctest: +SKIP
' 5, 6, 7'
"""

from __future__ import annotations

from typing import Any

from prmkit._registry import Registry
from prmkit.generation._protocol import (
    FinishReason,
    GenerationError,
    GenerationRequest,
    Generator,
    Sample,
    check_samples,
    cut_at_stop,
    sample_seed,
)

__all__ = [
    "GENERATORS",
    "FinishReason",
    "GenerationError",
    "GenerationRequest",
    "Generator",
    "Sample",
    "check_samples",
    "cut_at_stop",
    "load_generator",
    "sample_seed",
]

GENERATORS: Registry[Any] = Registry("generator")
"""Generation engine classes by name, imported only when used."""
GENERATORS.register("llamacpp", "prmkit.generation.llamacpp:LlamaCppGenerator")
GENERATORS.register("openai", "prmkit.generation.openai_http:OpenAIGenerator")
GENERATORS.register("hf", "prmkit.generation.hf:HFGenerator")
GENERATORS.register("vllm", "prmkit.generation.vllm:VLLMGenerator")


def load_generator(backend: str = "llamacpp", **options: Any) -> Generator:
    """Build a generator; ``options`` go to the backend class (``model=``, ``base_url=``, ...).

    >>> load_generator("nope")
    Traceback (most recent call last):
    ...
    prmkit.errors.UnknownNameError: unknown generator 'nope' available: hf, llamacpp, openai, vllm
    """
    return GENERATORS.get(backend)(**options)
