"""PQM and implicit-PRM training end to end on tiny real architectures, scored by the hf backend."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from _train_fixtures import arithmetic_records, write_jsonl  # noqa: E402

from prmkit.scoring import load_prm  # noqa: E402
from prmkit.training import TrainConfig, load_spec, train  # noqa: E402
from prmkit.types import Solution, StepScores  # noqa: E402

pytestmark = pytest.mark.slow


def _losses(cfg: TrainConfig) -> list[float]:
    seen: list[float] = []
    train(cfg, on_step=lambda _s, r: seen.append(r["loss"]))
    return seen


def test_pqm_trains_a_value_head_that_the_hf_backend_reads(tiny_llama: Path, tmp_path: Path) -> None:
    from prmkit.scoring._render import render
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
    transformers = pytest.importorskip("transformers")
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
    transformers = pytest.importorskip("transformers")
    from prmkit.scoring._render import render
    from prmkit.training.implicit import response_log_ratio

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
            ratio = response_log_ratio(policy(input_ids=ids).logits, ref(input_ids=ids).logits, ids, mask)
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
