r"""Best-of-N by pairwise judgement: a knockout bracket or Elo ratings (RRM: Reward Reasoning Model).

Both selectors take a :class:`~prmkit.search.pairwise.PairwiseJudge`, the
problem and its N candidate solutions, and return a :class:`Tournament`: the
chosen index and the record (every comparison with its raw judge texts,
failures, ties and the judge's generated tokens).

``knockout`` — single elimination. Round 1's bracket is a seeded permutation
of the candidates; neighbours meet, winners advance in bracket order. With an
odd number left, the last one in the bracket gets a *bye* and goes to the
**front** of the next round, so byes rotate. Exactly N − 1 comparisons, one
``generate`` call per round (⌈log₂ N⌉ rounds).

``elo`` — all pairs (round robin), or with ``opponents=k`` each candidate meets
k seeded random others (pairs deduplicated). Every comparison is made in one
``generate`` call, then ratings (start 1000, K = ``k_factor``) are updated
sequentially in a seeded permutation of the comparisons; this is sequential
Elo, not a Bradley–Terry fit, so the order matters and is fixed by the seed.
A ``win`` scores 1/0, a ``tie`` (the two orders disagree) 0.5/0.5; a ``failed``
comparison carries no information and is skipped. The highest rating wins.

**Tie-break** (a knockout tie or failure, equal Elo ratings): the higher PRM
score if ``scores`` are given (``nan`` ranks lowest), else — or if those are
equal too — the lower index.

>>> from prmkit.search.pairwise import PairwiseJudge
>>> judge = PairwiseJudge(generator)  # doctest: +SKIP
>>> knockout(judge, "1+1?", ["2", "3", "11"], seed=0).index  # doctest: +SKIP
0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from prmkit.errors import ConfigError
from prmkit.search.pairwise import Comparison

__all__ = ["Comparer", "Tournament", "elo", "knockout", "prefer"]


class Comparer(Protocol):
    """What a tournament asks of its judge: a :class:`~prmkit.search.pairwise.PairwiseJudge`, or a table of verdicts already made."""

    def compare(
        self, problem: str, solutions: Sequence[str], pairs: Sequence[tuple[int, int]]
    ) -> list[Comparison]: ...


@dataclass(frozen=True)
class Tournament:
    """A pairwise selection: the chosen candidate and how it was chosen."""

    index: int
    rounds: tuple[tuple[Comparison, ...], ...]
    """Comparisons per round (knockout: bracket rounds; elo: one round)."""
    byes: tuple[int | None, ...] = ()
    """Knockout: the candidate with a bye in each round, or None."""
    bracket: tuple[int, ...] = ()
    """Knockout: round 1's seeded order of candidates."""
    ratings: tuple[float, ...] | None = None
    """Elo: final rating per candidate."""

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(c for r in self.rounds for c in r)

    @property
    def n_failures(self) -> int:
        """Comparisons with a malformed or missing verdict (their raw texts are in ``comparisons``)."""
        return sum(c.outcome == "failed" for c in self.comparisons)

    @property
    def n_ties(self) -> int:
        return sum(c.outcome == "tie" for c in self.comparisons)

    @property
    def n_tokens(self) -> int:
        """Tokens the judge generated, all comparisons and both orders."""
        return sum(c.n_tokens for c in self.comparisons)


def prefer(i: int, j: int, scores: Sequence[float] | None) -> int:
    """The tie-break between ``i`` and ``j``: higher score (nan lowest), then lower index.

    >>> prefer(3, 1, None), prefer(3, 1, [0, 0.2, 0, 0.9]), prefer(3, 1, [0, 0.5, 0, float("nan")])
    (1, 3, 1)
    """
    if scores is not None:
        si, sj = (-math.inf if math.isnan(scores[k]) else scores[k] for k in (i, j))
        if si != sj:
            return i if si > sj else j
    return min(i, j)


def _check(solutions: Sequence[str], scores: Sequence[float] | None) -> None:
    if not solutions:
        raise ConfigError("a tournament needs at least one candidate solution")
    if scores is not None and len(scores) != len(solutions):
        raise ConfigError(f"{len(scores)} scores for {len(solutions)} solutions")


def knockout(
    judge: Comparer,
    problem: str,
    solutions: Sequence[str],
    scores: Sequence[float] | None = None,
    *,
    seed: int = 0,
) -> Tournament:
    """Single elimination over ``solutions``; ``seed`` draws round 1's bracket."""
    _check(solutions, scores)
    bracket = tuple(int(k) for k in np.random.default_rng(seed).permutation(len(solutions)))
    alive = list(bracket)
    rounds: list[tuple[Comparison, ...]] = []
    byes: list[int | None] = []
    while len(alive) > 1:
        bye = alive.pop() if len(alive) % 2 else None
        pairs = [(alive[p], alive[p + 1]) for p in range(0, len(alive), 2)]
        done = judge.compare(problem, solutions, pairs)
        winners = [c.winner if c.winner is not None else prefer(c.i, c.j, scores) for c in done]
        alive = ([bye] if bye is not None else []) + winners
        rounds.append(tuple(done))
        byes.append(bye)
    return Tournament(alive[0], tuple(rounds), tuple(byes), bracket)


def elo_pairs(n: int, opponents: int | None, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Round robin (``opponents`` None) or k seeded random opponents each, as sorted unique pairs.

    >>> elo_pairs(3, None, np.random.default_rng(0))
    [(0, 1), (0, 2), (1, 2)]
    """
    if opponents is None or opponents >= n - 1:
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    if opponents < 1:
        raise ConfigError(f"opponents must be >= 1, got {opponents}")
    pairs = set()
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for j in rng.choice(others, size=opponents, replace=False):
            pairs.add((min(i, int(j)), max(i, int(j))))
    return sorted(pairs)


def elo(
    judge: Comparer,
    problem: str,
    solutions: Sequence[str],
    scores: Sequence[float] | None = None,
    *,
    opponents: int | None = None,
    k_factor: float = 32.0,
    seed: int = 0,
) -> Tournament:
    """Elo ratings from pairwise comparisons; the highest-rated candidate is chosen."""
    _check(solutions, scores)
    n = len(solutions)
    rng = np.random.default_rng(seed)
    done = judge.compare(problem, solutions, elo_pairs(n, opponents, rng)) if n > 1 else []
    ratings = [1000.0] * n
    for p in rng.permutation(len(done)):
        c = done[int(p)]
        if c.outcome == "failed":
            continue
        s_i = 0.5 if c.winner is None else float(c.winner == c.i)
        expect_i = 1.0 / (1.0 + 10.0 ** ((ratings[c.j] - ratings[c.i]) / 400.0))
        ratings[c.i] += k_factor * (s_i - expect_i)
        ratings[c.j] -= k_factor * (s_i - expect_i)
    top = max(ratings)
    best = [k for k in range(n) if abs(ratings[k] - top) < 1e-9]
    index = best[0]
    for k in best[1:]:
        index = prefer(index, k, scores)
    return Tournament(index, (tuple(done),), ratings=tuple(ratings))
