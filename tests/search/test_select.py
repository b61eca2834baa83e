"""Selectors: ties, missing answers, all-wrong sets, single candidates, HMRV/WRFV, and a reference check."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from prmkit.answers import NoAnswer
from prmkit.errors import ConfigError, UnknownNameError
from prmkit.search import batched as core
from prmkit.search.select import SELECTORS, Selector, run_selector, select

SCORED = ["best_of_n", "weighted_sum", "weighted_max", "hmrv", "wrfv"]
NAN = math.nan


# ---- ties: the first-seen rule -------------------------------------------------


def test_majority_tie_goes_to_first_seen() -> None:
    assert select("majority", ["5", "4", "4", "5"]).index == 0
    assert select("majority", ["4", "5", "5", "4"]).index == 0
    # first seen = the group whose first member comes first, here "4" at index 1
    sel = select("majority", [None, "4", "5", "5", "4"])
    assert (sel.index, sel.answer.key) == (1, "4")  # type: ignore[union-attr]


def test_score_ties_go_to_lowest_index() -> None:
    assert select("best_of_n", ["1", "2", "3"], scores=[0.5, 0.9, 0.9]).index == 1
    assert select("weighted_sum", ["b", "a", "b", "a"], scores=[0.5] * 4).index == 0
    assert select("weighted_sum", ["a", "b", "a", "b"], scores=[0.5] * 4).index == 0
    assert select("weighted_max", ["a", "b", "b"], scores=[0.7, 0.2, 0.7]).index == 0
    assert select("wrfv", ["a", "b"], scores=[0.3, 0.3]).index == 0


def test_hmrv_threshold_is_inclusive() -> None:
    answers, scores = ["7", "7", "3", "9"], [0.1, 0.1, 0.2, 0.9]
    assert select("hmrv:0.5", answers, scores).index == 0  # 2/4 >= 0.5 -> majority
    assert select("hmrv:0.51", answers, scores).index == 3  # below -> reward vote: "9" 0.9 > "7" 0.2


# ---- missing answers ------------------------------------------------------------


def test_missing_answers_never_win_a_vote() -> None:
    answers = [None, None, None, "3"]
    for name in ["majority", "weighted_sum", "weighted_max", "wrfv"]:
        assert select(name, answers, scores=[0.9, 0.9, 0.9, 0.1]).index == 3


def test_all_missing_gives_no_answer() -> None:
    for name in ["majority", "weighted_sum", "weighted_max", "wrfv"]:
        sel = select(name, [None, ""], scores=[0.5, 0.6])
        assert sel.index == -1
        assert isinstance(sel.answer, NoAnswer)


def test_best_of_n_ranks_by_score_even_without_an_answer() -> None:
    sel = select("best_of_n", ["3", None], scores=[0.1, 0.9])
    assert sel.index == 1
    assert isinstance(sel.answer, NoAnswer)
    # hmrv with no answers at all falls back to best-of-N
    assert select("hmrv", [None, None], scores=[0.1, 0.9]).index == 1


def test_unscored_candidates_rank_last() -> None:
    assert select("best_of_n", ["1", "2"], scores=[NAN, 0.01]).index == 1
    assert select("best_of_n", ["1", "2"], scores=[NAN, NAN]).index == 0
    assert select("weighted_sum", ["1", "2", "2"], scores=[0.5, NAN, NAN]).index == 0
    assert select("wrfv:1", ["1", "2", "2"], scores=[0.01, NAN, NAN]).index == 0


# ---- all-wrong sets and single candidates ------------------------------------------


def test_oracle() -> None:
    assert select("pass_at_n", ["1", "2", "3"], correct=[False, False, True]).index == 2
    assert (
        select("pass_at_n", ["1", "2", "3"], correct=[False, False, False]).index == 0
    )  # all wrong
    with pytest.raises(ConfigError, match="oracle"):
        select("pass_at_n", ["1", "2"])


def test_single_candidate() -> None:
    for name in [*SCORED, "majority", "pass_at_n"]:
        assert select(name, ["42"], scores=[0.3], correct=[True]).index == 0
    for name in ["majority", "weighted_sum", "weighted_max", "wrfv"]:
        assert select(name, [None], scores=[0.3]).index == -1
    assert select("best_of_n", [None], scores=[0.3]).index == 0


# ---- UnPRM selectors on hand-built cases ---------------------------------------------

# A: one confident candidate; B: the most frequent answer, low scores; C: two good candidates
WR_ANSWERS = ["A", "B", "B", "B", "C", "C"]
WR_SCORES = [0.95, 0.1, 0.1, 0.1, 0.85, 0.85]


def test_wrfv_differs_from_majority_and_best_of_n() -> None:
    # freq: A 1/6, B 3/6, C 2/6; mean score: A .95, B .1, C .85 -> normalised A 1, B 0, C .75/.85
    # w = 0.5: A .5 + .0833 = .5833, B 0 + .25 = .25, C .4412 + .1667 = .6078 -> C
    maj = select("majority", WR_ANSWERS).answer.key  # type: ignore[union-attr]
    bon = select("best_of_n", WR_ANSWERS, WR_SCORES).answer.key  # type: ignore[union-attr]
    wrfv = select("wrfv", WR_ANSWERS, WR_SCORES)
    assert (maj, bon, wrfv.answer.key, wrfv.index) == ("B", "A", "C", 4)  # type: ignore[union-attr]
    # w = 1 is reward only (A), w = 0 is frequency only (B)
    assert select("wrfv:1", WR_ANSWERS, WR_SCORES).answer.key == "A"  # type: ignore[union-attr]
    assert select("wrfv:0", WR_ANSWERS, WR_SCORES).answer.key == "B"  # type: ignore[union-attr]
    # the crossover: C beats A iff w < (1/6) / (1/6 + 1 - .75/.85)
    w_star = (1 / 6) / (1 / 6 + 1 - 0.75 / 0.85)
    assert select(f"wrfv:{w_star - 1e-6}", WR_ANSWERS, WR_SCORES).answer.key == "C"  # type: ignore[union-attr]
    assert select(f"wrfv:{w_star + 1e-6}", WR_ANSWERS, WR_SCORES).answer.key == "A"  # type: ignore[union-attr]


def test_hmrv_switches_between_majority_and_reward_vote() -> None:
    high = (["B", "B", "B", "A"], [0.1, 0.1, 0.1, 0.9])  # B holds 3/4
    low = (["B", "B", "A", "C", "D"], [0.1, 0.1, 0.9, 0.2, 0.3])  # B holds 2/5
    assert select("hmrv", *high).answer.key == "B"  # type: ignore[union-attr]
    assert select("hmrv", *low).answer.key == "A"  # type: ignore[union-attr]  # A 0.9 > C, D, B 0.2
    assert select("hmrv:0.8", *high).answer.key == "A"  # type: ignore[union-attr]  # A 0.9 > B 0.3
    assert select("hmrv:0.4", *low).answer.key == "B"  # type: ignore[union-attr]


def test_hmrv_differs_from_both_majority_and_best_of_n() -> None:
    # B is the most frequent answer but holds only 2/6 < 0.5 of the votes, so HMRV
    # takes the reward vote: C sums 0.5 + 0.5 = 1.0 > A 0.9 > B 0.2 > D 0.05.
    # Best-of-N takes the single highest candidate (A, 0.9); majority takes B.
    answers = ["B", "C", "A", "B", "C", "D"]
    scores = [0.1, 0.5, 0.9, 0.1, 0.5, 0.05]
    assert select("majority", answers, scores).answer.key == "B"  # type: ignore[union-attr]
    assert select("best_of_n", answers, scores).answer.key == "A"  # type: ignore[union-attr]
    assert select("hmrv", answers, scores).answer.key == "C"  # type: ignore[union-attr]
    assert select("hmrv:0.3", answers, scores).answer.key == "B"  # type: ignore[union-attr]  # 2/6 >= 0.3


# ---- errors ------------------------------------------------------------------------


def test_selector_errors() -> None:
    with pytest.raises(ConfigError, match="needs solution scores"):
        select("best_of_n", ["1"])
    with pytest.raises(ConfigError, match="non-negative"):
        select("weighted_sum", ["1", "2"], scores=[0.5, -0.1])
    with pytest.raises(ConfigError, match=r"threshold must be in \[0.0, 1.0\]"):
        Selector.parse("hmrv:1.5")
    with pytest.raises(ConfigError, match="takes no parameter"):
        Selector.parse("majority:2")
    with pytest.raises(ConfigError, match="must be a number"):
        Selector.parse("wrfv:high")
    with pytest.raises(UnknownNameError, match="did you mean 'majority'"):
        Selector.parse("majorty")
    with pytest.raises(ConfigError, match="2 scores for 3 answers"):
        select("best_of_n", ["1", "2", "3"], scores=[0.1, 0.2])
    assert Selector.parse("hmrv").name == "hmrv:0.5"
    assert Selector.parse("wrfv:0.25").name == "wrfv:0.25"


# ---- batched selectors against a plain-Python reference -------------------------------


def _reference(
    name: str,
    param: float | None,
    groups: list[int],
    scores: list[float],
    correct: list[bool],
    idx: list[int],
) -> int:
    """Straightforward per-subset implementations written from the definitions."""

    def score(j: int) -> float:
        return -math.inf if math.isnan(scores[j]) else scores[j]

    def best() -> int:
        scored = [j for j in idx if not math.isnan(scores[j])]
        pool = scored or idx
        top = max(score(j) for j in pool)
        return next(j for j in pool if score(j) == top)

    order: dict[int, list[int]] = {}
    for j in idx:
        if groups[j] >= 0:
            order.setdefault(groups[j], []).append(j)

    def vote(value: dict[int, float]) -> int:
        if not order:
            return -1
        top = max(value.values())
        g = next(g for g in order if value[g] == top)  # dict order = first seen
        return order[g][0]

    if name == "best_of_n":
        return best()
    if name == "pass_at_n":  # no answer = wrong, whatever its label
        return next((j for j in idx if correct[j] and groups[j] >= 0), idx[0])
    if name == "majority":
        return vote({g: float(len(m)) for g, m in order.items()})
    if name == "weighted_sum":
        return vote(
            {
                g: sum(0.0 if math.isnan(scores[j]) else scores[j] for j in m)
                for g, m in order.items()
            }
        )
    if name == "weighted_max":
        return vote({g: max(score(j) for j in m) for g, m in order.items()})
    if name == "hmrv":
        top = max((len(m) for m in order.values()), default=0)
        if top / len(idx) >= (param or 0):
            return vote({g: float(len(m)) for g, m in order.items()})
        if not order:
            return best()
        return vote(
            {
                g: sum(0.0 if math.isnan(scores[j]) else scores[j] for j in m)
                for g, m in order.items()
            }
        )
    assert name == "wrfv"
    means = {g: [scores[j] for j in m if not math.isnan(scores[j])] for g, m in order.items()}
    avg = {g: sum(v) / len(v) for g, v in means.items() if v}
    lo, hi = (min(avg.values()), max(avg.values())) if avg else (0.0, 0.0)
    r = {g: ((avg[g] - lo) / (hi - lo) if hi > lo else 1.0) if g in avg else 0.0 for g in order}
    w = param or 0.0
    return vote({g: w * r[g] + (1 - w) * len(m) / len(idx) for g, m in order.items()})


@pytest.mark.parametrize("name", sorted(k for k in SELECTORS.names() if not SELECTORS.get(k).uses_judge))
def test_batched_selectors_match_reference(name: str) -> None:
    rng = random.Random(7)
    sel = Selector.parse(name if name not in ("hmrv", "wrfv") else f"{name}:0.4")
    for _ in range(60):
        n = rng.randint(1, 9)
        groups = [rng.choice([-1, 0, 0, 1, 1, 2, 3]) for _ in range(n)]
        first: dict[int, int] = {}
        groups = [
            g if g < 0 else first.setdefault(g, len(first)) for g in groups
        ]  # first-seen numbering
        scores = [rng.choice([NAN, 0.1, 0.3, 0.3, 0.7, 0.9, 0.0]) for _ in range(n)]
        correct = [rng.random() < 0.3 for _ in range(n)]
        mask = np.array([[rng.random() < 0.6 for _ in range(n)] for _ in range(12)])
        mask[:, 0] |= ~mask.any(axis=1)  # no empty subsets
        got = run_selector(
            sel, np.array(groups, np.int64), np.array(scores), np.array(correct), mask
        )
        for r in range(mask.shape[0]):
            idx = [int(j) for j in np.flatnonzero(mask[r])]
            assert got[r] == _reference(sel.kind, sel.param, groups, scores, correct, idx), (
                groups,
                scores,
                idx,
            )


def test_stats_chunk_shapes() -> None:
    st = core.Stats.of(
        np.array([0, -1, 1, 0]), np.array([[True, True, False, True], [False, True, True, False]])
    )
    assert st.counts_RG.tolist() == [[2.0, 0.0], [0.0, 1.0]]
    assert st.first_RG.tolist() == [[0, 4], [4, 2]]
    assert st.size_R.tolist() == [3.0, 2.0]
