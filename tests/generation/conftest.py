"""Fixtures of the transformers generator tests: one torch thread, offline, and tiny real-architecture
policies (``_tiny.py``) with peaked next-token distributions, as trained models have."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _tiny import save_tiny_lm


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch thread and no hub access for the module's tests."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def save_policy() -> Callable[..., Path]:
    """``save(path, arch, tokenizer, **config)``: a tiny ``qwen2`` or ``llama`` policy of 64 positions."""

    def save(path: Path, arch: str, tokenizer: Any, **extra: Any) -> Path:
        # initializer_range 1.0: peaked next-token distributions, as trained models have
        return save_tiny_lm(path, arch, tokenizer, max_position_embeddings=64, initializer_range=1.0, **extra)

    return save


@pytest.fixture(scope="module")
def qwen_dir(one_torch_thread: None, save_policy: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2 policy with the Qwen2.5 tokenizer."""
    from prmkit.models.tokenizers import qwen_tokenizer

    return save_policy(tmp_path_factory.mktemp("tiny-qwen2"), "qwen2", qwen_tokenizer())
