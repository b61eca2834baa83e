"""Tiny real-architecture models for tests: a 2-layer, hidden-32 config, and a saved causal LM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY: dict[str, Any] = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    tie_word_embeddings=True,
)
"""The shape every tiny test model shares; vocabulary and context come per use."""


def tiny_config(**overrides: Any) -> dict[str, Any]:
    """:data:`TINY` with ``overrides`` (``vocab_size``, ``max_position_embeddings``, ...)."""
    return {**TINY, **overrides}


def save_tiny_lm(path: Path, arch: str, tokenizer: Any, **overrides: Any) -> Path:
    """A seeded tiny ``qwen2`` or ``llama`` causal LM with ``tokenizer``'s vocabulary, saved with it."""
    import torch
    import transformers

    cls, cfg = {
        "qwen2": (transformers.Qwen2ForCausalLM, transformers.Qwen2Config),
        "llama": (transformers.LlamaForCausalLM, transformers.LlamaConfig),
    }[arch]
    torch.manual_seed(1234)
    cls(cfg(**tiny_config(vocab_size=len(tokenizer), **overrides))).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path
