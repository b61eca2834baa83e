"""The ``hf`` backend's behaviour: failures, dtypes, batching, fast readout paths, identity, loading."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _require import need_module

from prmkit.errors import ConfigError
from prmkit.scoring import get_spec, load_prm, score
from prmkit.types import ScoreFailure, Solution, StepScores

torch = need_module("torch")

from prmkit.scoring import _weights  # noqa: E402


@pytest.fixture(scope="module")
def qwen_prm(qwen_classifier: Any, qwen_prm_tok: Any) -> tuple[Any, Any]:
    return qwen_classifier(2, 11), qwen_prm_tok


@pytest.fixture(scope="module")
def shepherd(llama_lm: Any, smol_shepherd_tok: Any) -> tuple[Any, Any]:
    return llama_lm(len(smol_shepherd_tok), 21), smol_shepherd_tok


def test_load_prm_builds_the_hf_backend(qwen_prm: tuple[Any, Any]) -> None:
    model, tok = qwen_prm
    prm = load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok)
    assert type(prm).__name__ == "HFScorer"
    assert prm.max_length == model.config.max_position_embeddings == 4096


def test_context_length_fails_only_the_long_solution(qwen_prm: tuple[Any, Any], solutions: Any) -> None:
    model, tok = qwen_prm
    free = score(load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok), solutions)
    lengths = [r.tokens for r in free]
    limit = sorted(lengths)[-2]  # every solution fits but the longest
    capped = score(load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok, max_length=limit), solutions)
    longest = lengths.index(max(lengths))
    for i, (a, b) in enumerate(zip(free, capped, strict=True)):
        if i == longest:
            assert isinstance(b, ScoreFailure) and b.reason == "context_length"
            assert b.id == solutions[i].id and f"> max_length {limit}" in b.detail
        else:  # other batch neighbours: equal up to float rounding
            assert isinstance(a, StepScores) and isinstance(b, StepScores) and b.tokens == a.tokens
            assert b.scores == pytest.approx(a.scores, abs=1e-5)


def test_invalid_solutions_fail_typed_and_alone(qwen_prm: tuple[Any, Any], shepherd: tuple[Any, Any]) -> None:
    good = Solution("1+1?", ("1 + 1 = 2.",), id="ok")
    cases = {
        "reserved_text": Solution("p", ("a <extra_0> b",), id="tag"),
        "empty_step": Solution("p", ("a", "  "), id="empty"),
        "empty_solution": Solution("p", (), id="none"),
    }
    results = score(load_prm("qwen2.5-math-prm-7b", model=qwen_prm[0], tokenizer=qwen_prm[1]), [good, *cases.values()])
    assert isinstance(results[0], StepScores) and len(results[0]) == 1
    assert [(r.reason, r.id) for r in results[1:]] == [(k, s.id) for k, s in cases.items()]  # type: ignore[union-attr]
    # Math-Shepherd reserves its tag's text
    (r,) = score(load_prm("math-shepherd", model=shepherd[0], tokenizer=shepherd[1]), [Solution("p", ("x ки y",))])
    assert isinstance(r, ScoreFailure) and r.reason == "reserved_text"


def test_bfloat16_runs_and_stays_close_to_float32(qwen_prm: tuple[Any, Any], shepherd: tuple[Any, Any], solutions: Any) -> None:
    for name, (model, tok) in (("qwen2.5-math-prm-7b", qwen_prm), ("math-shepherd", shepherd)):
        fp32 = score(load_prm(name, model=model, tokenizer=tok), solutions)
        low = copy.deepcopy(model)
        bf16 = score(load_prm(name, model=low, tokenizer=tok, dtype="bfloat16"), solutions)
        assert low.dtype == torch.bfloat16
        diffs = [abs(x - y) for a, b in zip(fp32, bf16, strict=True) for x, y in zip(a.scores, b.scores, strict=True)]
        assert 0 < max(diffs) < 0.1 and sum(diffs) / len(diffs) < 0.03, name  # it ran in bf16, and close


@pytest.mark.parametrize("native_bf16", [True, False])
def test_the_spec_s_dtype_is_the_default_and_an_explicit_one_wins(
    qwen_prm: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch, native_bf16: bool
) -> None:
    monkeypatch.setattr(_weights, "cpu_has_native_bf16", lambda: native_bf16)
    model, tok = qwen_prm
    spec = replace(get_spec("qwen2.5-math-prm-7b"), dtype="bfloat16")
    # a bf16 spec runs in bf16 where the CPU multiplies bf16 natively, in fp32 where it would be emulated
    default = load_prm(spec, model=copy.deepcopy(model), tokenizer=tok)
    assert default.dtype == ("bfloat16" if native_bf16 else "float32")
    assert default.models[0].dtype == (torch.bfloat16 if native_bf16 else torch.float32)
    assert load_prm(spec, model=copy.deepcopy(model), tokenizer=tok, dtype="float32").dtype == "float32"
    assert load_prm(spec, model=copy.deepcopy(model), tokenizer=tok, dtype="bfloat16").dtype == "bfloat16"
    assert load_prm("qwen2.5-math-prm-7b", model=copy.deepcopy(model), tokenizer=tok).dtype == "float32"


def test_native_bf16_is_read_from_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    for avx512_bf16, amx, expect in ((False, False, False), (True, False, True), (False, True, True)):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=avx512_bf16: v, raising=False)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v, raising=False)
        assert _weights.cpu_has_native_bf16() is expect
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    assert _weights.cpu_has_native_bf16() is True  # not x86: the spec's dtype stands


def test_batches_are_formed_under_the_token_budget(qwen_prm: tuple[Any, Any], solutions: Any) -> None:
    model, tok = qwen_prm
    big = load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok, batch_tokens=10**6)
    small = load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok, batch_tokens=300)
    shapes: list[tuple[int, ...]] = []
    hook = model.model.register_forward_hook(
        lambda m, args, kw, out: shapes.append(tuple(kw["input_ids"].shape)), with_kwargs=True
    )
    try:
        one = score(big, solutions)
        big_shapes, shapes[:] = list(shapes), []
        many = score(small, solutions)
    finally:
        hook.remove()
    assert big_shapes == [(len(solutions), max(r.tokens for r in one))]
    assert len(shapes) > 2
    assert all(rows == 1 or rows * width <= 300 for rows, width in shapes)
    assert sum(rows for rows, _ in shapes) == len(solutions)
    for a, b in zip(one, many, strict=True):
        assert b.scores == pytest.approx(a.scores, abs=1e-6)


def test_tag_logits_never_runs_the_full_lm_head(shepherd: tuple[Any, Any], solutions: Any) -> None:
    model, tok = shepherd
    prm = load_prm("math-shepherd", model=model, tokenizer=tok)
    calls: list[Any] = []
    hook = model.get_output_embeddings().register_forward_hook(lambda *a: calls.append(a))
    try:
        results = score(prm, solutions)
    finally:
        hook.remove()
    assert calls == [] and all(isinstance(r, StepScores) for r in results)


def test_score_head_sees_only_the_readout_positions(qwen_prm: tuple[Any, Any], solutions: Any) -> None:
    model, tok = qwen_prm
    prm = load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok, batch_tokens=16384)  # one batch
    rows: list[int] = []
    hook = model.score.register_forward_hook(lambda m, args, out: rows.append(args[0].shape[0]))
    try:
        score(prm, solutions)
    finally:
        hook.remove()
    assert rows == [sum(s.n_steps for s in solutions)]


def test_catalog_beta_and_sigmoid_are_applied(qwen_lm: Any, qwen_tok: Any, solutions: Any) -> None:
    policy, reference = qwen_lm(51), qwen_lm(52)
    for name in ("eurus-prm-stage1", "eurus-prm-stage2"):
        spec = get_spec(name)
        raw = score(load_prm(replace(spec, beta=1.0, sigmoid=False), model=policy, reference_model=reference, tokenizer=qwen_tok), solutions[:2])
        cat = score(load_prm(spec, model=policy, reference_model=reference, tokenizer=qwen_tok), solutions[:2])
        for a, b in zip(raw, cat, strict=True):
            assert b.scores == pytest.approx([1 / (1 + math.exp(-0.001 * x)) for x in a.scores], abs=1e-9)
            assert b.tokens == a.tokens and b.tokens % 2 == 0  # both models read every token


def test_log_ratio_needs_a_reference_model(qwen_lm: Any, qwen_tok: Any) -> None:
    with pytest.raises(ConfigError, match="reference_model"):
        load_prm("implicit-prm", model=qwen_lm(51), tokenizer=qwen_tok)


def test_a_marker_that_is_not_one_token_is_a_config_error(llama_lm: Any, smol_tok: Any) -> None:
    with pytest.raises(ConfigError, match="ки"):
        load_prm("math-shepherd", model=llama_lm(49152, 21), tokenizer=smol_tok)


def test_value_head_needs_one_output(qwen_classifier: Any, qwen_tok: Any) -> None:
    with pytest.raises(ConfigError, match="1-output"):
        load_prm("skywork-prm-7b", model=qwen_classifier(2, 41), tokenizer=qwen_tok)


def test_identity_follows_weights_dtype_and_spec(qwen_classifier: Any, qwen_prm_tok: Any) -> None:
    a, b = qwen_classifier(2, 11), qwen_classifier(2, 12)

    def ident(spec: str, model: Any, **kw: Any) -> str:
        return load_prm(spec, model=model, tokenizer=qwen_prm_tok, **kw).identity

    first = ident("qwen2.5-math-prm-7b", a)
    assert first == ident("qwen2.5-math-prm-7b", qwen_classifier(2, 11))
    assert first.startswith("hf:qwen2.5-math-prm-7b:" + get_spec("qwen2.5-math-prm-7b").fingerprint())
    assert first != ident("qwen2.5-math-prm-7b", b)
    assert first != ident("qwen2.5-math-prm-72b", a)
    assert first != ident("qwen2.5-math-prm-7b", copy.deepcopy(a), dtype="bfloat16")


def test_skywork_checkpoint_folder_loads_as_a_value_model(qwen_lm: Any, qwen_tok: Any, solutions: Any, tmp_path: Path) -> None:
    """A causal LM + ``v_head.summary`` checkpoint (Skywork-o1-Open-PRM's layout) scores as sigmoid(value head)."""
    from safetensors.torch import save_file

    lm = qwen_lm(71)
    g = torch.Generator().manual_seed(72)
    v_w, v_b = 0.2 * torch.randn(1, 32, generator=g), 0.2 * torch.randn(1, generator=g)
    state = {k: v.clone().contiguous() for k, v in lm.state_dict().items()}
    state |= {"v_head.summary.weight": v_w, "v_head.summary.bias": v_b}
    save_file(state, str(tmp_path / "model.safetensors"))
    lm.config.save_pretrained(tmp_path)

    prm = load_prm("skywork-prm-7b", model=str(tmp_path), tokenizer=qwen_tok, batch_tokens=400)
    results = score(prm, solutions)
    sol, got = solutions[0], results[0]
    newline = qwen_tok.encode("\n")[-1]
    ids = qwen_tok.encode(sol.problem + "\n")
    ends = []
    for step in sol.steps:
        ids += [*qwen_tok.encode(step.strip()), newline]
        ends.append(len(ids) - 1)
    with torch.inference_mode():
        hidden = lm(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states[-1][0]
        want = torch.sigmoid(hidden[ends] @ v_w.T + v_b)[:, 0].tolist()
    assert got.scores == pytest.approx(want, abs=1e-5)
    assert prm.identity != load_prm("skywork-prm-7b", model=str(tmp_path), tokenizer=qwen_tok, dtype="bfloat16").identity


def test_a_loaded_model_needs_its_tokenizer(qwen_classifier: Any) -> None:
    with pytest.raises(ConfigError, match="tokenizer"):
        load_prm("qwen2.5-math-prm-7b", model=qwen_classifier(2, 11))


def test_softcapped_lm_logits_keep_the_fast_path_exact(smol_shepherd_tok: Any, seed_weights: Any, solutions: Any) -> None:
    """Gemma 2 soft-caps its logits: the two-row readout applies the cap and still equals the full forward."""
    from transformers import Gemma2Config, Gemma2ForCausalLM

    tok = smol_shepherd_tok
    cfg = Gemma2Config(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=8, final_logit_softcapping=2.0, sliding_window=64,
    )
    model = seed_weights(Gemma2ForCausalLM(cfg), 81)
    prm = load_prm("math-shepherd", model=model, tokenizer=tok)
    assert prm._heads[0].fast
    plus, minus = tok.encode("+", add_special_tokens=False)[-1], tok.encode("-", add_special_tokens=False)[-1]
    tag = tok.convert_tokens_to_ids(" ки")
    results = score(prm, solutions)
    with torch.inference_mode():
        for sol, got in zip(solutions, results, strict=True):
            text = f"{sol.problem} " + "\n".join(f"{s} ки" for s in sol.steps)
            ids = torch.tensor([[tok.bos_token_id, *tok.encode(text, add_special_tokens=False)]])
            probs = model(input_ids=ids).logits[0][:, [plus, minus]].softmax(-1)[:, 0]
            assert got.scores == pytest.approx(probs[ids[0] == tag].tolist(), abs=1e-5)
        uncapped = model.lm_head(model.model(input_ids=ids).last_hidden_state)
    assert uncapped.abs().max() > 4.0  # the cap of 2 really bends these logits


def test_full_forward_fallback_gives_the_same_scores(shepherd: tuple[Any, Any], qwen_prm: tuple[Any, Any], solutions: Any) -> None:
    for name, (model, tok) in (("math-shepherd", shepherd), ("qwen2.5-math-prm-7b", qwen_prm)):
        prm = load_prm(name, model=model, tokenizer=tok, batch_tokens=500)
        fast = score(prm, solutions)
        prm._heads[0].fast = False  # what an architecture with unknown logit post-processing gets
        slow = score(prm, solutions)
        for a, b in zip(fast, slow, strict=True):
            assert b.scores == pytest.approx(a.scores, abs=1e-5)


@pytest.mark.slow
def test_compile_keeps_the_scores(qwen_prm: tuple[Any, Any], solutions: Any) -> None:
    model, tok = qwen_prm
    eager = score(load_prm("qwen2.5-math-prm-7b", model=model, tokenizer=tok), solutions)
    scorer = load_prm("qwen2.5-math-prm-7b", model=copy.deepcopy(model), tokenizer=tok, compile=True)
    assert type(scorer._heads[0].base).__name__ == "OptimizedModule"  # type: ignore[attr-defined]
    compiled = score(scorer, solutions)
    diffs = [abs(x - y) for a, b in zip(eager, compiled, strict=True) for x, y in zip(a.scores, b.scores, strict=True)]
    assert max(diffs) < 1e-5


def test_weights_fingerprint_samples_inside_tensors_float32_cannot_index() -> None:
    """float32 linspace rounded the last index of a 2**24+4-element tensor past its end (Qwen's embedding hit this)."""
    from prmkit.scoring.hf_load import weights_fingerprint

    big = torch.nn.Module()
    big.w = torch.nn.Parameter(torch.zeros(2**24 + 4, dtype=torch.bfloat16), requires_grad=False)
    a = weights_fingerprint(big)
    with torch.no_grad():
        big.w[-1] = 1.0  # the last element is sampled
    assert weights_fingerprint(big) != a
