"""llama.cpp (llama-cpp-python) generation: the embedded default, runs GGUF models on CPU.

Reproducibility: llama.cpp's logits for the last prompt token differ slightly
depending on whether that token was decoded in a batch with the rest of the
prompt or alone after a cached prefix, and a seeded sample follows the logits.
Every request therefore evaluates ``prompt[:-1]`` once in a batch, and every
sample decodes the last prompt token alone on top of that prefix; a seeded
sample thus depends only on the request, not on what the engine ran before.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError, ContextLengthError
from prmkit.generation._protocol import (
    GenerationRequest,
    Sample,
    check_samples,
    sample_seed,
)
from prmkit.models import resolve_model

__all__ = ["LlamaCppGenerator"]


def _cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LlamaCppGenerator:
    """Generate with llama.cpp from a catalog name, a ``.gguf`` path or a directory holding one.

    >>> from prmkit.generation import GenerationRequest
    >>> gen = LlamaCppGenerator("smollm2-135m-instruct", n_ctx=2048)  # doctest: +SKIP
    >>> req = GenerationRequest("1, 2, 3, 4,", max_tokens=6, temperature=0)
    >>> gen.generate([req])[0][0].finish_reason  # doctest: +SKIP
    'length'
    """

    def __init__(
        self,
        model: str | Path = "smollm2-135m-instruct",
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
    ) -> None:
        """``n_ctx``: context window in tokens (prompt + generation); ``n_threads``: CPU threads
        (default: half the cores this process may use, at least 1 -- llama.cpp's threads
        spin-wait on each other, so oversubscribed cores cost far more than idle ones);
        ``n_batch``: prompt tokens decoded per batch."""
        files = resolve_model(model)
        if files.gguf is None:
            raise ConfigError(f"llama.cpp needs a GGUF file; {str(model)!r} resolved to {files.source} with none")
        llama_cpp = require("llama_cpp", extra="llamacpp", package="llama-cpp-python")
        self.model_path = files.gguf
        self.identity = f"llamacpp:{files.entry.sha256 if files.entry else files.gguf.name}"
        self._lock = threading.Lock()
        self._llm: Any = llama_cpp.Llama(
            model_path=str(files.gguf),
            n_ctx=n_ctx,
            n_threads=n_threads or max(1, _cores() // 2),
            n_batch=n_batch,
            verbose=False,
        )
        self.n_ctx: int = self._llm.n_ctx()
        """The context window in effect (llama.cpp rounds small requests up to 256)."""

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` as a prompt: BOS if the model wants one, special tokens parsed."""
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """``request.n`` samples per request, in order; raises :class:`ContextLengthError`
        (naming the request) before generating anything if a prompt does not fit."""
        prompts = [self.tokenize(r.prompt) for r in requests]
        for i, toks in enumerate(prompts):
            if len(toks) >= self.n_ctx:
                raise ContextLengthError(
                    f"request {i}: the prompt has {len(toks)} tokens; the context window is {self.n_ctx}"
                )
        with self._lock:
            out = [self._one(req, toks) for req, toks in zip(requests, prompts, strict=True)]
        return check_samples(requests, out)

    def _one(self, req: GenerationRequest, toks: list[int]) -> list[Sample]:
        self._llm.reset()
        if len(toks) > 1:
            self._llm.eval(toks[:-1])
        samples = []
        for j in range(req.n):
            seed = sample_seed(req, j)
            res = self._llm.create_completion(
                toks,
                max_tokens=req.max_tokens,
                temperature=req.temperature,
                top_p=req.top_p,
                top_k=0,
                min_p=0.0,
                typical_p=1.0,
                repeat_penalty=1.0,
                stop=list(req.stop),
                seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
            )
            choice, usage = res["choices"][0], res["usage"]
            samples.append(
                Sample(
                    text=choice["text"],
                    n_tokens=int(usage["completion_tokens"]),
                    finish_reason="stop" if choice["finish_reason"] == "stop" else "length",
                    n_prompt_tokens=int(usage["prompt_tokens"]),
                )
            )
        return samples

    def continuation_logprobs(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Teacher-forced ``log p(continuation | prompt)`` of each continuation, summed over its tokens
        (:class:`~prmkit.generation.ScoresContinuations`). The prompt is decoded once (a prefix shared
        with the previous call is kept); each continuation's tokens are decoded one at a time after it.

        >>> gen = LlamaCppGenerator("smollm2-135m-instruct", n_ctx=512)  # doctest: +SKIP
        >>> a, b = gen.continuation_logprobs("1, 2, 3, 4,", [" 5", " 9"])  # doctest: +SKIP
        >>> a > b  # doctest: +SKIP
        True
        """
        np = require("numpy", extra="llamacpp")
        toks = self.tokenize(prompt)
        conts = [list(self._llm.tokenize(c.encode("utf-8"), add_bos=False, special=True)) for c in continuations]
        longest = len(toks) + max((len(c) for c in conts), default=0)
        if longest > self.n_ctx:
            raise ContextLengthError(f"prompt and continuation have {longest} tokens; the context window is {self.n_ctx}")
        if any(not c for c in conts):
            raise ConfigError(f"every continuation must have a token, got {list(continuations)!r}")

        def logprobs() -> Any:
            logits = np.ctypeslib.as_array(self._llm._ctx.get_logits(), shape=(self._llm.n_vocab(),))
            x = logits.astype(np.float64)
            return x - (x.max() + np.log(np.exp(x - x.max()).sum()))

        out = []
        with self._lock:
            # keep the prefix shared with what was decoded last, but decode the prompt's last token
            # again so that its logits are the current ones
            held = list(self._llm.input_ids[: self._llm.n_tokens])
            keep = 0
            while keep < min(len(held), len(toks) - 1) and held[keep] == toks[keep]:
                keep += 1
            self._llm.n_tokens = keep
            self._llm.eval(toks[keep:])
            first = logprobs()
            for cont in conts:
                total, lp = 0.0, first
                self._llm.n_tokens = len(toks)
                for k, t in enumerate(cont):
                    total += float(lp[t])
                    if k + 1 < len(cont):
                        self._llm.eval([t])
                        lp = logprobs()
                out.append(total)
            self._llm.n_tokens = len(toks)
        return out

    def close(self) -> None:
        """Free the model."""
        self._llm.close()

    def __enter__(self) -> LlamaCppGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
