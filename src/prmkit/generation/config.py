"""The policy a command runs: model, engine and grading, as one config every command shares.

>>> PolicyConfig().identity
'hf:qwen2.5-coder-0.5b-instruct'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.generation._load import load_generator
from prmkit.generation._protocol import Generator
from prmkit.steps import GRADERS, Grader

__all__ = ["PolicyConfig"]


@dataclass(frozen=True)
class PolicyConfig:
    """The policy that writes solutions and rollouts, the engine it runs on, and how its answers are graded."""

    model: str = field(default="qwen2.5-coder-0.5b-instruct", metadata=option(flag="--policy"))
    """The policy: a catalog name, a ``.gguf`` path or a model directory."""
    backend: str = "hf"
    """Generation backend, a name in ``prmkit.generation.GENERATORS`` (hf, llamacpp, openai, vllm)."""
    dtype: Literal["float32", "bfloat16"] = "bfloat16"
    """``hf``: the weights' dtype."""
    engine_batch: int | None = None
    """``hf``: most sequences decoded together (unset: the command's ``batch_size``)."""
    threads: int | None = None
    """``llamacpp``: CPU threads (unset: the backend's default)."""
    grading: str = field(default="strict", metadata=option(choices=GRADERS))
    """How a solution or rollout is graded, a name in ``prmkit.steps.GRADERS``: ``strict``: a text that states
    no answer is wrong; ``lenient``: such a text is graded on its last number."""

    def __post_init__(self) -> None:
        if self.engine_batch is not None and self.engine_batch < 1:
            raise ConfigError(f"engine_batch must be >= 1 or unset, got {self.engine_batch}")

    @property
    def identity(self) -> str:
        """``backend:model``, recorded in a job directory."""
        return f"{self.backend}:{self.model}"

    def generator_factory(self, *, batch_size: int | None = None) -> Callable[[], Generator]:
        """A picklable zero-argument factory of the generator (``batch_size``: the ``hf`` batch without ``engine_batch``)."""
        options: dict[str, Any] = {}
        if self.backend == "hf":
            options["dtype"] = self.dtype
            engine_batch = self.engine_batch or batch_size
            if engine_batch is not None:
                options["batch_size"] = engine_batch
        if self.backend == "llamacpp" and self.threads:
            options["n_threads"] = self.threads
        return functools.partial(load_generator, self.backend, model=self.model, **options)

    def grader(self) -> Grader:
        return GRADERS.get(self.grading)
