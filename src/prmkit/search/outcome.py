"""What every live search returns, and what it is given besides the problem.

A search method is a frozen config with ``plan(problem, context)``: a
:mod:`prmkit.runtime` plan that returns a :class:`SearchOutcome` (the finished
candidates, the one the method chose, the tree with every node's scores and
fate, and the method's own counters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from prmkit.generation import Sampling
from prmkit.runtime import Plan
from prmkit.search.tree import Node, Tree, ranked
from prmkit.steps import stated_answer
from prmkit.types import Problem

__all__ = ["Context", "SearchMethod", "SearchOutcome", "outcome"]


@dataclass(frozen=True)
class Context:
    """What a search plan is run with besides its problem."""

    sampling: Sampling
    """The job's sampling: whole solutions are drawn with it, steps with it cut to one step."""
    seed: int = 0
    """The job seed (resampling draws derive from it and the problem id)."""
    calibration: Any = None
    """A :class:`~prmkit.search.adaptive.Calibration` (PRM score -> success probability) where the method needs one."""


@dataclass
class SearchOutcome:
    """One problem's search: its finished candidates (best first), the chosen one, the tree, counters."""

    candidates: list[Node]
    chosen: Node | None
    tree: Tree
    info: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The outcome as JSON: answer, correctness, candidates, the tree and the restart counts."""
        tree = self.tree
        cands = [
            {"node": c.id, "steps": list(c.steps), "answer": _answer(c), "correct": c.correct, "tokens": c.tokens,
             "score": None if math.isnan(c.score) else c.score, "step_scores": list(c.step_scores)}
            for c in self.candidates
        ]
        chosen = self.chosen
        return {
            "answer": None if chosen is None else _answer(chosen),
            "correct": bool(chosen is not None and chosen.correct),
            "chosen": None if chosen is None else chosen.id,
            "candidates": cands,
            "continuations": tree.continuations,
            "restarts": tree.restarts,
            "info": self.info,
            "tree": tree.records(),
        }


def _answer(node: Node) -> str | None:
    return stated_answer(node.steps[-1]) if node.steps else None


def outcome(tree: Tree, finished: list[Node], **info: Any) -> SearchOutcome:
    """Rank the finished candidates by score, choose the best, mark their status in the tree."""
    cands = ranked(finished)
    for c in cands:
        c.status = "final"
    return SearchOutcome(cands, cands[0] if cands else None, tree, dict(info))


class SearchMethod(Protocol):
    """A search algorithm's config: a plan per problem (see :mod:`prmkit.search.outcome`)."""

    n: int

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]: ...
