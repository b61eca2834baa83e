"""Token log-probabilities through an LM head in chunks: the one routine the ``hf`` backend's ``log_ratio``
readout and implicit-PRM training share.

Only the hidden states that predict the tokens of interest go through the LM
head, a block of rows at a time, so memory does not grow with the vocabulary
times the sequence length; with gradients on, each block's logits are
recomputed during backward instead of kept.

>>> import torch                                                          # doctest: +SKIP
>>> head = torch.nn.Linear(8, 50)                                         # doctest: +SKIP
>>> chunked_logprobs(torch.randn(3, 8), torch.tensor([1, 2, 3]), head, vocab=50).shape  # doctest: +SKIP
torch.Size([3])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prmkit._extras import require

__all__ = ["LOGIT_ELEMENTS", "chunked_logprobs", "logit_postprocess"]

LOGIT_ELEMENTS = 1 << 25
"""Largest (rows x vocab) block of fp32 logits alive at once (128 MiB)."""


def chunked_logprobs(hidden_N_H: Any, targets_N: Any, to_logits: Callable[[Any], Any], *, vocab: int) -> Any:
    """``log p(targets_N[i])`` under ``to_logits(hidden_N_H[i])``, log-softmax in fp32: shape ``(N,)``.

    ``to_logits`` maps a block of rows to their ``(rows, vocab)`` logits (cast to float32 here). Blocks hold
    at most :data:`LOGIT_ELEMENTS` logits; with gradients enabled, each block is checkpointed.
    """
    torch = require("torch", extra="hf")
    checkpoint = require("torch.utils.checkpoint", extra="hf").checkpoint

    def block(h: Any, t: Any) -> Any:
        logits = to_logits(h).float()
        return logits.gather(1, t[:, None])[:, 0] - torch.logsumexp(logits, dim=-1)

    step = max(1, LOGIT_ELEMENTS // vocab)
    grad = torch.is_grad_enabled() and hidden_N_H.requires_grad
    parts = []
    for at in range(0, hidden_N_H.shape[0], step):
        args = (hidden_N_H[at : at + step], targets_N[at : at + step])
        parts.append(checkpoint(block, *args, use_reentrant=False, preserve_rng_state=False) if grad else block(*args))
    return torch.cat(parts) if parts else hidden_N_H.new_zeros(0, dtype=torch.float32)


def logit_postprocess(config: Any) -> Callable[[Any], Any]:
    """The scaling / soft-capping some architectures apply to LM logits (Cohere, Gemma 2/3), from a text config."""
    torch = require("torch", extra="hf")
    scale = getattr(config, "logit_scale", None)
    cap = getattr(config, "final_logit_softcapping", None)

    def post(x: Any) -> Any:
        if scale is not None:
            x = x * scale
        if cap is not None:
            x = torch.tanh(x / cap) * cap
        return x

    return post
