"""The one shape every scoring engine has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

__all__ = ["Scorer", "check_scores", "validate_solution"]


@runtime_checkable
class Scorer(Protocol):
    """A PRM engine: a batched ``score``. Everything else is optional.

    ``identity`` names the PRM for caching: spec fingerprint plus a hash of the
    weights, so two scorers with the same identity give the same scores.
    """

    @property
    def identity(self) -> str: ...

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order: :class:`StepScores` with exactly one
        score per step, or a :class:`ScoreFailure` for that solution alone."""
        ...


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
