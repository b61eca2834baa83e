"""Run a live search over many problems: resumable, batched across problems and beams, compute counted.

:func:`run_search` runs one method's plan per problem on the job runtime
(:func:`prmkit.runtime.run_plans`): every round, each active problem's beams
go to the policy in shared batches and their prefixes to the PRM in one
scorer call. Every generation and every PRM answer is stored as it finishes,
and each problem's result is appended to ``results.jsonl`` when it is done,
so a killed run resumes without redoing a finished problem or a stored
generation, and ends with the same results. A problem the search cannot run
(its prompt does not fit, the method raises a prmkit error) is recorded as a
typed failure and the run goes on.

Each result records the compute it took: ``policy_tokens`` generated,
``prompt_tokens`` read, ``prm_tokens`` the PRM computed (an incremental scorer
counts only the tokens it had not seen), ``wall_s`` (the problem's share of
each round) and ``flops`` = 2 x parameters x tokens for the policy's generated
tokens plus the PRM's computed tokens (prompt prefill is left out: engines
with prefix caching compute it once per problem).

>>> SEARCHES.names()
['adaptive', 'beam', 'block', 'bon', 'dvts', 'early_rejection', 'greedy', 'particle', 'pats']
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prmkit._registry import Registry
from prmkit.data import content_key
from prmkit.errors import PRMKitError
from prmkit.generation import Sampling
from prmkit.runtime import Plan, RolloutStore, Runner, RunStats, Usage, run_plans
from prmkit.search.outcome import Context, SearchMethod, SearchOutcome
from prmkit.steps import Grader, grade_text, grader_name
from prmkit.types import Problem, ScoreResult, Solution

__all__ = ["SEARCHES", "SearchFailure", "SearchRun", "load_results", "run_search"]

SEARCHES: Registry[Callable[..., Any]] = Registry("search method")
"""Search method configs by name (frozen dataclasses with ``n`` and ``plan(problem, context)``)."""
SEARCHES.register("bon", "prmkit.search.bon:BestOfN")
SEARCHES.register("adaptive", "prmkit.search.adaptive:Adaptive")
SEARCHES.register("beam", "prmkit.search.beam:BeamSearch")
SEARCHES.register("early_rejection", "prmkit.search.beam:EarlyRejection")
SEARCHES.register("dvts", "prmkit.search.dvts:DVTS")
SEARCHES.register("greedy", "prmkit.search.dvts:Greedy")
SEARCHES.register("pats", "prmkit.search.dvts:PATS")
SEARCHES.register("particle", "prmkit.search.particle:ParticleFilter")
SEARCHES.register("block", "prmkit.search.block:BlockSearch")


@dataclass(frozen=True)
class SearchFailure:
    """Why one problem's search could not finish."""

    reason: str
    detail: str


@dataclass(frozen=True)
class SearchRun:
    """What :func:`run_search` did: the runtime's counts and every requested problem's record."""

    stats: RunStats
    results: list[dict[str, Any]]


def method_name(method: SearchMethod) -> str:
    for name in SEARCHES.names():
        if SEARCHES.get(name) is type(method):
            return name
    return type(method).__name__


def run_search(
    problems: Sequence[Problem],
    method: SearchMethod,
    runner: Runner,
    scorer: Any,
    directory: str | os.PathLike[str],
    *,
    sampling: Sampling,
    grader: Grader = grade_text,
    seed: int = 0,
    calibration: Any = None,
    identity: dict[str, Any] | None = None,
    policy_params: int | None = None,
    prm_params: int | None = None,
    max_active: int = 16,
    on_result: Callable[[dict[str, Any]], object] | None = None,
) -> SearchRun:
    """Search every problem of ``problems`` with ``method`` into ``directory`` (resuming what is there).

    ``scorer``: the PRM (any :class:`~prmkit.scoring.Scorer`; an incremental one saves the prefix
    work, see :func:`prmkit.scoring.incremental`). ``identity``: names of the policy and PRM for the
    job fingerprint (a rerun with other settings is refused). ``policy_params``/``prm_params``:
    parameter counts for the FLOPs estimate (None: no estimate).
    """
    name = method_name(method)
    config = dataclasses.asdict(method)  # type: ignore[call-overload]
    fingerprint = {"method": name, "config": config, "sampling": dataclasses.asdict(sampling),
                   "seed": seed, "grader": grader_name(grader), **(identity or {})}
    store = RolloutStore(directory, fingerprint=fingerprint)
    context = Context(sampling, seed, calibration)

    def plan(problem: Problem) -> Plan[SearchOutcome | SearchFailure]:
        try:
            return (yield from method.plan(problem, context))
        except PRMKitError as e:
            return SearchFailure(type(e).__name__, str(e))

    def on_finish(problem: Problem, out: SearchOutcome | SearchFailure, usage: Usage) -> None:
        forget = getattr(scorer, "forget", None)
        if callable(forget):
            forget(problem.problem)
        if isinstance(out, SearchFailure):
            store.add_failure(problem.id, out.reason, out.detail)
            return
        rec = {"id": problem.id, "reference": problem.reference, "method": name, "n": method.n,
               **out.record(), "compute": _compute(usage, policy_params, prm_params)}
        store.add_result(problem.id, [rec])
        if on_result is not None:
            on_result(rec)

    def score(solutions: Sequence[Solution]) -> list[ScoreResult]:
        return list(scorer.score(solutions))

    try:
        store.claim_tasks({p.id: content_key(dataclasses.asdict(p)) for p in problems})
        stats = run_plans(problems, plan, runner, store, on_finish=on_finish, grader=grader, sampling=sampling,
                          seed=seed, max_active=max_active, scorer=score)
        results = []
        for p in problems:
            got = store.result(p.id)
            fail = store.failure(p.id)
            results.append({"id": p.id, "failed": fail} if fail else (got or [{}])[0])
    finally:
        store.close()
    return SearchRun(stats, results)


def _compute(usage: Usage, policy_params: int | None, prm_params: int | None) -> dict[str, Any]:
    flops = None
    if policy_params is not None and prm_params is not None:
        flops = 2.0 * (policy_params * usage.tokens + prm_params * usage.scorer_tokens)
    return {"policy_tokens": usage.tokens, "prompt_tokens": usage.prompt_tokens, "rollouts": usage.rollouts,
            "prm_tokens": usage.scorer_tokens, "prm_calls": usage.scored, "wall_s": round(usage.wall_s, 3),
            "flops": flops}


def load_results(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The finished problems' records of a search directory (failed ones as ``{"id", "failed"}``)."""
    store = RolloutStore(directory, fingerprint=None)
    out = []
    for task in store.finished():
        fail = store.failure(task)
        out.append({"id": task, "failed": fail} if fail else (store.result(task) or [{}])[0])
    return out
