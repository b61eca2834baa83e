"""The one shape every generation engine has: requests in, n samples per request out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from prmkit.errors import ConfigError, PRMKitError

__all__ = [
    "FinishReason",
    "GenerationError",
    "GenerationRequest",
    "Generator",
    "Sample",
    "ScoresContinuations",
    "check_samples",
    "cut_at_stop",
    "sample_seed",
]

FinishReason = Literal["stop", "length"]
"""``stop``: end of sequence or a stop string; ``length``: ``max_tokens`` (or the context) ran out."""


class GenerationError(PRMKitError, RuntimeError):
    """A generation engine or server failed; the message names the request and the cause."""


@dataclass(frozen=True)
class GenerationRequest:
    """Sample ``n`` continuations of ``prompt``.

    Sampling is plain temperature + nucleus sampling on every backend (no
    top-k, min-p or repetition penalty). Sample ``j`` is drawn with seed
    ``seed + j``, so a request's first samples do not change when ``n`` grows.

    >>> GenerationRequest("1, 2, 3,", n=2, max_tokens=8, stop=("\\n",), seed=0).n
    2
    """

    prompt: str
    """The prefix to continue, verbatim (special tokens in it are parsed as such)."""
    n: int = 1
    """How many samples to draw."""
    max_tokens: int = 256
    """Upper bound on generated tokens per sample."""
    temperature: float = 1.0
    """Softmax temperature; 0 means greedy decoding."""
    top_p: float = 1.0
    """Nucleus sampling mass in (0, 1]; 1 keeps the whole distribution."""
    stop: tuple[str, ...] = ()
    """Stop strings: a sample ends at the first one, which is not part of its text."""
    seed: int | None = None
    """Seed of sample 0 (sample j uses ``seed + j``); None draws fresh randomness."""

    def __post_init__(self) -> None:
        if isinstance(self.stop, str) or not isinstance(self.stop, tuple):
            object.__setattr__(self, "stop", (self.stop,) if isinstance(self.stop, str) else tuple(self.stop))
        problems = []
        if not isinstance(self.prompt, str) or not self.prompt:
            problems.append(f"prompt must be a non-empty string (got {self.prompt!r:.40})")
        if self.n < 1:
            problems.append(f"n must be >= 1 (got {self.n})")
        if self.max_tokens < 1:
            problems.append(f"max_tokens must be >= 1 (got {self.max_tokens})")
        if not self.temperature >= 0:
            problems.append(f"temperature must be >= 0 (got {self.temperature})")
        if not 0 < self.top_p <= 1:
            problems.append(f"top_p must be in (0, 1] (got {self.top_p})")
        if any(not isinstance(s, str) or not s for s in self.stop):
            problems.append(f"stop strings must be non-empty strings (got {self.stop!r})")
        if self.seed is not None and self.seed < 0:
            problems.append(f"seed must be >= 0 (got {self.seed})")
        if problems:
            raise ConfigError("invalid GenerationRequest: " + "; ".join(problems))


@dataclass(frozen=True)
class Sample:
    """One sampled continuation."""

    text: str
    """The continuation, without the prompt, the end-of-sequence token or the stop string."""
    n_tokens: int
    """Tokens the model generated (those that spelled the stop string included, EOS excluded)."""
    finish_reason: FinishReason
    """Why it ended."""
    n_prompt_tokens: int
    """Tokens in the prompt, as the engine tokenized it."""


@runtime_checkable
class Generator(Protocol):
    """A generation engine: one batched ``generate``; everything else is optional.

    Engines may also have ``identity`` (model and engine, for caching) and ``close()``.
    """

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """One list per request, in order, with exactly ``request.n`` samples."""
        ...


@runtime_checkable
class ScoresContinuations(Protocol):
    """An engine that also reads log-probabilities: teacher-forced ``log p(continuation | prompt)``.

    Optional (``hf`` and ``llamacpp`` have it). The prompt is tokenized as a prompt, each
    continuation on its own (no BOS, special tokens parsed) and appended to it, so two
    continuations are compared on the same prompt tokens.
    """

    def continuation_logprobs(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """The summed log-probability of each continuation's tokens after ``prompt``, in order."""
        ...


def sample_seed(request: GenerationRequest, j: int) -> int | None:
    """The seed of sample ``j``: ``request.seed + j`` (None stays None).

    >>> sample_seed(GenerationRequest("x", n=3, seed=10), 2)
    12
    """
    return None if request.seed is None else request.seed + j


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the earliest stop string, and whether one was found.

    >>> cut_at_stop("a = 1\\n\\nb = 2", ["\\n\\n", "b"])
    ('a = 1', True)
    """
    hits = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[: min(hits)], True) if hits else (text, False)


def check_samples(requests: Sequence[GenerationRequest], out: list[list[Sample]]) -> list[list[Sample]]:
    """Assert one list per request with exactly ``n`` samples at the backend boundary."""
    if len(out) != len(requests):
        raise AssertionError(f"generator returned {len(out)} lists for {len(requests)} requests")
    for i, (req, samples) in enumerate(zip(requests, out, strict=True)):
        if len(samples) != req.n:
            raise AssertionError(f"request {i}: generator returned {len(samples)} samples, n={req.n}")
    return out
