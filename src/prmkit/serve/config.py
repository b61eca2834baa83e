"""Settings of ``prmkit serve``: the PRM, where to listen, who may call, how requests are batched and bounded.

>>> cfg = ServeConfig(scorer=ScorerConfig(prm="arith"), no_auth=True)
>>> cfg.port, cfg.max_wait_ms, cfg.max_queue
(8000, 5.0, 256)
>>> ServeConfig(max_queue=0, max_solution_steps=0)
Traceback (most recent call last):
...
prmkit.errors.ConfigError: max_queue must be >= 1, got 0; max_solution_steps must be >= 1, got 0
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.scoring.config import ScorerConfig

__all__ = ["KEYS_ENV", "ServeConfig", "read_keys"]

KEYS_ENV = "PRMKIT_API_KEYS"
"""The environment variable the server reads API keys from when no keys file is given (comma-separated)."""


@dataclass(frozen=True)
class ServeConfig:
    """A step-reward server: one PRM behind ``POST /v1/score`` and ``POST /v1/rewards``."""

    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM served."""
    host: str = "127.0.0.1"
    """Address to listen on (``0.0.0.0``: every interface)."""
    port: int = 8000
    """TCP port to listen on (0: any free port)."""
    keys_file: str | None = field(default=None, metadata=option(group="auth"))
    """File of API keys, one per line (``#`` starts a comment); unset: the keys in ``$PRMKIT_API_KEYS``."""
    no_auth: bool = field(default=False, metadata=option(group="auth"))
    """Serve without API keys (for a loopback-only server)."""
    max_wait_ms: float = 5.0
    """Longest time a request waits for others to join its batch, in milliseconds."""
    max_batch_solutions: int = 64
    """Most solutions in one scoring call; a request larger than this is a batch of its own."""
    max_batch_chars: int = 200_000
    """Most characters (problem plus steps, summed over solutions) in one scoring call: the token budget,
    counted before tokenisation."""
    max_queue: int = 256
    """Most requests waiting for a batch; one more is answered 429 at once."""
    max_body_bytes: int = 1_000_000
    """Largest request body in bytes (larger: 413)."""
    max_solutions: int = 64
    """Most solutions in one request (more: 422)."""
    max_solution_steps: int = 100
    """Most steps in one solution (more: 422)."""
    max_step_chars: int = 8_000
    """Most characters in one step, and in the problem (more: 422)."""

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.port < 65536:
            problems.append(f"port must be in 0..65535, got {self.port}")
        if self.max_wait_ms < 0:
            problems.append(f"max_wait_ms must be >= 0, got {self.max_wait_ms}")
        for name in ("max_batch_solutions", "max_batch_chars", "max_queue", "max_body_bytes", "max_solutions",
                     "max_solution_steps", "max_step_chars"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.no_auth and self.keys_file is not None:
            problems.append("give keys_file or no_auth, not both")
        if problems:
            raise ConfigError("; ".join(problems))

    def api_keys(self) -> tuple[str, ...]:
        """The API keys: from ``keys_file``, else ``$PRMKIT_API_KEYS``; none with ``no_auth``.

        A server that needs keys and finds none is a :class:`ConfigError` (it would refuse every call).
        """
        if self.no_auth:
            return ()
        keys = read_keys(self.keys_file) if self.keys_file else _split(os.environ.get(KEYS_ENV, ""))
        if not keys:
            where = f"keys file {self.keys_file}" if self.keys_file else f"${KEYS_ENV}"
            raise ConfigError(f"no API keys in {where}; give --keys-file, set {KEYS_ENV}, or pass --no-auth")
        return keys


def read_keys(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The keys in a keys file: one per line, blank lines and ``#`` comments skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(k for k in (line.split("#", 1)[0].strip() for line in lines) if k)


def _split(value: str) -> tuple[str, ...]:
    return tuple(k for k in (part.strip() for part in value.split(",")) if k)
