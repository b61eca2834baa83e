"""Knockout and Elo orchestration with a scripted judge: bracket shape, byes, N − 1 comparisons,
both orders per pair, tie-breaks, failures, seeded reproducibility, resume, and a golden bracket."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _judge_script import ScriptedJudge, candidates

from prmkit.errors import ConfigError, DataFormatError
from prmkit.search.pairwise import JsonlMemo, PairwiseJudge
from prmkit.search.tournament import elo, knockout


@pytest.mark.parametrize("n", range(1, 10))
def test_knockout_shape(n: int) -> None:
    strength = [(7 * k) % 11 for k in range(n)]  # a strongest candidate at a scattered index
    script = ScriptedJudge(strength)
    t = knockout(PairwiseJudge(script), "p", candidates(n), seed=3)
    assert t.index == max(range(n), key=lambda k: strength[k])
    assert len(t.comparisons) == n - 1 and t.n_failures == t.n_ties == 0
    assert len(t.rounds) == len(script.calls) == (math.ceil(math.log2(n)) if n > 1 else 0)
    assert sorted(t.bracket) == list(range(n))
    losers = [c.i if c.winner == c.j else c.j for c in t.comparisons]
    assert len(set(losers)) == n - 1 and t.index not in losers
    for r, (comps, bye) in enumerate(zip(t.rounds, t.byes, strict=True)):
        playing = [k for c in comps for k in (c.i, c.j)]
        assert len(set(playing)) == len(playing) and bye not in playing
        if bye is not None and r + 1 < len(t.rounds):
            assert (t.rounds[r + 1][0].i, bye) == (bye, bye)  # a bye leads the next round
    # every pair is asked in both orders, in one generate call per round
    for comps, asked in zip(t.rounds, script.calls, strict=True):
        assert asked == [o for c in comps for o in ((c.i, c.j), (c.j, c.i))]
    assert t.n_tokens == sum(2 * (5 + c.i + c.j) for c in t.comparisons)


def test_golden_bracket_seed_0() -> None:
    t = knockout(PairwiseJudge(ScriptedJudge([0, 5, 1, 4, 2, 3, 6])), "p", candidates(7), seed=0)
    assert t.bracket == (2, 4, 3, 6, 5, 0, 1)  # numpy default_rng(0).permutation(7)
    assert [[(c.i, c.j, c.winner) for c in r] for r in t.rounds] == [
        [(2, 4, 4), (3, 6, 6), (5, 0, 5)],
        [(1, 4, 1), (6, 5, 6)],  # 1 had the bye and leads round 2
        [(1, 6, 6)],
    ]
    assert t.byes == (1, None, None) and t.index == 6


def test_seeded_bracket_is_reproducible() -> None:
    brackets = {
        s: knockout(PairwiseJudge(ScriptedJudge([0] * 8)), "p", candidates(8), seed=s).bracket
        for s in (0, 0, 1)
    }
    assert len(brackets) == 2 and brackets[0] != brackets[1]


def test_position_bias_cancels_to_ties_broken_by_score_then_index() -> None:
    judge = PairwiseJudge(ScriptedJudge([0] * 5, biased=True))
    t = knockout(judge, "p", candidates(5), seed=1)
    assert t.n_ties == 4 and t.index == 0 and all(c.verdicts == ("A", "A") for c in t.comparisons)
    scores = [0.1, 0.2, math.nan, 0.9, 0.3]
    assert knockout(judge, "p", candidates(5), scores, seed=1).index == 3
    assert elo(judge, "p", candidates(5), scores).index == 3  # all draws: equal ratings


def test_failures_keep_raw_text_and_fall_to_tie_break() -> None:
    t = knockout(
        PairwiseJudge(ScriptedJudge([0, 1, 9, 2], broken=frozenset({2}))),
        "p",
        candidates(4),
        seed=0,
    )
    failed = [c for c in t.comparisons if c.outcome == "failed"]
    assert t.n_failures == len(failed) >= 1
    for c in failed:
        assert 2 in (c.i, c.j) and c.winner is None and c.verdicts == (None, None)
        assert c.raw == ("Both look plausible; I cannot decide.",) * 2
        assert c.errors == ("no \\boxed{} verdict",) * 2
    assert t.index == 3  # 2 never wins a comparison; the lower index wins its failed one


def test_elo_round_robin_ratings_follow_strength() -> None:
    script = ScriptedJudge([2, 0, 3, 1])
    t = elo(PairwiseJudge(script), "p", candidates(4), seed=0)
    assert t.index == 2 and len(t.comparisons) == 6 and len(script.calls) == 1
    ratings = t.ratings
    assert ratings is not None and sorted(range(4), key=lambda k: ratings[k]) == [1, 3, 0, 2]
    assert sum(ratings) == pytest.approx(4000)  # Elo moves points, it does not make them
    assert [round(r, 2) for r in ratings] == [1013.81, 953.56, 1046.5, 986.14]


def test_elo_sampled_opponents_and_skipped_failures() -> None:
    t = elo(PairwiseJudge(ScriptedJudge(list(range(8)))), "p", candidates(8), opponents=2, seed=5)
    pairs = [(c.i, c.j) for c in t.comparisons]
    assert len(set(pairs)) == len(pairs) and 8 <= len(pairs) <= 16
    assert all(sum(k in p for p in pairs) >= 2 for k in range(8))
    broken = elo(
        PairwiseJudge(ScriptedJudge([0, 1, 2], broken=frozenset({0, 1, 2}))), "p", candidates(3)
    )
    assert broken.n_failures == 3 and broken.ratings == (1000.0,) * 3 and broken.index == 0
    with pytest.raises(ConfigError):
        elo(PairwiseJudge(ScriptedJudge([0, 1, 2])), "p", candidates(3), opponents=0)


def test_memo_resumes_without_generating_again() -> None:
    memo: dict = {}
    first = knockout(PairwiseJudge(ScriptedJudge(range(6)), memo=memo), "p", candidates(6), seed=2)
    again = ScriptedJudge(range(6))
    second = knockout(PairwiseJudge(again, memo=memo), "p", candidates(6), seed=2)
    assert second == first and again.calls == []
    assert len(memo) == 2 * 5


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError):
        knockout(PairwiseJudge(ScriptedJudge([])), "p", [])
    with pytest.raises(ConfigError):
        elo(PairwiseJudge(ScriptedJudge([0, 1])), "p", candidates(2), scores=[0.5])


def test_jsonl_memo_resumes_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "judge.jsonl"
    first = elo(PairwiseJudge(ScriptedJudge(range(4)), memo=JsonlMemo(path)), "p", candidates(4))
    assert len(path.read_text().splitlines()) == 12
    with path.open("a") as fh:
        fh.write('{"key": "torn", "te')  # a run killed mid-write
    again = ScriptedJudge(range(4))
    memo = JsonlMemo(path)
    assert elo(PairwiseJudge(again, memo=memo), "p", candidates(4)) == first and again.calls == []
    assert len(memo) == 12
    path.write_text('{"key": "k"}\n' + path.read_text())
    with pytest.raises(DataFormatError, match=r"judge.jsonl:1: field .record."):
        JsonlMemo(path)


def test_identical_solutions_share_one_request_and_tie() -> None:
    script = ScriptedJudge([0, 9])
    t = knockout(PairwiseJudge(script), "p", ["cand 1", "cand 1"], seed=0)
    assert script.calls == [[(1, 1)]]  # both orders are the same prompt, generated once
    assert t.comparisons[0].outcome == "tie" and t.index == 0
