"""Value-guided block search (VGS, C10): beam search over blocks of tokens instead of steps.

No step delimiter is needed: each kept prefix samples ``width`` continuations
of ``block`` tokens, the PRM scores each prefix (its paragraphs as steps; the
default aggregation reads the last one, the value at the prefix's last
token), and the best ``n // width`` survive. Independent repetitions are run
as separate searches (DVTS-style) by the caller. The final answer is the
PRM-weighted vote over the finished solutions (the card's choice), computed by
:func:`prmkit.search.compare.selections` from the candidates; the method's own
choice is the best-scored one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prmkit.runtime import Plan
from prmkit.search.beam import spread
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Node, Tree, check_width, ranked
from prmkit.types import Problem

__all__ = ["BlockSearch"]


@dataclass(frozen=True)
class BlockSearch:
    """Beam search over token blocks (value-guided search)."""

    n: int = 8
    width: int = 2
    """Continuations per kept prefix (the card's ``beam2``)."""
    block: int = 64
    """Tokens per block (the card: 4096 for long chains of thought; GSM8K solutions are ~200 tokens)."""
    iterations: int = 16
    agg: str = "last"

    def __post_init__(self) -> None:
        check_width(self.n, self.width)

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        blk = replace(context.sampling, max_tokens=self.block)
        beams: list[Node] = [tree.root]
        finished: list[Node] = []
        for it in range(self.iterations):
            last = it == self.iterations - 1
            groups = yield from tree.extend(beams, spread(self.n, len(beams)), None if last else blk,
                                            partial_ok=not last)
            cands = [c for g in groups for c in g]
            yield from tree.score(cands)
            finished.extend(c for c in cands if c.done)
            live = [c for c in cands if not c.done]
            beams = ranked(live)[: self.n // self.width]
            for c in live:
                c.status = "kept" if c in beams else "pruned"
            if not beams:
                break
        return outcome(tree, finished)
