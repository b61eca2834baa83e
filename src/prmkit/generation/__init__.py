"""The policy layer: sample n continuations of a prefix, on llama.cpp, an OpenAI-compatible server,
transformers or vLLM; continue a prefix of steps; sample whole solutions.

Every backend takes the same :class:`GenerationRequest` (prompt, n, max_tokens,
temperature, top_p, stop strings, seed) and returns, per request, ``n``
:class:`Sample` values (text, generated token count, finish reason, prompt token
count). Backends are imported only when used.

On top of the engines: :class:`Sampling` (sampling settings and prompt format)
builds the request that continues a prefix of steps, :func:`continued_text` is
the solution text a continuation makes, and :func:`sample_solutions` writes
seeded, resumable policy solutions of :class:`Problem` values.

>>> from prmkit.generation import GENERATORS, GenerationRequest
>>> GENERATORS.names()
['hf', 'llamacpp', 'openai', 'vllm']
>>> gen = load_generator("llamacpp", model="smollm2-135m-instruct")  # doctest: +SKIP
>>> gen.generate([GenerationRequest("1, 2, 3, 4, 5,", max_tokens=5, temperature=0)])[0][0].text  # doctest: +SKIP
' 6, 7'
"""

from __future__ import annotations

from prmkit.generation._continuation import Sampling, continued_text
from prmkit.generation._load import GENERATORS, load_generator
from prmkit.generation._protocol import (
    FinishReason,
    GenerationError,
    GenerationRequest,
    Generator,
    Sample,
    ScoresContinuations,
    check_samples,
    cut_at_stop,
    sample_seed,
)
from prmkit.generation._solutions import pick_problems, sample_solutions, solution_seed
from prmkit.generation.config import PolicyConfig
from prmkit.types import Problem

__all__ = [
    "GENERATORS",
    "FinishReason",
    "GenerationError",
    "GenerationRequest",
    "Generator",
    "PolicyConfig",
    "Problem",
    "Sample",
    "Sampling",
    "ScoresContinuations",
    "check_samples",
    "continued_text",
    "cut_at_stop",
    "load_generator",
    "pick_problems",
    "sample_seed",
    "sample_solutions",
    "solution_seed",
]
