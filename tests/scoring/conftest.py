"""Real tokenizers and tiny, seeded models of real transformers classes for the ``hf`` backend tests.

Models keep the tokenizers' real vocabulary sizes (embedding rows) so every
token id maps; everything else is tiny (hidden 32, 2 layers). Weights are
filled from one seeded ``torch.Generator`` in parameter-name order, so the
golden numbers do not depend on transformers' initialisation code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from _require import need_module
from _tiny import tiny_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from prmkit.types import Solution

QWEN_VOCAB = 151936
"""Qwen2/Qwen2.5 embedding rows (0.5B/1.5B configs): 151,643 BPE ids + added tokens + padding."""


@pytest.fixture(scope="session")
def torch() -> Any:
    torch = need_module("torch")
    torch.set_num_threads(1)  # tiny models: threads only add contention on a shared CPU
    return torch


def seeded(model: Any, seed: int, std: float = 0.2) -> Any:
    """Overwrite every parameter from ``seed``: norms ~ 1 + N(0, 0.1), the rest ~ N(0, std)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            p.copy_(1 + 0.1 * noise if "norm" in name else std * noise)
    return model.eval()


@pytest.fixture(scope="session")
def seed_weights(torch: Any) -> Callable[..., Any]:
    """:func:`seeded`, for tests that build other architectures."""
    return seeded


def _small(**kw: Any) -> dict[str, Any]:
    return tiny_config(max_position_embeddings=4096, **kw)


@pytest.fixture(scope="session")
def qwen_classifier(torch: Any) -> Callable[[int, int], Any]:
    """``(num_labels, seed) -> Qwen2ForTokenClassification`` with Qwen's vocabulary."""
    from transformers import Qwen2Config, Qwen2ForTokenClassification

    def make(num_labels: int, seed: int) -> Any:
        cfg = Qwen2Config(vocab_size=QWEN_VOCAB, num_labels=num_labels, **_small())
        return seeded(Qwen2ForTokenClassification(cfg), seed)

    return make


@pytest.fixture(scope="session")
def llama_classifier(torch: Any) -> Callable[[int, int, int], Any]:
    """``(vocab_size, num_labels, seed) -> LlamaForTokenClassification``."""
    from transformers import LlamaConfig, LlamaForTokenClassification

    def make(vocab: int, num_labels: int, seed: int) -> Any:
        cfg = LlamaConfig(vocab_size=vocab, num_labels=num_labels, **_small())
        return seeded(LlamaForTokenClassification(cfg), seed)

    return make


@pytest.fixture(scope="session")
def qwen_lm(torch: Any) -> Callable[[int], Any]:
    """``seed -> Qwen2ForCausalLM`` with Qwen's vocabulary (tied embeddings)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    def make(seed: int) -> Any:
        return seeded(Qwen2ForCausalLM(Qwen2Config(vocab_size=QWEN_VOCAB, **_small())), seed)

    return make


@pytest.fixture(scope="session")
def llama_lm(torch: Any) -> Callable[[int, int], Any]:
    """``(vocab_size, seed) -> LlamaForCausalLM`` (SmolLM2's architecture)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    def make(vocab: int, seed: int) -> Any:
        return seeded(LlamaForCausalLM(LlamaConfig(vocab_size=vocab, **_small())), seed)

    return make


@pytest.fixture(scope="session")
def qwen_tok(torch: Any) -> Any:
    """The Qwen2.5 tokenizer, as a base / Skywork / TRL PRM ships it."""
    from prmkit.models.tokenizers import qwen_tokenizer

    return qwen_tokenizer()


@pytest.fixture(scope="session")
def qwen_prm_tok(torch: Any) -> Any:
    """The Qwen2.5 tokenizer plus the ``<extra_0>`` step tag of Qwen2.5-Math-PRM."""
    from prmkit.models.tokenizers import qwen_tokenizer

    tok = qwen_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    return tok


@pytest.fixture(scope="session")
def smol_tok(torch: Any) -> Any:
    """SmolLM2-135M-Instruct's tokenizer and ChatML template (from the GGUF)."""
    from prmkit.models.tokenizers import smollm2_tokenizer

    return smollm2_tokenizer()


@pytest.fixture(scope="session")
def smol_shepherd_tok(torch: Any) -> Any:
    """SmolLM2's tokenizer with ``" ки"`` added as one token, as training a Math-Shepherd PRM on it would.

    SmolLM2's BPE splits ``" ки"`` into ``"Ġк" "и"``; Mistral's vocabulary has
    ``"▁ки"`` (12902). Added non-special and unnormalised, it matches the exact
    text ``" ки"``, leading space included.
    """
    from tokenizers import AddedToken

    from prmkit.models.tokenizers import smollm2_tokenizer

    tok = smollm2_tokenizer()
    tok.add_tokens([AddedToken(" ки", normalized=False, special=False)])
    return tok


SOLUTIONS: tuple[Solution, ...] = (
    Solution(
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?",
        (
            "In May she sold 48 / 2 = 24 clips.",
            "Altogether she sold 48 + 24 = 72 clips.",
            "The answer is \\boxed{72}.",
        ),
        id="natalia",
    ),
    Solution("What is $\\frac{3}{4} \\cdot 12$?", ("$\\frac{3}{4} \\cdot 12 = 9$",), id="one-step"),
    Solution(
        "Find all real $x$ with $x^2 - 5x + 6 = 0$.",
        (
            "Factor: $x^2 - 5x + 6 = (x-2)(x-3)$.",
            "So either\n$x - 2 = 0$ or\n$x - 3 = 0$.",
            "  Hence $x \\in \\{2, 3\\}$  ",
            "Check: $4 - 10 + 6 = 0$ and $9 - 15 + 6 = 0$.",
            "The answer is $x = 2$ or $x = 4$.",
        ),
        id="quadratic",
    ),
    Solution("2+2?", ("2 + 2 = 5", "so 5"), id="short-wrong"),
    Solution(
        "A train travels 60 km/h for 2.5 hours, then 80 km/h for 1 hour. How far did it go in total?",
        tuple(f"Leg {i}: {s} km so far; keep going ({i}/7)." for i, s in enumerate((150, 150, 230, 230, 230, 230, 230), 1)),
        id="train",
    ),
    Solution("Ünïcödé — 中文 problem: what is 7 × 6?", ("7 × 6 = 42 ✓", "Answer: 42 😀"), id="unicode"),
)
"""Mixed lengths (1-7 steps), LaTeX, braces, multi-line steps, padded whitespace, non-ASCII."""


@pytest.fixture(scope="session")
def solutions() -> tuple[Solution, ...]:
    return SOLUTIONS
