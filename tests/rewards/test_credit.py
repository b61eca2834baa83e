"""Credit rules: the method cards' worked examples, their properties on random solutions, and a golden file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from _golden import update_golden
from hypothesis import given, settings
from hypothesis import strategies as st

from prmkit.errors import UnknownNameError
from prmkit.rewards import (
    CREDIT,
    clip_credit,
    clip_delta_credit,
    delta_credit,
    min_credit,
    potential_credit,
    prime_credit,
    prof_consistency,
    prof_keep,
    sum_credit,
    weibull_credit,
)

GOLDEN = Path(__file__).parent / "golden" / "credit.json"
PROB = st.floats(0.0, 1.0, allow_nan=False)
SCORES = st.lists(PROB, min_size=1, max_size=12)
FAST = settings(max_examples=150, deadline=None)

# One fixed batch: four solutions to one prompt, their step scores and outcomes.
BATCH_SCORES = [[0.95, 0.4, 0.75], [0.9, 0.92, 0.88, 0.97], [0.3, 0.2], [0.85, 0.1, 0.6, 0.7, 0.9]]
BATCH_OUTCOMES = [1.0, 1.0, 0.0, 0.0]
BATCH_TOKENS = [[0.2, -0.1, 0.05], [0.3, 0.1], [-0.4, -0.2, 0.0, 0.1], [0.05]]


def test_pure_card_vector() -> None:
    """F1's test vector: rewards [0.9, -0.2, 0.5] at T = 0.1; the code's return after the worst step is ~0."""
    c = min_credit([0.9, -0.2, 0.5], scale="raw", temperature=0.1)
    assert c.value == pytest.approx(-0.1993, abs=1e-4)
    assert c.returns.tolist() == pytest.approx([-0.199, -0.199, 0.0005], abs=1e-3)
    assert min_credit([0.95, 0.4, 0.75]).returns.tolist() == pytest.approx(c.returns.tolist())


@FAST
@given(SCORES)
def test_min_form_return_is_min_of_future_rewards(scores: list[float]) -> None:
    r = 2 * np.array(scores) - 1
    paper = min_credit(scores, temperature=0)
    for k in range(len(scores)):
        assert paper.returns[k] == pytest.approx(r[k:].min(), abs=1e-12)
    t = 0.1
    code = min_credit(scores, temperature=t)
    assert r.min() - 1e-12 <= code.value <= r.min() + t * math.log(len(scores)) + 1e-12


@FAST
@given(SCORES, st.integers(0, 11), st.floats(0.5, 1.0))
def test_repeating_a_correct_step_earns_nothing_under_clip_and_delta(scores: list[float], at: int, s: float) -> None:
    """A correct step (score >= eta) written once more right after itself leaves the return unchanged."""
    at = at % len(scores)
    scores = [*scores[:at], s, *scores[at:]]
    padded = [*scores[: at + 1], s, *scores[at + 1 :]]
    for rule in (clip_credit, delta_credit, clip_delta_credit):
        assert rule(padded, 1.0).value == pytest.approx(rule(scores, 1.0).value, abs=1e-12)
    assert delta_credit(padded, last="keep").value == pytest.approx(delta_credit(scores, last="keep").value)
    assert all(clip_credit(padded).rewards <= 0)
    if s > 0:  # the baseline is hacked: the same padding raises the summed return
        assert sum_credit(padded).value > sum_credit(scores).value


@FAST
@given(st.lists(st.tuples(SCORES, st.sampled_from([0.0, 1.0])), min_size=2, max_size=8), PROB)
def test_potential_shaping_telescopes_and_keeps_the_ranking(trajs: list[tuple[list[float], float]], phi0: float) -> None:
    """Shaped return = outcome - Phi(h_0), a constant: full solutions rank as their outcomes do."""
    shaped = [potential_credit(s, v, initial=phi0).value for s, v in trajs]
    for (s, v), g in zip(trajs, shaped, strict=True):
        assert g == pytest.approx(v - phi0, abs=1e-12)
        free = potential_credit(s, v, initial=phi0, terminal=None)
        assert free.value == pytest.approx(v + s[-1] - phi0, abs=1e-12)
    outcomes = [v for _, v in trajs]
    for i in range(len(trajs)):
        for j in range(len(trajs)):
            assert (shaped[i] > shaped[j] + 1e-9) == (outcomes[i] > outcomes[j])


def test_potential_shaping_keeps_the_optimal_policy() -> None:
    """In a random binary tree of depth 3 (potentials on nodes, outcomes on leaves), the best child at
    every node is the same under the shaped return-to-go as under the outcome alone."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        phi = {p: float(rng.random()) for d in range(1, 4) for p in _paths(d)}
        outcome = {p: float(rng.random()) for p in _paths(3)}
        for d in range(3):
            for node in _paths(d):
                best = {}
                for child in (0, 1):
                    leaves = [p for p in _paths(3) if p[: d + 1] == (*node, child)]
                    shaped = [
                        potential_credit([phi[p[: k + 1]] for k in range(3)], outcome[p], initial=0.3).returns[d]
                        for p in leaves
                    ]
                    best[child] = (max(shaped), max(outcome[p] for p in leaves))
                assert (best[0][0] > best[1][0]) == (best[0][1] > best[1][1])


def _paths(depth: int) -> list[tuple[int, ...]]:
    """Every node at ``depth``, as the tuple of choices that reach it."""
    return [tuple((i >> (depth - 1 - b)) & 1 for b in range(depth)) for i in range(2**depth)]


def test_potential_card_example() -> None:
    c = potential_credit([0.6, 0.3, 0.9], initial=0.4, terminal=None)
    assert c.rewards.tolist() == pytest.approx([0.2, -0.3, 0.6])
    assert c.value == pytest.approx(0.5)
    assert potential_credit([0.6, 0.3, 0.9, 0.9], initial=0.4, terminal=None).value == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("n_pos", "n_neg", "kept_pos"),
    [(5, 3, 2), (7, 1, 3), (6, 2, 2), (4, 4, 2), (2, 6, 2), (8, 0, 4)],
)
def test_prof_card_vectors(n_pos: int, n_neg: int, kept_pos: int) -> None:
    rng = np.random.default_rng(n_pos)
    scores = [rng.random(3) for _ in range(8)]
    correct = [1] * n_pos + [0] * n_neg
    kept = prof_keep(scores, correct, keep=4)
    assert kept.size == 4 and sum(correct[i] for i in kept) == kept_pos


@FAST
@given(st.lists(st.tuples(SCORES, st.booleans()), min_size=2, max_size=10), st.data())
def test_prof_keeps_the_process_consistent_samples(group: list[tuple[list[float], bool]], data: st.DataObject) -> None:
    scores, correct = [s for s, _ in group], [c for _, c in group]
    keep = data.draw(st.integers(1, len(group)))
    kept = set(prof_keep(scores, correct, keep).tolist())
    c = prof_consistency(scores, correct)
    assert len(kept) == keep
    for side in (True, False):
        members = [i for i, ok in enumerate(correct) if ok == side]
        kept_c = [c[i] for i in members if i in kept]
        dropped_c = [c[i] for i in members if i not in kept]
        if kept_c and dropped_c:
            assert min(kept_c) >= max(dropped_c)


def test_prof_length_penalty_drops_one_step_solutions_first() -> None:
    scores, correct = [[0.9], [0.6, 0.6], [0.2, 0.2], [0.3, 0.3]], [1, 1, 0, 0]
    assert prof_keep(scores, correct, 2).tolist() == [0, 2]
    assert prof_keep(scores, correct, 2, length_penalty=10.0).tolist() == [1, 2]


@FAST
@given(
    st.lists(
        st.tuples(st.lists(st.floats(-5, 5), min_size=1, max_size=6), st.sampled_from([0.0, 1.0])),
        min_size=2,
        max_size=8,
    ),
    st.booleans(),
)
def test_prime_rloo_advantage_sums_to_zero(group: list[tuple[list[float], float]], norm: bool) -> None:
    c = prime_credit([t for t, _ in group], [v for _, v in group], batch_norm=norm)
    assert c.outcome_N.sum() == pytest.approx(0.0, abs=1e-9)
    assert c.advantage_N.sum() == pytest.approx(0.0, abs=1e-9)
    for rewards, returns in zip(c.rewards_T_N, c.returns_T_N, strict=True):
        assert returns[0] == pytest.approx(rewards.sum())


def test_prime_matches_the_literal_reference() -> None:
    """The code's process baseline, written out: r * n/(n-1) - sum_j mean_j / (n-1)."""
    n = len(BATCH_TOKENS)
    means = [sum(t) / len(t) for t in BATCH_TOKENS]
    c = prime_credit(BATCH_TOKENS, BATCH_OUTCOMES)
    for i, tokens in enumerate(BATCH_TOKENS):
        expect = [r * n / (n - 1) - sum(means) / (n - 1) for r in tokens]
        assert c.process_T_N[i].tolist() == pytest.approx(expect)
        others = [v for j, v in enumerate(BATCH_OUTCOMES) if j != i]
        assert c.outcome_N[i] == pytest.approx(BATCH_OUTCOMES[i] - sum(others) / len(others))


def test_weibull_penalises_short_and_long_chains() -> None:
    mid, short, long = (weibull_credit([1.0] * k, shape=2.0, scale=8.0).value for k in (6, 1, 20))
    assert mid > short and mid > long and mid <= 1.0


def test_every_rule_bad_input_and_unknown_name() -> None:
    for name in CREDIT.names():
        with pytest.raises(ValueError, match="scores"):
            CREDIT.get(name)([])
    with pytest.raises(UnknownNameError, match="did you mean 'clip'"):
        CREDIT.get("clp")


def test_golden() -> None:
    doc: dict[str, object] = {
        name: [
            {"rewards": c.rewards.tolist(), "returns": c.returns.tolist()}
            for c in (CREDIT.get(name)(s, v) for s, v in zip(BATCH_SCORES, BATCH_OUTCOMES, strict=True))
        ]
        for name in CREDIT.names()
    }
    doc["prof_keep_2"] = prof_keep(BATCH_SCORES, BATCH_OUTCOMES, 2).tolist()
    doc["prof_consistency"] = prof_consistency(BATCH_SCORES, BATCH_OUTCOMES).tolist()
    prime = prime_credit(BATCH_TOKENS, BATCH_OUTCOMES)
    doc["prime"] = {"returns": [r.tolist() for r in prime.returns_T_N], "advantage": prime.advantage_N.tolist()}
    text = json.dumps(_rounded(doc), indent=1, sort_keys=True) + "\n"
    update_golden(GOLDEN, text)
    assert json.loads(GOLDEN.read_text(encoding="utf-8")) == json.loads(text)


def _rounded(x: object) -> object:
    if isinstance(x, float):
        return round(x, 12)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x
