"""The keys of the score cache: where it lives, the digests of a solution, what a lookup found."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from prmkit.types import Judgement, Solution, StepScores

__all__ = ["Found", "SolutionKeys", "default_cache_path", "solution_keys"]


def default_cache_path() -> Path:
    """``$PRMKIT_CACHE_DIR/scores.sqlite``, else ``~/.cache/prmkit/scores.sqlite``.

    >>> default_cache_path().name
    'scores.sqlite'
    """
    root = os.environ.get("PRMKIT_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "prmkit"
    return base / "scores.sqlite"


@dataclasses.dataclass(frozen=True)
class SolutionKeys:
    """The cache keys of one solution: the problem digest and one digest per step."""

    problem: bytes
    prefixes: tuple[bytes, ...]

    @property
    def solution(self) -> tuple[bytes, bytes]:
        """Identifies the whole solution (used to score duplicates in a batch once)."""
        return (self.problem, self.prefixes[-1] if self.prefixes else b"")


def solution_keys(sol: Solution, *, causal: bool = True) -> SolutionKeys:
    """Digests under which ``sol``'s step scores are stored (as hex in ``prmkit cache export``).

    >>> a = solution_keys(Solution("q", ("s1", "s2")))
    >>> b = solution_keys(Solution("q", ("s1", "other")))
    >>> a.prefixes[0] == b.prefixes[0], a.prefixes[1] == b.prefixes[1]
    (True, False)
    """
    problem = hashlib.blake2b(
        sol.problem.encode("utf-8", "surrogatepass"), digest_size=16, person=b"prmkit-problem"
    ).digest()
    chain, prefixes = b"", []
    for step in sol.steps:
        text = step.encode("utf-8", "surrogatepass")  # lone surrogates from JSON stay keyable
        chain = hashlib.blake2b(
            chain + len(text).to_bytes(8, "big") + text, digest_size=16, person=b"prmkit-prefix"
        ).digest()
        prefixes.append(chain)
    if not causal:
        whole = chain
        prefixes = [
            hashlib.blake2b(
                whole + k.to_bytes(8, "big"), digest_size=16, person=b"prmkit-whole"
            ).digest()
            for k in range(len(sol.steps))
        ]
    return SolutionKeys(problem, tuple(prefixes))


@dataclasses.dataclass
class Found:
    """What the cache holds for one solution: a score or ``None`` per step, the token count, and a
    generative judge's judgement where one was stored."""

    scores: list[float | None]
    tokens: int | None
    judgement: Judgement | None = None

    @property
    def complete(self) -> bool:
        return (
            bool(self.scores)
            and self.tokens is not None
            and all(s is not None for s in self.scores)
        )

    def result(self) -> StepScores:
        scores = tuple(s for s in self.scores if s is not None)
        return StepScores(scores, self.tokens or 0, judgement=self.judgement)
