"""PQM and implicit-PRM training end to end on tiny real architectures, scored by the hf backend."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from _require import need_module

torch = need_module("torch")
need_module("transformers")
need_module("peft")

from _train_fixtures import arithmetic_records, write_jsonl  # noqa: E402

from prmkit.scoring import load_prm  # noqa: E402
from prmkit.training import TrainConfig, load_spec, train  # noqa: E402
from prmkit.types import Solution, StepScores  # noqa: E402

pytestmark = pytest.mark.slow


def _naive_log_ratio(policy: Any, ref: Any, ids: Any, mask: Any) -> Any:
    """A3/E3 by the book: full logits of both models, fp32 log-softmax, summed over response tokens."""
    total = torch.zeros(ids.shape[0])
    for sign, m in ((1.0, policy), (-1.0, ref)):
        logp = torch.log_softmax(m(input_ids=ids).logits[:, :-1].float(), dim=-1)
        picked = logp.gather(-1, ids[:, 1:, None])[..., 0]
        total = total + sign * (picked * mask[:, 1:]).sum(dim=1)
    return total


def test_gathered_response_logprobs_equal_the_full_forward(tiny_llama: Path) -> None:
    transformers = need_module("transformers")
    from prmkit.training._model import build_model
    from prmkit.training.implicit import per_row_sum, response_logprobs

    torch.manual_seed(0)
    cfg = TrainConfig(train_path="t", model=str(tiny_llama), output_dir="o", loss="implicit", lora_r=4)
    model = build_model(cfg)
    with torch.no_grad():  # make the adapters non-zero so the policy differs from the base
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)
    ids = torch.randint(0, 49152, (2, 12))
    mask = torch.zeros_like(ids, dtype=torch.bool)
    mask[0, 3:12] = True
    mask[1, 5:9] = True
    fast = per_row_sum(response_logprobs(model, ids, torch.ones_like(ids), mask), mask)
    base = transformers.AutoModelForCausalLM.from_pretrained(str(tiny_llama))
    ref = per_row_sum(response_logprobs(base, ids, torch.ones_like(ids), mask), mask)
    want = _naive_log_ratio(model, base, ids, mask)
    assert (fast - ref).tolist() == pytest.approx(want.tolist(), abs=1e-4)
    # gradients through the checkpointed chunks equal those of the full forward
    params = [p for p in model.parameters() if p.requires_grad]
    g_fast = torch.autograd.grad(fast.sum(), params)
    g_full = torch.autograd.grad(_naive_log_ratio(model, base, ids, mask).sum(), params, allow_unused=True)
    for a, b in zip(g_fast, g_full, strict=True):
        assert b is not None and torch.allclose(a, b, atol=1e-5)


def _losses(cfg: TrainConfig) -> list[float]:
    seen: list[float] = []
    train(cfg, on_step=lambda _s, r: seen.append(r["loss"]))
    return seen


def test_pqm_trains_a_value_head_that_the_hf_backend_reads(tiny_llama: Path, tmp_path: Path) -> None:
    from prmkit.scoring.render import render
    from prmkit.training._model import load_tokenizer

    recs = arithmetic_records(8, seed=1)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    cfg = TrainConfig(
        train_path=str(data), model=str(tiny_llama), output_dir=str(tmp_path / "o"), loss="pqm", zeta=2.0,
        trainable="full", learning_rate=3e-3, batch_size=4, max_steps=16, progress=False, threads=1,
        step_marker="\n\n",
    )
    seen = _losses(cfg)
    assert sum(seen[-4:]) < sum(seen[:4])  # the ranking loss goes down
    spec = load_spec(tmp_path / "o")
    assert (spec.readout, spec.format, spec.step_marker) == ("value_head", "segments", "\n\n")
    prm = load_prm(spec)
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    got = prm.score(sols)
    # the same numbers straight from the exported weights: sigmoid(Q) at each separator
    transformers = need_module("transformers")
    model = transformers.AutoModelForTokenClassification.from_pretrained(str(tmp_path / "o")).eval()
    assert model.config.num_labels == 1
    tok = load_tokenizer(cfg)
    for g, s in zip(got, sols, strict=True):
        r = render(tok, spec, s)
        with torch.no_grad():
            q = model(input_ids=torch.tensor([r.input_ids])).logits[0, list(r.positions), 0]
        assert isinstance(g, StepScores)
        assert g.scores == pytest.approx(torch.sigmoid(q).tolist(), abs=1e-5)


def test_implicit_prm_trains_on_outcomes_and_scores_by_log_ratio(tiny_llama: Path, tmp_path: Path) -> None:
    transformers = need_module("transformers")
    from prmkit.scoring.render import render

    recs = arithmetic_records(8, seed=2)
    for r in recs:
        r.pop("labels")  # outcome labels only
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    val = write_jsonl(tmp_path / "v.jsonl", arithmetic_records(3, seed=5))  # stepwise labels, for ProcessBench F1
    beta = 0.5
    cfg = TrainConfig(
        train_path=str(data), model=str(tiny_llama), output_dir=str(tmp_path / "o"), loss="implicit", beta=beta,
        learning_rate=2e-2, lora_r=4, batch_size=4, max_steps=8, progress=False, threads=1, val_path=str(val),
    )
    seen: list[float] = []
    result = train(cfg, on_step=lambda _s, r: seen.append(r["loss"]))
    assert sum(seen[-2:]) < sum(seen[:2])  # two epochs: the second fits the outcomes better
    assert result.validation["n"] == 3 and result.validation["failures"] == 0  # scored by log_ratio during training
    out = tmp_path / "o"
    spec = load_spec(out)
    assert (spec.readout, spec.format, spec.beta, spec.cumulative) == ("log_ratio", "chat", beta, True)
    assert spec.reference_model == str((out / "reference").resolve())
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    # the scoring core's log_ratio readout, given the policy and reference folders explicitly
    got = load_prm(spec, model=str(out), reference_model=str(out / "reference")).score(sols)
    policy = transformers.AutoModelForCausalLM.from_pretrained(str(out)).eval()
    ref = transformers.AutoModelForCausalLM.from_pretrained(str(out / "reference")).eval()
    base = transformers.AutoModelForCausalLM.from_pretrained(str(tiny_llama)).eval()
    assert all(torch.equal(a, b) for a, b in zip(ref.state_dict().values(), base.state_dict().values(), strict=True))
    tok = transformers.AutoTokenizer.from_pretrained(str(out))
    for g, s in zip(got, sols, strict=True):
        assert isinstance(g, StepScores) and len(g.scores) == 3
        r = render(tok, spec, s)
        ids = torch.tensor([r.input_ids])
        mask = torch.zeros_like(ids, dtype=torch.bool)
        mask[0, r.spans[0][0] : r.spans[-1][1]] = True
        with torch.no_grad():
            ratio = _naive_log_ratio(policy, ref, ids, mask)
        # the last cumulative step score is sigma(r) of the whole response: the quantity the loss trained
        assert g.scores[-1] == pytest.approx(1 / (1 + math.exp(-beta * ratio.item())), abs=1e-5)
    # the model moved away from the reference: the log-ratio is not 0 everywhere
    assert any(abs(x - 0.5) > 1e-3 for g in got if isinstance(g, StepScores) for x in g.scores)


def test_implicit_needs_outcome_labels(tiny_qwen2: Path, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "q", "completions": ["a"], "labels": [1]}])
    cfg = TrainConfig(train_path=str(data), model=str(tiny_qwen2), output_dir=str(tmp_path / "o"), loss="implicit", progress=False)
    with pytest.raises(ValueError, match=r"t.jsonl:1: field 'outcome'"):
        train(cfg)


def test_implicit_without_a_saved_reference_points_at_the_base(tiny_llama: Path, tmp_path: Path) -> None:
    recs = arithmetic_records(2, seed=3)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    out = tmp_path / "o"
    cfg = TrainConfig(train_path=str(data), model=str(tiny_llama), output_dir=str(out), loss="implicit",
                      save_reference=False, max_steps=1, progress=False, threads=1)
    train(cfg)
    assert not (out / "reference").exists()
    spec = load_spec(out)
    assert spec.reference_model == str(tiny_llama.resolve()) and spec.model == str(out.resolve())
    got = load_prm(spec).score([Solution(r["prompt"], tuple(r["completions"])) for r in recs])  # type: ignore[arg-type]
    assert [len(g.scores) for g in got if isinstance(g, StepScores)] == [3, 3]
