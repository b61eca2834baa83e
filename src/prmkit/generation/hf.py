"""transformers generation: the reference backend (any causal LM; GGUFs are dequantized once).

Each sample is generated on its own, seeded with ``seed + j`` inside a forked RNG
(the caller's global torch RNG is left untouched), so sample ``j`` does not depend
on ``n`` or on other requests. Stop strings are matched in the generated text only
(never across the prompt boundary), as llama.cpp and OpenAI servers do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from prmkit._extras import require
from prmkit.errors import ContextLengthError
from prmkit.generation._protocol import (
    GenerationRequest,
    Sample,
    check_samples,
    cut_at_stop,
    sample_seed,
)
from prmkit.models import resolve_model, to_transformers_dir

__all__ = ["HFGenerator"]


class HFGenerator:
    """Generate with ``transformers`` from a catalog name, a GGUF, a model directory or a hub id.

    >>> gen = HFGenerator("smollm2-135m-instruct")  # doctest: +SKIP
    >>> gen.generate([GenerationRequest("1, 2, 3,", max_tokens=4, temperature=0)])[0][0].text  # doctest: +SKIP
    ' 4, 5'
    """

    def __init__(
        self,
        model: str | Path = "smollm2-135m-instruct",
        *,
        device: str = "cpu",
        dtype: Literal["float32", "bfloat16", "float16"] = "float32",
    ) -> None:
        """``device``: torch device; ``dtype``: weights' dtype (also of a GGUF's dequantized copy)."""
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
        self._torch = torch
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(src)
        self.model = transformers.AutoModelForCausalLM.from_pretrained(src, dtype=getattr(torch, dtype))
        self.model.to(device).eval()
        cfg = self.model.generation_config
        eos = cfg.eos_token_id if cfg.eos_token_id is not None else self.tokenizer.eos_token_id
        self._eos: set[int] = set(eos if isinstance(eos, list) else [eos]) - {None}
        self._pad = cfg.pad_token_id if cfg.pad_token_id is not None else next(iter(self._eos), 0)
        self.max_positions: int | None = getattr(self.model.config, "max_position_embeddings", None)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """``request.n`` samples per request, in order; raises :class:`ContextLengthError`
        (naming the request) before generating anything if a prompt does not fit."""
        prompts = [self.tokenizer(r.prompt, return_tensors="pt").input_ids for r in requests]
        for i, ids in enumerate(prompts):
            if self.max_positions is not None and ids.shape[1] >= self.max_positions:
                raise ContextLengthError(
                    f"request {i}: the prompt has {ids.shape[1]} tokens; the model takes {self.max_positions}"
                )
        out = [
            [self._sample(req, ids, j) for j in range(req.n)]
            for req, ids in zip(requests, prompts, strict=True)
        ]
        return check_samples(requests, out)

    def _sample(self, req: GenerationRequest, ids: Any, j: int) -> Sample:
        torch = self._torch
        n_prompt = int(ids.shape[1])
        max_new = req.max_tokens
        if self.max_positions is not None:
            max_new = min(max_new, self.max_positions - n_prompt)
        seed = sample_seed(req, j)
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": req.temperature, "top_p": req.top_p, "top_k": 0}
            if req.temperature > 0
            else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        )
        criteria = [_StopCriteria(self.tokenizer, n_prompt, req.stop)] if req.stop else []
        devices = [] if self.device == "cpu" else [torch.device(self.device)]
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(seed if seed is not None else random.SystemRandom().randrange(2**31))
            out = self.model.generate(
                ids.to(self.device),
                attention_mask=torch.ones_like(ids).to(self.device),
                max_new_tokens=max_new,
                min_new_tokens=0,
                repetition_penalty=1.0,
                min_p=None,
                pad_token_id=self._pad,
                eos_token_id=sorted(self._eos),
                stopping_criteria=_criteria_list(criteria),
                **sampling,
            )
        gen = out[0, n_prompt:].tolist()
        eos_at = next((k for k, t in enumerate(gen) if t in self._eos), None)
        if eos_at is not None:
            gen = gen[:eos_at]
        text, hit = cut_at_stop(self.tokenizer.decode(gen, skip_special_tokens=True), req.stop)
        finished = hit or eos_at is not None
        return Sample(text, len(gen), "stop" if finished else "length", n_prompt)


def _criteria_list(criteria: list[Any]) -> Any:
    transformers = require("transformers", extra="hf")
    return transformers.StoppingCriteriaList(criteria)


class _StopCriteria:
    """Stop once a stop string appears in the generated text (the prompt is not searched).

    Only the last ``longest stop + 4`` tokens are decoded per step: a stop string that
    just appeared spans at most as many tokens as it has characters.
    """

    def __init__(self, tokenizer: Any, n_prompt: int, stop: Sequence[str]) -> None:
        self.tokenizer, self.n_prompt, self.stop = tokenizer, n_prompt, tuple(stop)
        self.window = max(len(s) for s in stop) + 4

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        torch = require("torch", extra="hf")
        done = []
        for row in input_ids:
            gen = row[self.n_prompt :]
            tail = self.tokenizer.decode(gen[-self.window :], skip_special_tokens=True)
            done.append(any(s in tail for s in self.stop))
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
