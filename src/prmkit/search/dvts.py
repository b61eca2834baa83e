"""Searches that grow independent paths by best-of-k per step: DVTS (C6), greedy step search (C7), PATS (C11).

**DVTS** splits the budget into ``n // width`` independent subtrees. Each keeps
one prefix; per iteration it samples ``width`` next steps, scores them and
appends the best; subtrees never compare with or share beams with one another.
A subtree ends when its chosen step finishes the solution; its finished
candidates of that last iteration join the pool. The answer is the
best-scored finished solution.

**Greedy step search** is one such path with ``n`` candidates per step (the
"best-of-k per step" of the Lessons paper); with ``retry_below`` it
backtracks like HGS-PRM: a best candidate scoring below it is discarded and
the step resampled, at most ``retries`` times.

**PATS** switches the candidates per step between modes (8, 4, 2): after a
step scoring >= 0.85 it moves to the next cheaper mode, below 0.75 back to 8;
a best candidate below 0.4 is rejected once (resampled in mode 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from prmkit.runtime import Plan
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Node, Tree, check_width, ranked, step_sampling
from prmkit.types import Problem

__all__ = ["DVTS", "PATS", "Greedy"]


@dataclass(frozen=True)
class DVTS:
    """Diverse verifier tree search: ``n // width`` independent greedy subtrees (C6 defaults)."""

    n: int = 8
    width: int = 4
    iterations: int = 40
    step_tokens: int = 256
    agg: str = "last"

    def __post_init__(self) -> None:
        check_width(self.n, self.width)

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        step = step_sampling(context.sampling, self.step_tokens)
        heads = [tree.root] * (self.n // self.width)
        finished: list[Node] = []
        live = list(range(len(heads)))
        for it in range(self.iterations):
            last = it == self.iterations - 1
            groups = yield from tree.extend([heads[s] for s in live], [self.width] * len(live),
                                            None if last else step)
            yield from tree.score([c for g in groups for c in g])
            still = []
            for s, g in zip(live, groups, strict=True):
                for c in g:
                    c.extra["subtree"] = s
                best = ranked(g)[0]
                for c in g:
                    c.status = "kept" if c is best else "pruned"
                if best.done:
                    finished.extend(c for c in g if c.done)
                else:
                    heads[s] = best
                    still.append(s)
            live = still
            if not live:
                break
        return outcome(tree, finished)


@dataclass(frozen=True)
class Greedy:
    """One path, best of ``n`` candidates per step; optional HGS-style resampling of weak steps."""

    n: int = 8
    iterations: int = 40
    step_tokens: int = 256
    agg: str = "last"
    retry_below: float | None = None
    """Resample a step whose best candidate scores below this (None: never)."""
    retries: int = 2
    """Most resamplings of one step."""

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        step = step_sampling(context.sampling, self.step_tokens)
        head, resampled = tree.root, 0
        for it in range(self.iterations):
            last = it == self.iterations - 1
            for attempt in range(self.retries + 1):
                (g,) = yield from tree.extend([head], [self.n], None if last else step)
                yield from tree.score(g)
                best = ranked(g)[0]
                weak = self.retry_below is not None and best.score < self.retry_below
                if not weak or attempt == self.retries or last:
                    break
                for c in g:
                    c.status = "resampled"
                resampled += 1
            for c in g:
                c.status = "kept" if c is best else "pruned"
            if best.done:
                return outcome(tree, [c for c in g if c.done], resampled=resampled)
            head = best
        return outcome(tree, [], resampled=resampled)


@dataclass(frozen=True)
class PATS:
    """Process-level adaptive thinking-mode switching (C11 defaults)."""

    modes: tuple[int, ...] = (8, 4, 2)
    """Candidates per step in each mode (0: complex ... 2: simple)."""
    valid: float = 0.75
    up: float = 0.85
    bad: float = 0.4
    penalty_times: int = 1
    iterations: int = 35
    step_tokens: int = 1024
    agg: str = "last"

    @property
    def n(self) -> int:
        return self.modes[0]

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        step = step_sampling(context.sampling, self.step_tokens)
        head, mode, penalties, used_modes = tree.root, 0, 0, []
        for it in range(self.iterations):
            last = it == self.iterations - 1
            (g,) = yield from tree.extend([head], [self.modes[mode]], None if last else step)
            yield from tree.score(g)
            used_modes.append(mode)
            ok = [c for c in g if c.score >= self.valid]
            best = ranked(ok or g)[0]
            if best.score < self.bad and penalties < self.penalty_times and not last:
                penalties += 1
                for c in g:
                    c.status = "rejected"
                mode = 0
                continue
            penalties = 0
            for c in g:
                c.status = "kept" if c is best else "pruned"
            if best.done:
                return outcome(tree, [c for c in g if c.done], modes=used_modes)
            if best.score >= self.up:
                mode = min(mode + 1, len(self.modes) - 1)
            elif best.score < self.valid:
                mode = 0
            head = best
        return outcome(tree, [], modes=used_modes)
