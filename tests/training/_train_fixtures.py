"""Tiny real-architecture backbones with real tokenizers (session fixtures) and small stepwise data."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from _require import need_module
from _tiny import save_tiny_lm

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _save_tiny(path: Path, arch: str, tokenizer: object) -> Path:
    need_module("torch")
    need_module("transformers")
    return save_tiny_lm(path, arch, tokenizer, max_position_embeddings=1024,
                        pad_token_id=tokenizer.pad_token_id)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def tiny_qwen2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Qwen2 causal LM (hidden 32) with the real Qwen2.5 tokenizer."""
    tokenizers = need_module("prmkit.models.tokenizers")
    return _save_tiny(tmp_path_factory.mktemp("tiny-qwen2"), "qwen2", tokenizers.qwen_tokenizer())


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama causal LM (hidden 32) with SmolLM2's real tokenizer."""
    tokenizers = need_module("prmkit.models.tokenizers")
    tok = tokenizers.smollm2_tokenizer()
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return _save_tiny(tmp_path_factory.mktemp("tiny-llama"), "llama", tok)


def arithmetic_records(n: int, seed: int = 0, soft: bool = False) -> list[dict[str, object]]:
    """Stepwise records about sums: a wrong step states a wrong sum; ``outcome`` is the last step's truth."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b, c = rng.randint(1, 50), rng.randint(1, 50), rng.randint(1, 50)
        bad = rng.randint(0, 3)  # 3 = no error
        s1 = a + b + (1 if bad == 0 else 0)
        steps = [f"First, {a} + {b} = {s1}.", f"Then {s1} + {c} = {s1 + c + (2 if bad == 1 else 0)}."]
        steps.append(f"The answer is {s1 + c + (2 if bad == 1 else 0)}.")
        labels: list[object] = [bad != 0, bad not in (0, 1), bad not in (0, 1)]
        if soft:
            labels = [round(rng.uniform(0.6, 1.0), 3) if v else round(rng.uniform(0.0, 0.4), 3) for v in labels]
        out.append({"id": f"r{i}", "prompt": f"What is {a} + {b} + {c}?", "completions": steps,
                    "labels": labels, "outcome": bad == 3})
    return out


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
