"""Judge selectors (``knockout``, ``elo``) in Best-of-N: every pair judged once, every subset read from the table.

Best-of-N evaluates each selector on many random subsets per N; a tournament
per subset would judge the same pairs over and over. Instead every unordered
pair of a problem's candidates is judged once, both orders
(:meth:`~prmkit.search.pairwise.PairwiseJudge.compare_many`, through the
judge's memo: a resumed run regenerates nothing it has judged), and each
subset's tournament is then answered from that table. A comparison depends
only on the two candidates' content, so the table answer is exactly what a
tournament with the judge itself would get; the judge tokens reported for a
subset are those its tournament's comparisons cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from prmkit.data.candidates import CandidateSet
from prmkit.errors import ConfigError
from prmkit.search import batched as core
from prmkit.search.pairwise import Comparison, PairwiseJudge
from prmkit.search.tournament import elo, knockout

__all__ = ["BonJudge", "Table", "judge_tables", "run_judged", "subset_seeds"]

Table = dict[tuple[int, int], Comparison]
"""``(i, j)`` -> the comparison of candidates i and j (both orientations stored)."""


@dataclass
class BonJudge:
    """The pairwise judge of a Best-of-N run and how much it may judge."""

    judge: PairwiseJudge
    max_n: int = 16
    """Most candidates per problem: C(max_n, 2) pairs, two generations each, are judged per problem."""
    chunk: int = 64
    """Requests per ``generate`` call (and per memo write)."""


def _reverse(c: Comparison) -> Comparison:
    return Comparison(
        c.j, c.i, c.outcome, c.winner, c.verdicts[::-1], c.raw[::-1], c.errors[::-1], c.n_tokens
    )


def judge_tables(bj: BonJudge, cset: CandidateSet) -> list[Table]:
    """Every pair of every problem's candidates, judged (or read from the memo)."""
    big = [(p.id, len(p.candidates)) for p in cset.problems if len(p.candidates) > bj.max_n]
    if big:
        pid, n = big[0]
        raise ConfigError(
            f"judge selectors judge every pair of a problem's candidates; problem {pid!r} has {n} "
            f"({len(big)} problems over the cap), more than the cap max_n={bj.max_n} "
            f"(raise it: C(n, 2) x 2 judge generations per problem)"
        )
    items = []
    for p in cset.problems:
        n = len(p.candidates)
        solutions = ["\n\n".join(c.steps) for c in p.candidates]
        items.append((p.problem, solutions, [(i, j) for i in range(n) for j in range(i + 1, n)]))
    out = []
    for comps in bj.judge.compare_many(items, chunk=bj.chunk):
        table: Table = {}
        for c in comps:
            table[(c.i, c.j)] = c
            table[(c.j, c.i)] = _reverse(c)
        out.append(table)
    return out


class _TableJudge:
    """A tournament's judge over a subset ``idx`` of the candidates, answered from a table."""

    def __init__(self, table: Table, idx: Sequence[int]) -> None:
        self.table, self.idx = table, idx

    def compare(
        self, problem: str, solutions: Sequence[str], pairs: Sequence[tuple[int, int]]
    ) -> list[Comparison]:
        out = []
        for i, j in pairs:
            c = self.table[(self.idx[i], self.idx[j])]
            winner = None if c.winner is None else (i if c.winner == c.i else j)
            out.append(Comparison(i, j, c.outcome, winner, c.verdicts, c.raw, c.errors, c.n_tokens))
        return out


def subset_seeds(seed: int, problem: int, n: int, count: int) -> list[int]:
    """The tournament seed (knockout bracket, Elo update order) of each subset of one problem at one N."""
    rng = np.random.default_rng([seed, problem, n, 1])
    return [int(s) for s in rng.integers(0, 2**31, size=count)]


def run_judged(
    kind: str,
    table: Table,
    masks: core.BoolA,
    scores: core.FloatA | None,
    seeds: Sequence[int],
) -> tuple[core.IntA, core.FloatA]:
    """Chosen candidate and judge tokens of each subset's tournament (``scores`` break ties)."""
    run = {"knockout": knockout, "elo": elo}[kind]
    chosen = np.empty(masks.shape[0], dtype=np.int64)
    tokens = np.empty(masks.shape[0], dtype=np.float64)
    for r in range(masks.shape[0]):
        idx = [int(k) for k in np.flatnonzero(masks[r])]
        sc = None if scores is None else [float(scores[k]) for k in idx]
        t = run(_TableJudge(table, idx), "", [""] * len(idx), sc, seed=seeds[r])
        chosen[r] = idx[t.index]
        tokens[r] = t.n_tokens
    return chosen, tokens
