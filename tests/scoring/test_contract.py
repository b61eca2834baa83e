"""The Scorer contract: the optional ``info`` with its defaults, the batch check, scoring a file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from prmkit.errors import DataFormatError
from prmkit.scoring import (
    ScorerInfo,
    check_batch,
    load_prm,
    read_score_inputs,
    score,
    score_file,
    scorer_info,
)
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.combine import Combined
from prmkit.types import ScoreResult, Solution, StepScores


class Short:
    """Returns one result too few, or one score too few for the last solution."""

    identity = "short"

    def __init__(self, drop: str) -> None:
        self.drop = drop

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        out: list[ScoreResult] = [StepScores((1.0,) * s.n_steps) for s in solutions]
        if self.drop == "result":
            return out[:-1]
        out[-1] = StepScores((1.0,) * (solutions[-1].n_steps - 1))
        return out


def test_a_scorer_without_info_gets_the_defaults_and_wrappers_pass_theirs_on(tmp_path: Path) -> None:
    arith = load_prm("arith")
    assert scorer_info(Short("result")) == ScorerInfo("short")
    assert scorer_info(arith) == ScorerInfo(arith.identity)  # a 0/1 verifier: no threshold of its own
    combined = Combined([arith, Short("result")])
    assert scorer_info(combined).members == (arith, combined.scorers[1])
    cached = CachedScorer(combined, tmp_path / "c.sqlite")
    assert scorer_info(cached) == scorer_info(combined)


def test_every_batch_is_checked_the_same_way(tmp_path: Path) -> None:
    sols = [Solution("p", ("a", "b")), Solution("q", ("c",))]
    for drop, message in (("result", "returned 1 results for 2 solutions"), ("score", "0 scores for 1 steps")):
        with pytest.raises(AssertionError, match=message):
            check_batch(sols, Short(drop).score(sols))
        with pytest.raises(AssertionError, match=message):
            score(Short(drop), sols)
        with pytest.raises(AssertionError, match=message):
            CachedScorer(Short(drop), tmp_path / f"{drop}.sqlite").score(sols)
        with pytest.raises(AssertionError, match=message):
            score_file(Short(drop), [{"id": str(i), "problem": s.problem, "steps": list(s.steps)}
                                     for i, s in enumerate(sols)], tmp_path / f"{drop}.jsonl")
    with pytest.raises(AssertionError, match="scorer short returned 1 results"):
        Combined([load_prm("arith"), Short("result")]).score(sols)


def test_score_file_is_a_library_call_that_resumes(tmp_path: Path) -> None:
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"problem": "?", "steps": ["2 + 2 = 4", "2 + 3 = 6"], "tag": 1}, {"id": 7, "problem": "?", "steps": [" "]}]
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = read_score_inputs(inp)
    assert [r["id"] for r in records] == ["line-1", "7"]
    first = score_file(load_prm("arith"), records[:1], out)
    again = score_file(load_prm("arith"), records, out)
    assert (first.scored, first.failed, again.scored, again.failed, again.skipped) == (1, 0, 1, 1, 1)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    key = lines[0].pop("content_key")  # what produced the line: a rerun recomputes it once the input changes
    assert lines[0] == {**rows[0], "id": "line-1", "step_scores": [1.0, 0.0], "tokens": 0}
    assert isinstance(key, str) and key != lines[1]["content_key"]
    assert lines[1]["failure"] == {"reason": "empty_step", "detail": "step 0 is empty"}
    inp.write_text('{"problem": "?", "steps": "one"}\n')
    with pytest.raises(DataFormatError, match=r"in.jsonl:1: field 'steps'"):
        read_score_inputs(inp)
