"""Scoring every candidate of a set with any :class:`~prmkit.scoring.Scorer` (a cached one included)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from prmkit.data.candidates import CandidateSet
from prmkit.scoring import Scorer, check_batch
from prmkit.types import ScoreFailure, Solution, StepScores

__all__ = ["score_candidates"]


def score_candidates(
    cset: CandidateSet,
    scorer: Scorer,
    *,
    batch_size: int = 32,
    progress: Callable[[int], object] | None = None,
) -> CandidateSet:
    """A copy of ``cset`` whose candidates carry the scorer's step scores and token counts.

    Scores already in the file are replaced. A candidate the scorer fails on
    keeps ``step_scores=None`` (and 0 verifier tokens) and records the reason in
    ``score_failure``; it is then "unscored" for every selector. ``progress`` gets the number of
    candidates scored after each batch.

    >>> from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
    >>> from prmkit.answers import Answer
    >>> class Len:  # a model-free scorer: 1.0 for short steps
    ...     identity = "len"
    ...     def score(self, sols):
    ...         return [StepScores(tuple(float(len(s) < 6) for s in x.steps)) for x in sols]
    >>> cs = CandidateSet((CandidateProblem("p", "?", (Candidate(("1+1=2", "so 2 it is"), Answer.of("2")),)),))
    >>> score_candidates(cs, Len()).problems[0].candidates[0].step_scores
    (1.0, 0.0)
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    where: list[tuple[int, int]] = []
    sols: list[Solution] = []
    for pi, p in enumerate(cset.problems):
        for j, c in enumerate(p.candidates):
            where.append((pi, j))
            sols.append(Solution(p.problem, c.steps, id=f"{p.id}#{j}"))
    results: dict[tuple[int, int], StepScores | ScoreFailure] = {}
    for lo in range(0, len(sols), batch_size):
        batch = sols[lo : lo + batch_size]
        out = check_batch(batch, scorer.score(batch))
        for key, res in zip(where[lo : lo + batch_size], out, strict=True):
            results[key] = res
        if progress is not None:
            progress(len(batch))

    problems = []
    for pi, p in enumerate(cset.problems):
        cands = []
        for j, c in enumerate(p.candidates):
            res = results[(pi, j)]
            if isinstance(res, StepScores):
                cands.append(
                    replace(
                        c, step_scores=res.scores, verifier_tokens=res.tokens, score_failure=None
                    )
                )
            else:
                cands.append(
                    replace(c, step_scores=None, verifier_tokens=0, score_failure=res.reason)
                )
        problems.append(replace(p, candidates=tuple(cands)))
    return replace(cset, problems=tuple(problems))
