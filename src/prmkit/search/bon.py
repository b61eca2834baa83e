"""Best-of-N generation: sample N whole solutions, score each with the PRM, keep the best.

The pool is nested: the solutions are rollouts ``0..N-1`` of the empty prefix,
so the pool of N = 4 is the first four of the pool of N = 8 drawn with the same
seed, and every selector (majority vote, PRM-weighted vote, best-of-N) is read
off one shared pool (:func:`prmkit.search.compare.selections`).
"""

from __future__ import annotations

from dataclasses import dataclass

from prmkit.errors import ConfigError
from prmkit.runtime import Plan
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Tree
from prmkit.types import Problem

__all__ = ["BestOfN"]


@dataclass(frozen=True)
class BestOfN:
    """Sample ``n`` solutions, score them, choose by the aggregated score (``agg``).

    >>> BestOfN(n=4).n
    4
    """

    n: int = 8
    """Solutions sampled."""
    agg: str = "last"
    """How a solution's step scores become its score (:mod:`prmkit.search.aggregate`)."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got {self.n}")

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        (children,) = yield from tree.extend([tree.root], [self.n], None)
        yield from tree.score(children)
        return outcome(tree, children)
