"""Fixtures for the training tests (defined in ``_train_fixtures`` so other test folders can import them)."""

from _train_fixtures import tiny_llama, tiny_qwen2

__all__ = ["tiny_llama", "tiny_qwen2"]
