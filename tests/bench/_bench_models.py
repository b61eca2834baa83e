"""Tiny real-architecture models the bench smoke tests time instead of the benches' real ones."""

from __future__ import annotations

from pathlib import Path

from _tiny import save_tiny_lm

WIDE = dict(hidden_size=128, intermediate_size=256, num_attention_heads=2, num_key_value_heads=1)
"""vLLM's CPU attention needs a head size of at least 32: 2 heads of 64."""


def save_scoring_model(path: Path) -> Path:
    """A tiny Llama (SmolLM2's class) with SmolLM2's tokenizer; the bench puts a fresh 2-label head on it."""
    from prmkit.models.tokenizers import smollm2_tokenizer

    return save_tiny_lm(path, "llama", smollm2_tokenizer(), max_position_embeddings=4096, **WIDE)


def save_paragraph_policy(path: Path, p_blank: float = 0.25, temperature: float = 0.7) -> Path:
    """A tiny Qwen2 that writes short arithmetic-looking paragraphs: each next token is a blank line with
    probability ``p_blank`` at ``temperature``, else one of a few dozen words and numbers, so its solutions
    have several steps to label (and sampling races a few candidates, not a flat 151,665-token vocabulary).

    Its layers add nothing to the residual stream (``o_proj`` and ``down_proj`` zero) and every token's
    embedding shares one constant coordinate, which the untied LM head alone reads: logit 0 for each word,
    ``log`` odds for the blank line, -40 for every other token, whatever came before.
    """
    import math

    import torch
    import transformers

    from prmkit.models.tokenizers import qwen_tokenizer

    tok = qwen_tokenizer()
    (blank,) = tok.encode("\n\n")
    words = sorted(set(tok.encode(" 0 1 2 3 4 5 6 7 8 9 10 12 + - * = apples cost each so the total is left")))
    save_tiny_lm(path, "qwen2", tok, tie_word_embeddings=False, max_position_embeddings=4096)
    model = transformers.Qwen2ForCausalLM.from_pretrained(str(path))
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        emb, head = model.model.embed_tokens.weight, model.lm_head.weight
        emb.copy_(torch.randn(emb.shape, generator=g) * 0.02)
        emb[:, 0] = 1.0
        head.copy_(torch.randn(head.shape, generator=g) * 0.02)
        normed = float(1.0 / emb.pow(2).mean().sqrt())  # the final RMSNorm's output at the constant coordinate
        logit = torch.full((head.shape[0],), -40.0)
        logit[words] = 0.0
        logit[blank] = temperature * math.log(p_blank / (1 - p_blank) * len(words))
        head[:, 0] = logit / normed
    model.save_pretrained(str(path))
    return path
