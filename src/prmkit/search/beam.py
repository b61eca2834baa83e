"""Step-level beam search with lookahead (C5) and its early-rejection variant (C8).

**Beam search** keeps ``n / width`` beams. Each iteration every beam samples
``width`` next steps (the survivors are spread over ``n`` slots, so ``n``
candidates in all), each candidate is optionally extended ``lookahead`` more
steps greedily (temperature 0; the lookahead is scored, then dropped), the
PRM scores every candidate's prefix (aggregated with ``agg``, "last" by
default), candidates that finished move to the pool, duplicates are dropped
and the best ``n / width`` unfinished ones survive. The last iteration samples
to the end. The answer is the best-scored finished solution.

**Early rejection** (arXiv 2508.01969) samples each beam's ``width``
candidates for at most ``tau`` tokens, scores the partial steps, rejects all
but the best ``n / width`` and only then completes the survivors' steps. The
rejected candidates' remaining tokens are never generated; ``info`` counts
the rejected partial steps and estimates the tokens saved as, per round, the
mean completion length of that round's survivors times the rejected partial
candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from prmkit.errors import ConfigError
from prmkit.generation import Sampling
from prmkit.runtime import Plan
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Node, Sub, Tree, check_width, ranked, step_sampling
from prmkit.types import Problem

__all__ = ["BeamSearch", "EarlyRejection", "spread"]


def spread(n: int, parents: int) -> list[int]:
    """``n`` slots over ``parents`` beams as evenly as possible, the first beams taking the extra.

    >>> spread(8, 3)
    [3, 3, 2]
    """
    return [n // parents + (i < n % parents) for i in range(parents)]


@dataclass(frozen=True)
class BeamSearch:
    """Step-level beam search: ``n`` candidates per iteration, ``n // width`` beams kept (C5 defaults)."""

    n: int = 8
    width: int = 4
    """Candidates per kept beam (``beam_width`` M)."""
    iterations: int = 40
    """Most steps; the last one samples to the end."""
    lookahead: int = 0
    """Greedy steps scored past each candidate (then dropped)."""
    step_tokens: int = 256
    """Most tokens of one step."""
    agg: str = "last"
    dedup: bool = True
    """Drop candidates whose text repeats another's."""

    def __post_init__(self) -> None:
        check_width(self.n, self.width)
        if self.iterations < 1 or self.lookahead < 0:
            raise ConfigError("iterations must be >= 1 and lookahead >= 0")

    @property
    def keep(self) -> int:
        return self.n // self.width

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        step = step_sampling(context.sampling, self.step_tokens)
        greedy = step_sampling(context.sampling, self.step_tokens, temperature=0.0)
        beams: list[Node] = [tree.root]
        finished: list[Node] = []
        for it in range(self.iterations):
            last = it == self.iterations - 1
            groups = yield from tree.extend(beams, spread(self.n, len(beams)), None if last else step)
            cands = [c for g in groups for c in g]
            if self.lookahead and not last:
                yield from _score_with_lookahead(tree, cands, self.lookahead, greedy)
            else:
                yield from tree.score(cands)
            live = _survivors(tree, cands, finished, self.dedup)
            beams = ranked(live)[: self.keep]
            for c in live:
                c.status = "kept" if c in beams else "pruned"
            if not beams or len(finished) >= self.n:
                break
        return outcome(tree, finished)


def _survivors(tree: Tree, cands: list[Node], finished: list[Node], dedup: bool) -> list[Node]:
    live, seen = [], {n.text for n in finished}
    for c in cands:
        if c.done:
            finished.append(c)
        elif dedup and c.text in seen:
            c.status = "duplicate"
        else:
            live.append(c)
        seen.add(c.text)
    return live


def _score_with_lookahead(tree: Tree, cands: list[Node], depth: int, greedy: Sampling) -> Sub:
    """Score each candidate by its greedy ``depth``-step continuation (the candidate keeps its own steps)."""
    ends = list(cands)
    for _ in range(depth):
        open_ = [i for i, e in enumerate(ends) if not e.done]
        if not open_:
            break
        groups = yield from tree.extend([ends[i] for i in open_], [1] * len(open_), greedy)
        for i, (child,) in zip(open_, groups, strict=True):
            child.status = "lookahead"
            ends[i] = child
    yield from tree.score(ends)
    for c, e in zip(cands, ends, strict=True):
        if e is not c:
            c.score, c.step_scores = e.score, e.step_scores[: len(c.steps)]
            c.extra["lookahead_node"] = e.id
    yield from tree.score([c for c in cands if c.done])  # a finished candidate's own scores
    return None


@dataclass(frozen=True)
class EarlyRejection:
    """Beam search that scores candidates after ``tau`` tokens of a step and completes only the best."""

    n: int = 8
    width: int = 4
    tau: int = 64
    """Tokens of a step sampled before candidates are compared (the card: 32, 64 or 128)."""
    iterations: int = 40
    step_tokens: int = 256
    agg: str = "last"

    def __post_init__(self) -> None:
        check_width(self.n, self.width)
        if not 0 < self.tau < self.step_tokens:
            raise ConfigError(f"need 0 < tau < step_tokens, got tau={self.tau}")

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        head = step_sampling(context.sampling, self.tau)
        rest = step_sampling(context.sampling, self.step_tokens - self.tau)
        keep = self.n // self.width
        beams: list[Node] = [tree.root]
        finished: list[Node] = []
        rejected = saved = 0
        for it in range(self.iterations):
            last = it == self.iterations - 1
            groups = yield from tree.extend(beams, spread(self.n, len(beams)), None if last else head,
                                            partial_ok=not last)
            cands = [c for g in groups for c in g]
            yield from tree.score(cands)
            live = _survivors(tree, cands, finished, dedup=True)
            best = ranked(live)[:keep]
            cut = [c for c in live if c not in best]
            for c in cut:
                c.status = "rejected"
            partial = [c for c in best if c.partial]
            if partial:
                completed = yield from tree.extend(partial, [1] * len(partial), rest)
                done = [g[0] for g in completed]
                yield from tree.score(done)
                for c in partial:
                    c.status = "completed"
                mean_rest = sum(d.tokens for d in done) / len(done)
                saved += round(mean_rest * sum(1 for c in cut if c.partial))
                live = [d for d in done if not d.done] + [c for c in best if not c.partial]
                finished.extend(d for d in done if d.done)
            else:
                live = best
            rejected += len(cut)
            beams = ranked(live)
            for b in beams:
                b.status = "kept"
            if not beams or len(finished) >= self.n:
                break
        return outcome(tree, finished, rejected=rejected, tokens_saved_estimate=saved)
