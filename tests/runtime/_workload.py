"""Neutral clients of the runtime for its tests: an RL-style group, a greedy step search, a bisection.

None of them is a labeller; they are what a rollout loop and a search algorithm look like as plans.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from _scripted import exact_grader
from _tables import scripted_tasks

from prmkit.generation import Problem, Sampling
from prmkit.runtime import Plan, Probe, RolloutStore, Runner, RunStats, Usage, run_plans
from prmkit.steps import parse_solution


def scripted_problems(n: int, seed: int) -> tuple[list[Problem], dict[str, tuple[str, ...]], dict]:
    """Problems, the written steps of each (for the bisection), and the scripted policy's table."""
    tasks, table = scripted_tasks(n, seed=seed, monotone=False)
    problems = [Problem(t.id, t.solution.problem, t.reference) for t in tasks]
    return problems, {t.id: t.solution.steps for t in tasks}, table


def group(problem: Problem) -> Plan[list[float]]:
    """An RL rollout: six samples from the question, their rewards."""
    (rollouts,) = yield [Probe((), 0, 6)]
    return [float(r.correct) for r in rollouts]


def greedy(problem: Problem) -> Plan[list[str]]:
    """A step-level search: three times, keep the first step of the best of four continuations."""
    prefix: tuple[str, ...] = ()
    for _ in range(3):
        (rollouts,) = yield [Probe(prefix, 0, 4)]
        best = max(rollouts, key=lambda r: (r.correct, -r.n_tokens, -r.index))
        prefix = (*prefix, parse_solution(best.text).steps[0])
    return list(prefix)


def bisect(steps_by_id: dict[str, tuple[str, ...]]) -> Callable[[Problem], Plan[int]]:
    """Plans that bisect a problem's written steps for the first prefix no rollout finishes.

    Each probe draws a wave of two and, only if both fail, six more: an adaptive, multi-round plan.
    """

    def plan(problem: Problem) -> Plan[int]:
        steps = steps_by_id[problem.id]
        lo, hi = 0, len(steps)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            (got,) = yield [Probe(steps[:mid], 0, 2)]
            if not any(r.correct for r in got):
                (more,) = yield [Probe(steps[:mid], 2, 6)]
                got = got + more
            lo, hi = (mid, hi) if any(r.correct for r in got) else (lo, mid)
        return hi - 1

    plan.__name__ = "bisect"
    return plan


def run(
    problems: list[Problem],
    plan: Any,
    runner: Runner,
    directory: str | os.PathLike[str],
    *,
    seed: int = 0,
    max_active: int = 64,
) -> tuple[dict[str, Any], RunStats, RolloutStore]:
    """Run ``plan`` on ``problems`` with its results recorded as JSON; returns every stored result."""
    store = RolloutStore(directory, fingerprint={"plan": getattr(plan, "__name__", "plan"), "seed": seed})
    finished: list[str] = []

    def on_finish(problem: Problem, value: Any, usage: Usage) -> None:
        store.add_result(problem.id, [{"value": value, "rollouts": usage.rollouts, "tokens": usage.tokens}])
        finished.append(problem.id)

    try:
        stats = run_plans(problems, plan, runner, store, on_finish=on_finish, grader=exact_grader,
                          sampling=Sampling(), seed=seed, max_active=max_active)
    finally:
        store.close()
    results = {p.id: store.result(p.id) for p in problems}
    return results, stats, store
