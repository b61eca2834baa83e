"""OmegaPRM's tree search: a rollout pool, Q + U selection, binary search on the selected rollout.

Starting from the question alone, the search keeps a tree of states (solution
prefixes) with their Monte Carlo values and rollouts. A pool holds every wrong
rollout of a state with 0 < MC < 1. Each search step pops the rollout with the
highest

    Q(s, r) + U(s),   Q(s, r) = alpha^(1 - MC(s)) * beta^(len(r) / L),
                      U(s) = c_puct * sqrt(sum_i N(s_i)) / (1 + N(s)),

increments N(s), and binary-searches the selected rollout's steps for its
first bad prefix; every probed prefix becomes a state (its own wrong rollouts
join the pool when 0 < MC < 1). A popped rollout never returns to the pool,
so the search cannot re-select an exhausted rollout. It stops after
``search_limit`` selections or when the pool is empty.

Each search yields one record: the path from the question to the first bad
prefix, cut into segments at the states on it (OmegaPRM's flexible step
length), each segment labelled with the MC value of the state it ends in.

>>> round(rollout_value(0.75, 250, alpha=0.5, beta=0.9, length_scale=500), 3)
0.798
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from prmkit.errors import ConfigError
from prmkit.labeling._types import LabelOutcome, LabelTask, Method, Plan
from prmkit.runtime import Probe, Rollout
from prmkit.steps import join_steps, parse_solution
from prmkit.types import StepwiseExample

__all__ = ["TreeSearch", "rollout_value"]


def rollout_value(mc: float, length: int, *, alpha: float, beta: float, length_scale: float) -> float:
    """OmegaPRM's Q(s, r) = alpha^(1 - MC(s)) * beta^(len(r) / L)."""
    return float(alpha ** (1.0 - mc) * beta ** (length / length_scale))


@dataclass
class _State:
    steps: tuple[str, ...]
    mc: float
    rollouts: list[Rollout]
    visits: int = 0


@dataclass(frozen=True)
class TreeSearch:
    """OmegaPRM tree search per question (D2 in the method cards); defaults are the paper's."""

    k: int = 8
    """Rollouts per state for its MC estimate."""
    alpha: float = 0.5
    """Q's base for 1 - MC(s): favours wrong rollouts from states that look correct."""
    beta: float = 0.9
    """Q's base for len(r) / L: favours short rollouts."""
    length_scale: int = 500
    """L, in tokens."""
    c_puct: float = 0.125
    """Exploration weight of U(s)."""
    search_limit: int = 100
    """Most selections (rollouts binary-searched) per question."""
    label: Literal["soft", "hard"] = "soft"
    """Segment labels: the state's MC value, or 1[MC > 0]."""

    method: ClassVar[Method] = "tree_search"

    def __post_init__(self) -> None:
        problems = []
        if self.k < 1:
            problems.append(f"k must be >= 1, got {self.k}")
        if not 0 < self.alpha <= 1 or not 0 < self.beta <= 1:
            problems.append(f"alpha and beta must be in (0, 1], got {self.alpha}, {self.beta}")
        if self.length_scale <= 0 or self.c_puct < 0 or self.search_limit < 0:
            problems.append("length_scale must be > 0, c_puct >= 0 and search_limit >= 0")
        if problems:
            raise ConfigError("TreeSearch: " + "; ".join(problems))

    def _q(self, s: _State, r: Rollout) -> float:
        return rollout_value(s.mc, r.n_tokens, alpha=self.alpha, beta=self.beta, length_scale=self.length_scale)

    def plan(self, task: LabelTask) -> Plan:
        """Search the question of ``task`` (its solution's steps are not used)."""
        states: dict[tuple[str, ...], _State] = {}
        pool: list[tuple[_State, Rollout]] = []

        def add_state(steps: tuple[str, ...], rollouts: list[Rollout]) -> _State:
            s = _State(steps, sum(r.correct for r in rollouts) / len(rollouts), rollouts)
            states[steps] = s
            if 0 < s.mc < 1:
                pool.extend((s, r) for r in rollouts if not r.correct and parse_solution(r.text).steps)
            return s

        (root_rollouts,) = yield [Probe((), 0, self.k)]
        add_state((), root_rollouts)
        outcomes: list[LabelOutcome] = []
        while pool and len(outcomes) < self.search_limit:
            total = sum(s.visits for s in states.values())
            best = max(
                range(len(pool)),
                key=lambda i: self._q(*pool[i]) + self.c_puct * math.sqrt(total) / (1 + pool[i][0].visits),
            )
            state, rollout = pool.pop(best)
            state.visits += 1
            path = state.steps + parse_solution(rollout.text).steps
            lo, hi = len(state.steps), len(path)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                node = states.get(path[:mid])
                if node is None:
                    (got,) = yield [Probe(path[:mid], 0, self.k)]
                    node = add_state(path[:mid], got)
                lo, hi = (mid, hi) if node.mc > 0 else (lo, mid)
            outcomes.append(self._record(task, path[:hi], states))
        return outcomes

    def _record(self, task: LabelTask, path: tuple[str, ...], states: dict[tuple[str, ...], _State]) -> LabelOutcome:
        cuts = [t for t in range(1, len(path)) if path[:t] in states] + [len(path)]
        segments, values, start = [], [], 0
        for t in cuts:
            segments.append(join_steps(path[start:t]))
            node = states.get(path[:t])
            values.append(node.mc if node is not None else 0.0)  # the path's end is its first bad prefix
            start = t
        labels = tuple(v if self.label == "soft" else float(v > 0) for v in values)
        first_error = next((i for i, v in enumerate(values) if v <= 0), -1)
        example = StepwiseExample(task.solution.problem, tuple(segments), labels)
        return LabelOutcome(example, first_error, tuple(values), {"k": self.k, "steps": len(path)})
