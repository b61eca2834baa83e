"""The one shape every scoring engine has, and the checks made on what it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

__all__ = ["Scorer", "ScorerInfo", "check_batch", "check_scores", "scorer_info", "validate_solution"]


@runtime_checkable
class Scorer(Protocol):
    """A PRM engine: a batched ``score``. Everything else is optional.

    ``identity`` names the PRM for caching: spec fingerprint plus a hash of the
    weights, so two scorers with the same identity give the same scores.

    The one optional member is ``info``, a :class:`ScorerInfo`; read it with
    :func:`scorer_info`, which gives a scorer without one the defaults.
    """

    @property
    def identity(self) -> str: ...

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order: :class:`StepScores` with exactly one
        score per step, or a :class:`ScoreFailure` for that solution alone."""
        ...


@dataclass(frozen=True)
class ScorerInfo:
    """What a scorer declares about itself beyond ``score``.

    >>> ScorerInfo("lengths-v1")
    ScorerInfo(identity='lengths-v1', threshold=None, causal=True, members=())
    """

    identity: str
    """The scorer's ``identity``."""
    threshold: float | None = None
    """The decision threshold its scores are meant to be read at (a step below it is predicted wrong);
    ``None``: it has none of its own (a 0/1 verifier, which any threshold in (0, 1] reads the same)."""
    causal: bool = True
    """Whether step ``k``'s score depends only on the problem and steps ``0..k`` (what the cache keys on)."""
    members: tuple[Scorer, ...] = ()
    """The scorers it combines (a :class:`~prmkit.scoring.combine.Combined`); none for a single PRM."""


def scorer_info(scorer: Scorer) -> ScorerInfo:
    """``scorer.info`` where the scorer declares one, else the defaults for its ``identity``.

    >>> class Lengths:
    ...     identity = "lengths-v1"
    ...     def score(self, solutions): ...
    >>> scorer_info(Lengths()).causal
    True
    """
    info = getattr(scorer, "info", None)
    return info if isinstance(info, ScorerInfo) else ScorerInfo(scorer.identity)


def validate_solution(sol: Solution, reserved: Sequence[str] = ()) -> ScoreFailure | None:
    """The failures every backend reports the same way: no steps, an empty step, reserved text."""
    if not sol.steps:
        return ScoreFailure("empty_solution", "solution has no steps", sol.id)
    for i, step in enumerate(sol.steps):
        if not step.strip():
            return ScoreFailure("empty_step", f"step {i} is empty", sol.id)
        for r in reserved:
            if r and r in step:
                return ScoreFailure("reserved_text", f"step {i} contains the marker {r!r}", sol.id)
    return None


def check_scores(sol: Solution, result: ScoreResult) -> ScoreResult:
    """Assert one score per step at the backend boundary."""
    if isinstance(result, StepScores) and len(result.scores) != sol.n_steps:
        raise AssertionError(
            f"scorer returned {len(result.scores)} scores for {sol.n_steps} steps (solution {sol.id!r})"
        )
    return result


def check_batch(
    solutions: Sequence[Solution], results: Sequence[ScoreResult], scorer: str = "scorer"
) -> list[ScoreResult]:
    """Assert one result per solution and one score per step (``scorer`` names the scorer in the error).

    >>> check_batch([Solution("?", ("a", "b"))], [StepScores((1.0,))])
    Traceback (most recent call last):
    ...
    AssertionError: scorer returned 1 scores for 2 steps (solution None)
    """
    if len(results) != len(solutions):
        raise AssertionError(f"{scorer} returned {len(results)} results for {len(solutions)} solutions")
    return [check_scores(s, r) for s, r in zip(solutions, results, strict=True)]
