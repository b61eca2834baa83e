"""transformers generation: batched sampling with a KV cache (any causal LM; GGUFs are dequantized once).

Up to ``batch_size`` samples decode together (see :mod:`prmkit.generation._batched`):
each distinct prompt is prefilled once and shared by its ``n`` samples, finished
samples leave the batch and queued ones take their place. Every sample draws
from its own random stream seeded with ``seed + j``, so sample ``j`` does not
depend on ``n``, on the other requests, or on ``batch_size`` (up to floating-point
differences of batched kernels); the caller's global RNG is untouched. Stop
strings are matched in the generated text only (never across the prompt
boundary), as llama.cpp and OpenAI servers do.

Prompts' prefills are kept across calls (``prefix_cache_tokens`` positions,
least recently used dropped first; :mod:`prmkit.generation._prefix`): a prompt
that extends one prefilled before (a search or a Monte Carlo labeller asking
for the next step of the same solution) runs the model only on its new
tokens. ``prompt_tokens`` and ``prefill_tokens`` count, since the generator was
built, the prompt tokens prefilled and those the model actually ran on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from prmkit._extras import require
from prmkit.errors import ConfigError, ContextLengthError
from prmkit.generation._batched import Job, Row, decode
from prmkit.generation._prefix import PrefixCache
from prmkit.generation._protocol import (
    GenerationRequest,
    Sample,
    check_samples,
    cut_at_stop,
    sample_seed,
)
from prmkit.generation._sampling import RowSampler
from prmkit.models import resolve_model, to_transformers_dir

__all__ = ["HFGenerator"]


class HFGenerator:
    """Generate with ``transformers`` from a catalog name, a GGUF, a model directory or a hub id.

    >>> from prmkit.generation import GenerationRequest
    >>> gen = HFGenerator("smollm2-135m-instruct")  # doctest: +SKIP
    >>> req = GenerationRequest("1, 2, 3, 4, 5,", max_tokens=5, temperature=0)
    >>> gen.generate([req])[0][0].text  # doctest: +SKIP
    ' 6, 7'
    """

    def __init__(
        self,
        model: str | Path = "smollm2-135m-instruct",
        *,
        device: str = "cpu",
        dtype: Literal["float32", "bfloat16", "float16"] = "float32",
        batch_size: int = 16,
        prefix_cache_tokens: int = 32768,
    ) -> None:
        """``device``: torch device; ``dtype``: weights' dtype (also of a GGUF's dequantized copy);
        ``batch_size``: the most samples decoded together; ``prefix_cache_tokens``: the most prompt
        positions whose keys and values are kept across calls (0: none, every prompt is prefilled whole).

        The prefix cache is on by default, as it is in vLLM, SGLang and the llama.cpp server: the
        callers of a policy (rollouts from each prefix of a solution, step-level search) send prompts
        that extend earlier ones, and without it every call prefills every prompt from the start.
        It changes no sample beyond the floating-point differences batching already makes (a cached
        beginning and its continuation are two kernel calls, not one), and is emptied when the
        weights change. Memory is bounded: a position holds ``2 * layers * kv_heads * head_dim``
        values, 24 KB for Qwen2.5-0.5B in float32, so at most 0.8 GB by default."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer (got {batch_size!r})")
        if not isinstance(prefix_cache_tokens, int) or prefix_cache_tokens < 0:
            raise ConfigError(f"prefix_cache_tokens must be a non-negative integer (got {prefix_cache_tokens!r})")
        torch = require("torch", extra="hf")
        transformers = require("transformers", extra="hf")
        files = resolve_model(model)
        if files.directory is not None:
            src = str(files.directory)
        elif files.hub_id is not None:
            src = files.hub_id
        else:
            src = str(to_transformers_dir(model, dtype=dtype))
        self.identity = f"hf:{src}"
        self.device = device
        self.batch_size = batch_size
        self._prefix = PrefixCache(prefix_cache_tokens)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(src)
        self.model = transformers.AutoModelForCausalLM.from_pretrained(src, dtype=getattr(torch, dtype))
        self.model.to(device).eval()
        cfg = self.model.generation_config
        eos = cfg.eos_token_id if cfg.eos_token_id is not None else self.tokenizer.eos_token_id
        self._eos: set[int] = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.max_positions: int | None = getattr(self.model.config, "max_position_embeddings", None)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """``request.n`` samples per request, in order; raises :class:`ContextLengthError`
        (naming the request) before generating anything if a prompt does not fit."""
        prompt_ids: list[list[int]] = []
        index: dict[str, int] = {}
        jobs: list[Job] = []
        for i, req in enumerate(requests):
            if req.prompt not in index:
                ids = self.tokenizer(req.prompt).input_ids
                if self.max_positions is not None and len(ids) >= self.max_positions:
                    raise ContextLengthError(
                        f"request {i}: the prompt has {len(ids)} tokens; "
                        f"the model takes {self.max_positions}"
                    )
                index[req.prompt] = len(prompt_ids)
                prompt_ids.append(list(ids))
            p = index[req.prompt]
            max_new = req.max_tokens
            if self.max_positions is not None:
                max_new = min(max_new, self.max_positions - len(prompt_ids[p]))
            jobs.extend(
                Job(p, max_new, req.stop, self._sampler(req, j)) for j in range(req.n)
            )
        self._prefix.check(self.model)
        done = decode(
            self.model, self.tokenizer, prompt_ids, jobs,
            eos=self._eos, batch_size=self.batch_size, prefix=self._prefix,
        )
        rows = iter(done)
        out = [[self._sample(next(rows), req) for _ in range(req.n)] for req in requests]
        return check_samples(requests, out)

    def continuation_logprobs(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Teacher-forced ``log p(continuation | prompt)`` of each continuation, summed over its tokens, with a
        float32 log-softmax (:class:`~prmkit.generation.ScoresContinuations`); the continuations run as one batch.

        >>> gen = HFGenerator("smollm2-135m-instruct")  # doctest: +SKIP
        >>> a, b = gen.continuation_logprobs("1, 2, 3, 4,", [" 5", " 9"])  # doctest: +SKIP
        >>> a > b  # doctest: +SKIP
        True
        """
        torch = require("torch", extra="hf")
        ids = list(self.tokenizer(prompt).input_ids)
        conts = [list(self.tokenizer(c, add_special_tokens=False).input_ids) for c in continuations]
        if any(not c for c in conts):
            raise ConfigError(f"every continuation must have a token, got {list(continuations)!r}")
        width = len(ids) + max((len(c) for c in conts), default=0)
        if self.max_positions is not None and width > self.max_positions:
            raise ContextLengthError(f"prompt and continuation have {width} tokens; the model takes {self.max_positions}")
        if not conts:
            return []
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        rows = [ids + c + [pad] * (width - len(ids) - len(c)) for c in conts]
        mask = [[1] * (len(ids) + len(c)) + [0] * (width - len(ids) - len(c)) for c in conts]
        with torch.no_grad():
            logits = self.model(
                input_ids=torch.tensor(rows, device=self.device),
                attention_mask=torch.tensor(mask, device=self.device),
            ).logits.float()
        logp = torch.log_softmax(logits, dim=-1)
        out = []
        for r, c in enumerate(conts):
            at = torch.arange(len(ids) - 1, len(ids) - 1 + len(c), device=self.device)
            out.append(float(logp[r, at, torch.tensor(c, device=self.device)].double().sum()))
        return out

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens prefilled so far (each distinct prompt once per call)."""
        return self._prefix.prompt_tokens

    @property
    def prefill_tokens(self) -> int:
        """Of :attr:`prompt_tokens`, those the model ran on; the rest were read from the prefix cache."""
        return self._prefix.prefill_tokens

    def _sampler(self, req: GenerationRequest, j: int) -> RowSampler:
        return RowSampler.make(req.temperature, req.top_p, sample_seed(req, j), self.device)

    def _sample(self, row: Row, req: GenerationRequest) -> Sample:
        if row.text is not None:
            text, hit = row.text, True
        else:
            text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            text, hit = cut_at_stop(text, req.stop)
        finished = hit or row.ended
        return Sample(text, len(row.tokens), "stop" if finished else "length", row.n_prompt)
