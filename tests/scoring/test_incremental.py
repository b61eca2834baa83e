"""Incremental scoring gives the one-pass ``hf`` scores for every model family of the catalog and runs each
token once: prefixes scored one call after another, branching continuations and two problems in one batch,
eviction, and :func:`incremental` on a combination, a cache and a verifier.

Every catalogued family whose readout runs a model is checked on the tiny real-architecture models and real
tokenizers of ``conftest.py``, in float32; readout ``verifier`` runs none (:func:`incremental` returns such a
scorer unchanged, with its reason: ``test_incremental_of_a_verifier_is_itself_with_a_reason``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from _require import need_module

from prmkit.scoring import SPECS, ScorerInfo, get_readout, get_spec, load_prm
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.combine import Combined
from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

torch = need_module("torch")

from prmkit.scoring.hf import HFScorer  # noqa: E402
from prmkit.scoring.incremental import IncrementalScorer, incremental  # noqa: E402
from prmkit.scoring.render import render  # noqa: E402

RAW = "eurus-prm-stage1 (beta 1, no sigmoid)"
"""The catalog's implicit PRMs read beta 0.001 x the log-ratio through a sigmoid, which all but hides a
token moved between steps or a log-probability read at the wrong position; raw sums show it."""
# A generative judge writes text and is not causal (its verdicts read the whole solution), so incremental()
# leaves it as it is, like any non-causal scorer (test_incremental_of_a_verifier_is_itself_with_a_reason).
FAMILIES = [
    *sorted(
        n for n in SPECS.names()
        if get_readout(get_spec(n).readout).runs_model and get_spec(n).readout != "generative"
    ),
    RAW,
]

BAKER = Solution(
    "A baker bakes 24 rolls in the morning and 18 in the afternoon. He sells 30 and gives away 5. "
    "How many rolls are left?",
    (
        "Morning and afternoon together: 24 + 18 = 42 rolls.",
        "He sells 30 of them, so 42 - 30 = 12 remain.",
        "He gives away 5, so 12 - 5 = 7 remain.",
        "Check: 30 + 5 + 7 = 42, which matches the total.",
        "So the number of rolls left is 7.",
        "The answer is \\boxed{7}.",
    ),
)
BRANCHES = ("He gives away 5, so 12 - 5 = 8 remain.", "Giving away 5 leaves 12 - 5 = 7 rolls.")
"""Two step-3 continuations of BAKER's first two steps."""
THIRDS = Solution(
    "What is $\\frac{3}{4}$ of 12?",
    ("$\\frac{3}{4} \\cdot 12 = 9$.", "Because 12 / 4 = 3 and 3 * 3 = 9.", "So the result is 9.", "The answer is $9$."),
)


def _spec(name: str) -> PRMSpec:
    return replace(get_spec("eurus-prm-stage1"), beta=1.0, sigmoid=False) if name == RAW else get_spec(name)


def _models(request: pytest.FixtureRequest, spec: PRMSpec) -> tuple[Any, Any, Any]:
    """``(model, reference or None, tokenizer)`` for a family, by its conventions, as ``test_hf_parity.py``
    builds them: Qwen classifiers with Qwen's tokenizer (plus ``<extra_0>`` for the chat tag), Llama LMs
    with SmolLM2's (plus ``" ки"`` for Math-Shepherd's text tag), two Qwen LMs for implicit PRMs."""
    fx = request.getfixturevalue
    if spec.readout == "log_ratio":
        return fx("qwen_lm")(51), fx("qwen_lm")(52), fx("qwen_tok")
    if spec.readout == "tag_logits":
        tok = fx("smol_shepherd_tok") if spec.format == "text" else fx("smol_tok")
        return fx("llama_lm")(len(tok), 21), None, tok
    if spec.readout == "value_head":
        return fx("qwen_classifier")(1, 41), None, fx("qwen_tok")
    if spec.format == "chat":
        return fx("qwen_classifier")(2, 11), None, fx("qwen_prm_tok")
    return fx("qwen_classifier")(2, 61), None, fx("qwen_tok")


def _scorer(request: pytest.FixtureRequest, name: str) -> HFScorer:
    spec = _spec(name)
    model, ref, tok = _models(request, spec)
    prm = load_prm(spec, model=model, reference_model=ref, tokenizer=tok, dtype="float32")
    assert isinstance(prm, HFScorer)
    return prm


@pytest.fixture(scope="module", params=FAMILIES)
def family(request: pytest.FixtureRequest, torch: Any) -> HFScorer:
    return _scorer(request, request.param)


def _prefix(sol: Solution, k: int, *more: str) -> Solution:
    return Solution(sol.problem, (*sol.steps[:k], *more))


def _assert_same(got: list[ScoreResult], want: list[ScoreResult], name: str) -> None:
    """Failures equal; step scores within 1e-5 of the one-pass scorer's (relative beyond 1: a raw log-ratio sum
    near 16 moves by 4e-6 between two batch shapes of the one-pass scorer itself)."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        if isinstance(w, ScoreFailure):
            assert g == w, name
            continue
        assert isinstance(g, StepScores) and len(g.scores) == len(w.scores), (name, g)
        assert all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in zip(g.scores, w.scores, strict=True)), (
            name, g.scores, w.scores)


def _common(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _expected_tokens(prm: HFScorer, solutions: list[Solution]) -> list[int]:
    """Tokens each call of a one-solution-per-call sequence runs: its rendering less the longest prefix any
    earlier rendering shares with it (``log_ratio``: one token more, the one that predicts the first new
    token), times the models."""
    rendered = [render(prm.tokenizer, prm.spec, s, prm.token_ids).input_ids for s in solutions]
    out = []
    for k, ids in enumerate(rendered):
        held = max((_common(ids, prev) for prev in rendered[:k]), default=0)
        start = len(ids) if held == len(ids) else max(held - 1, 0) if prm.readout.reads == "token_logprobs" else held
        out.append((len(ids) - start) * len(prm.models))
    return out


def test_a_prefix_chain_gets_one_pass_scores_and_runs_each_token_once(family: HFScorer) -> None:
    name, prm = family.spec.name, family
    inc = IncrementalScorer(prm)
    chain = [_prefix(BAKER, k) for k in range(1, 7)]
    got = [inc.score([sol])[0] for sol in chain]
    _assert_same(got, prm.score(chain), name)
    expected = _expected_tokens(prm, chain)
    assert [r.tokens for r in got] == expected, name
    assert inc.tokens_computed == sum(expected), name
    lengths = [len(render(prm.tokenizer, prm.spec, s, prm.token_ids).input_ids) for s in chain]
    models = len(prm.models)
    assert inc.tokens_requested == sum(lengths) * models
    # each token of the six-step rendering runs once; beyond it only what closes each shorter prefix (and,
    # for log_ratio, the token before each extension)
    closing = sum(lengths[k] - _common(*(render(prm.tokenizer, prm.spec, s, prm.token_ids).input_ids
                                         for s in (chain[k], chain[-1]))) for k in range(5))
    boundary = 5 if prm.readout.reads == "token_logprobs" else 0
    assert inc.tokens_computed <= (lengths[-1] + closing + boundary) * models
    assert inc.tokens_computed < inc.tokens_requested / 2
    assert inc.score([chain[3]])[0].tokens == 0  # held: nothing runs


def test_branches_and_two_problems_share_batches(family: HFScorer) -> None:
    name, prm = family.spec.name, family
    inc = IncrementalScorer(prm)
    first = [
        _prefix(BAKER, 2),
        _prefix(BAKER, 2, BRANCHES[0]),
        _prefix(THIRDS, 2),
        _prefix(BAKER, 2, BRANCHES[1]),
        Solution(BAKER.problem, ("fine", "  ")),  # an empty step fails alone, as on the wrapped scorer
        BAKER,
    ]
    _assert_same(inc.score(first), prm.score(first), name)
    computed = inc.tokens_computed
    second = [
        _prefix(BAKER, 2, BRANCHES[0], BAKER.steps[3]),
        THIRDS,
        _prefix(BAKER, 5),
        _prefix(BAKER, 2, BRANCHES[1]),
        _prefix(THIRDS, 1),
    ]
    again = inc.score(second)
    _assert_same(again, prm.score(second), name)
    assert again[3].tokens == 0  # scored in the first call
    assert inc.tokens_computed - computed < sum(r.tokens for r in prm.score(second)) / 2
    assert inc.tokens_computed < inc.tokens_requested


def test_rows_with_different_held_lengths_run_in_one_forward_pass(request: pytest.FixtureRequest, torch: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    prm = _scorer(request, "prmkit-prm")
    inc = IncrementalScorer(prm)
    inc.score([_prefix(BAKER, 2), _prefix(THIRDS, 1)])
    head, passes = prm.heads[0], []
    run = head.run

    def spy(ids: Any, mask: Any, **kwargs: Any) -> Any:
        passes.append([int(n) for n in (mask[:, : mask.shape[1] - ids.shape[1]] == 1).sum(1)])
        return run(ids, mask, **kwargs)

    batch = [_prefix(BAKER, 4), _prefix(THIRDS, 3), Solution("2 + 2?", ("2 + 2 = 4.",))]
    monkeypatch.setattr(head, "run", spy)
    got = inc.score(batch)
    monkeypatch.undo()
    _assert_same(got, prm.score(batch), "prmkit-prm")
    assert len(passes) == 1 and len(set(passes[0])) == 3 and 0 in passes[0], passes  # 3 held lengths, 1 pass


@pytest.mark.parametrize("name", ["qwen2.5-math-prm-7b", "math-shepherd", RAW])
def test_eviction_keeps_the_scores(request: pytest.FixtureRequest, torch: Any, name: str) -> None:
    prm = _scorer(request, name)
    small, roomy = IncrementalScorer(prm, max_cached_tokens=40), IncrementalScorer(prm)
    for k in range(1, 7):
        batch = [_prefix(BAKER, k), _prefix(THIRDS, min(k, 4)), _prefix(BAKER, 2, BRANCHES[k % 2])]
        want = prm.score(batch)
        _assert_same(small.score(batch), want, name)
        _assert_same(roomy.score(batch), want, name)
        assert small.cached_tokens <= 40 < roomy.cached_tokens
    assert roomy.tokens_computed < small.tokens_computed <= small.tokens_requested


def test_forget_drops_one_problem(request: pytest.FixtureRequest, torch: Any) -> None:
    prm = _scorer(request, "skywork-prm-7b")
    inc = IncrementalScorer(prm)
    inc.score([BAKER, THIRDS])
    both = inc.cached_tokens
    inc.forget(BAKER.problem)
    assert 0 < inc.cached_tokens < both
    assert inc.score([THIRDS])[0].tokens == 0
    assert inc.score([BAKER])[0].tokens == len(render(prm.tokenizer, prm.spec, BAKER, prm.token_ids).input_ids)
    inc.forget()
    assert inc.cached_tokens == 0


def test_identity_and_info_are_the_wrapped_scorers(family: HFScorer) -> None:
    inc = IncrementalScorer(family)
    assert inc.identity == family.identity and inc.info == family.info


def test_incremental_of_a_combination_makes_its_model_members_incremental(request: pytest.FixtureRequest,
                                                                            torch: Any, tmp_path: Any) -> None:
    prm = _scorer(request, "prmkit-prm")
    arith = load_prm("arith")
    both = Combined([arith, prm])
    made, reason = incremental(both)
    assert reason is None and isinstance(made, Combined) and made.identity == both.identity
    assert made.scorers[0] is arith and isinstance(made.scorers[1], IncrementalScorer)
    batch = [_prefix(BAKER, k) for k in (2, 3, 6)]
    _assert_same(made.score(batch), both.score(batch), "arith+prmkit-prm")
    assert incremental(made.scorers[1]) == (made.scorers[1], None)
    cached, reason = incremental(CachedScorer(prm, tmp_path / "scores.sqlite"))
    assert reason is None and isinstance(cached, CachedScorer) and isinstance(cached.inner, IncrementalScorer)


def test_incremental_of_a_verifier_is_itself_with_a_reason() -> None:
    arith = load_prm("arith")
    same, reason = incremental(arith)
    assert same is arith and reason is not None and "not an hf backend scorer" in reason
    pair = Combined([arith, load_prm("arith")])
    assert incremental(pair)[0] is pair and "no member can be incremental" in str(incremental(pair)[1])

    class Whole:
        identity = "reads-ahead"
        info = ScorerInfo("reads-ahead", causal=False)

        def score(self, solutions: Any) -> list[ScoreResult]:
            return []

    whole = Whole()
    assert incremental(whole) == (whole, "reads-ahead is not causal: a step's score may read later steps")
