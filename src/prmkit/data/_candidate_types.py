"""The values of a candidate set: problems x N sampled solutions (see :mod:`prmkit.data.candidates`)."""

from __future__ import annotations

from dataclasses import dataclass

from prmkit.answers import Answer, NoAnswer

__all__ = ["Candidate", "CandidateProblem", "CandidateSet"]


@dataclass(frozen=True)
class Candidate:
    """One sampled solution of a problem."""

    steps: tuple[str, ...]
    answer: Answer | NoAnswer
    correct: bool | None = None
    """From the file; None = to be graded against the problem's reference."""
    step_scores: tuple[float, ...] | None = None
    """One score per step, or a single outcome score; None = not scored."""
    policy_tokens: int | None = None
    verifier_tokens: int | None = None
    score_failure: str | None = None
    """Why scoring this candidate failed (a :class:`~prmkit.types.ScoreFailure` reason)."""
    step_labels: tuple[float | None, ...] | None = None
    """One label per step (1 good, 0 bad, a fraction for a soft label, None unknown); None = unlabelled."""


@dataclass(frozen=True)
class CandidateProblem:
    """A problem and its N candidates, in sampling order."""

    id: str
    problem: str
    candidates: tuple[Candidate, ...]
    reference: str | None = None


@dataclass(frozen=True)
class CandidateSet:
    """Problems x candidates. ``source`` names where it came from."""

    problems: tuple[CandidateProblem, ...]
    source: str = ""

    @property
    def n_range(self) -> tuple[int, int]:
        """Smallest and largest number of candidates per problem."""
        sizes = [len(p.candidates) for p in self.problems] or [0]
        return min(sizes), max(sizes)
