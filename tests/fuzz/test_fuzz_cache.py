"""The step-score cache export under fuzzed solutions and scores: any text (lone surrogates included) and
any float (inf, huge, subnormal; NaN is never stored) is written without a crash and reads back as the
cache's own rows."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

import _fuzz_strategies as fs
from _fuzz_loaders import _same
from hypothesis import given
from hypothesis import strategies as st

from prmkit.data import read_jsonl
from prmkit.scoring.cache import CachedScorer, ScoreCache
from prmkit.types import Solution, StepScores

SCORES = st.floats(allow_nan=True, allow_infinity=True)


class Table:
    """Scores looked up by solution: whatever the test drew for it."""

    identity = "table-v1"

    def __init__(self, table: dict[tuple[str, tuple[str, ...]], tuple[float, ...]]) -> None:
        self.table = table

    def score(self, sols: Sequence[Solution]) -> list[StepScores]:
        return [StepScores(self.table[(s.problem, s.steps)], tokens=len(s.steps)) for s in sols]


@fs.fuzz_settings(suite=30, long=2_000)
@given(st.lists(st.tuples(fs.TEXT, st.lists(fs.TEXT, min_size=1, max_size=3).map(tuple)), min_size=1,
                max_size=5, unique=True), st.data())
def test_export_of_any_scores_reads_back_as_the_cache_rows(sols: list[tuple[str, tuple[str, ...]]],
                                                           data: st.DataObject) -> None:
    table = {s: tuple(data.draw(st.lists(SCORES, min_size=len(s[1]), max_size=len(s[1])))) for s in sols}
    with tempfile.TemporaryDirectory() as tmp:
        cache = ScoreCache(Path(tmp) / "scores.sqlite")
        prm = CachedScorer(Table(table), cache)
        got = prm.score([Solution(p, steps) for p, steps in sols])
        assert _same([r.scores for r in got], [table[s] for s in sols])  # type: ignore[union-attr]
        n = cache.export(Path(tmp) / "export.jsonl")
        rows = [obj for _, obj in read_jsonl(Path(tmp) / "export.jsonl")]
        assert n == len(rows) == cache.stats().entries
        assert _same(rows, list(cache.rows()))
        given_scores = {v for scores in table.values() for v in scores}
        assert all(r["score"] in given_scores and not math.isnan(r["score"]) for r in rows)
        cache.close()
