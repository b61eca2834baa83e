"""The training loop on tiny real architectures: exact resume, soft labels, export parity, validation."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from _require import need_module

torch = need_module("torch")
need_module("transformers")
need_module("peft")

from _train_fixtures import arithmetic_records, write_jsonl  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from prmkit.errors import ConfigError  # noqa: E402
from prmkit.scoring import load_prm  # noqa: E402
from prmkit.training import TrainConfig, load_spec, losses, train  # noqa: E402
from prmkit.training._checkpoint import latest_checkpoint  # noqa: E402
from prmkit.types import Solution, StepScores  # noqa: E402

pytestmark = pytest.mark.slow


def _cfg(data: Path, model: Path, out: Path, **kw: Any) -> TrainConfig:
    base: dict[str, Any] = dict(
        train_path=str(data), model=str(model), output_dir=str(out), batch_size=2, learning_rate=5e-3,
        progress=False, threads=1, seed=3,
    )
    return TrainConfig(**{**base, **kw})


class Interrupt(Exception):
    pass


def _stop_at(step: int):  # type: ignore[no-untyped-def]
    def cb(s: int, _rec: dict[str, Any]) -> None:
        if s == step:
            raise Interrupt

    return cb


def _weights(out: Path) -> dict[str, Any]:
    return load_file(str(out / "model.safetensors"))


@pytest.mark.parametrize("trainable", ["lora", "top_layers"])
def test_interrupted_and_resumed_run_ends_bit_identical(tiny_qwen2: Path, tmp_path: Path, trainable: str) -> None:
    data = write_jsonl(tmp_path / "t.jsonl", arithmetic_records(10))
    kw = dict(trainable=trainable, top_layers=1, lora_dropout=0.1, grad_accum=2, max_steps=6, save_every=3,
              warmup_steps=2, weight_decay=0.01, lora_r=4)
    full = train(_cfg(data, tiny_qwen2, tmp_path / "full", **kw))
    cfg = _cfg(data, tiny_qwen2, tmp_path / "cut", **kw)
    with pytest.raises(Interrupt):
        train(cfg, on_step=_stop_at(4))  # dies after step 4; the checkpoint of step 3 survives
    ckpt = latest_checkpoint(tmp_path / "cut" / "checkpoints")
    assert ckpt is not None and ckpt.name == "step-000003"
    resumed = train(cfg)
    assert (full.steps_this_run, resumed.steps_this_run) == (6, 3)
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "cut")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the run really trained, with dropout and shuffling in play: weights moved away from the start
    base = load_file(str(tiny_qwen2 / "model.safetensors"))
    moved = [k for k in base if "layers.1." in k and k in a and not torch.equal(a[k], base[k])]
    assert moved
    # a resume without the checkpointed RNG state would not match: prove the test can fail
    cfg2 = _cfg(data, tiny_qwen2, tmp_path / "other-seed", **{**kw, "seed": 4})
    train(cfg2)
    c = _weights(tmp_path / "other-seed")
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resume_refuses_a_changed_config(tiny_qwen2: Path, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "t.jsonl", arithmetic_records(4))
    train(_cfg(data, tiny_qwen2, tmp_path / "o", max_steps=1))
    with pytest.raises(ConfigError, match=r"learning_rate: checkpoint 0\.005, now 0\.001"):
        train(_cfg(data, tiny_qwen2, tmp_path / "o", max_steps=1, learning_rate=1e-3))
    # with resume off, the same folder trains afresh
    assert train(_cfg(data, tiny_qwen2, tmp_path / "o", max_steps=1, learning_rate=1e-3, resume=False)).steps_this_run == 1


def test_resume_refuses_changed_training_data(tiny_qwen2: Path, tmp_path: Path) -> None:
    # same path, same config, other examples (here: one label flipped): the checkpoint is not this run's
    records = arithmetic_records(4)
    data = write_jsonl(tmp_path / "t.jsonl", records)
    train(_cfg(data, tiny_qwen2, tmp_path / "o", max_steps=1))
    records[2]["labels"] = [not v for v in records[2]["labels"]]  # type: ignore[union-attr]
    write_jsonl(data, records)
    with pytest.raises(ConfigError, match=r"cannot resume, the config changed \(train_data: checkpoint '[0-9a-f]{16}', now"):
        train(_cfg(data, tiny_qwen2, tmp_path / "o", max_steps=1))


def test_soft_labels_reach_the_loss_as_floats(tiny_qwen2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = losses.step_bce

    def spy(logits: Any, targets: Any, **kw: Any) -> Any:
        seen.append(targets.detach().clone())
        return real(logits, targets, **kw)

    monkeypatch.setattr(losses, "step_bce", spy)
    first_loss = {}
    for y in (0.0, 0.25, 1.0):
        rec = {"prompt": "What is 2 + 2?", "completions": ["2 + 2 = 4.", "The answer is 4."], "labels": [y, y]}
        data = write_jsonl(tmp_path / f"s{y}.jsonl", [rec])
        got: list[float] = []
        train(_cfg(data, tiny_qwen2, tmp_path / f"o{y}", loss="soft_bce", max_steps=1),
              on_step=lambda s, r, got=got: got.append(r["loss"]))
        first_loss[y] = got[0]
    assert [t.dtype for t in seen] == [torch.float32] * 3
    assert [t.tolist() for t in seen] == [[0.0, 0.0], [0.25, 0.25], [1.0, 1.0]]
    assert len({round(v, 6) for v in first_loss.values()}) == 3
    # a hard-label loss refuses the same file instead of rounding it, unless told how to threshold it
    with pytest.raises(ValueError, match="hard-label losses"):
        train(_cfg(tmp_path / "s0.25.jsonl", tiny_qwen2, tmp_path / "h", loss="bce", max_steps=1))
    seen.clear()
    train(_cfg(tmp_path / "s0.25.jsonl", tiny_qwen2, tmp_path / "h", loss="bce", max_steps=1, label_threshold=0.0))
    assert [t.tolist() for t in seen] == [[1.0, 1.0]]


@pytest.mark.parametrize("trainable", ["lora", "head"])
def test_unlabelled_steps_are_read_but_never_reach_the_loss(
    tiny_qwen2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trainable: str
) -> None:
    seen: dict[str, tuple[Any, list[float]]] = {}
    real = losses.step_bce
    run = ""

    def spy(logits: Any, targets: Any, **kw: Any) -> Any:
        seen[run] = (logits.detach().clone(), targets.tolist())
        return real(logits, targets, **kw)

    monkeypatch.setattr(losses, "step_bce", spy)
    for run, first in (("null", None), ("true", True)):
        rec = {"prompt": "What is 2 + 2?", "completions": ["2 + 2 = 5.", "The answer is 5."], "labels": [first, False]}
        data = write_jsonl(tmp_path / f"{run}.jsonl", [rec])
        train(_cfg(data, tiny_qwen2, tmp_path / run, trainable=trainable, max_steps=1, layers=1 if trainable == "head" else None))
    (lg_null, y_null), (lg_both, y_both) = seen["null"], seen["true"]
    assert (y_null, y_both) == ([0.0], [1.0, 0.0])
    # the unlabelled step stays in the text: the last step reads the same hidden state in both runs
    assert lg_null.shape[0] == 1 and torch.allclose(lg_null[0], lg_both[1], atol=1e-6)


def test_pqm_skips_unlabelled_steps(tiny_llama: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[list[int]]] = []
    real = losses.pqm_loss

    def spy(q: Any, labels: Any, **kw: Any) -> Any:
        seen.append(labels.tolist())
        return real(q, labels, **kw)

    monkeypatch.setattr(losses, "pqm_loss", spy)
    rec = {"prompt": "What is 2 + 2?", "completions": ["2 + 2 = 4.", "4 - 1 = 5.", "So 5."], "labels": [True, None, False]}
    data = write_jsonl(tmp_path / "p.jsonl", [rec])
    train(_cfg(data, tiny_llama, tmp_path / "o", loss="pqm", max_steps=1))
    assert seen == [[[1, losses.PAD_LABEL, 0]]]


def _marker_probs(model: Any, tok: Any, spec: Any, sols: list[Solution]) -> list[list[float]]:
    from prmkit.scoring.render import render

    out = []
    for s in sols:
        r = render(tok, spec, s)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([r.input_ids])).logits[0]
        out.append(torch.softmax(logits[list(r.positions)].float(), -1)[:, 1].tolist())
    return out


def test_exported_classifier_scores_like_the_training_forward(tiny_qwen2: Path, tmp_path: Path) -> None:
    from prmkit.training._checkpoint import load_checkpoint  # noqa: F401  (documents the path under test)
    from prmkit.training._model import build_model, load_tokenizer
    from prmkit.training.export import training_spec

    recs = arithmetic_records(8)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    val = tmp_path / "val.json"
    val.write_text(json.dumps([{"id": r["id"], "problem": r["prompt"], "steps": r["completions"],
                                "label": next((i for i, v in enumerate(r["labels"]) if not v), -1)} for r in recs]))
    cfg = _cfg(data, tiny_qwen2, tmp_path / "o", max_steps=4, save_every=4, val_path=str(val), val_every=2)
    result = train(cfg)
    # the training-time model, rebuilt from the final checkpoint (LoRA not merged)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).eval()
    ckpt = latest_checkpoint(tmp_path / "o" / "checkpoints")
    assert ckpt is not None
    weights = load_file(str(ckpt / "trainable.safetensors"))
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in weights:
                p.copy_(weights[n])
    tok, spec = load_tokenizer(cfg), training_spec(cfg)
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    want = _marker_probs(model, tok, spec, sols)
    # the exported folder, loaded unchanged by the hf backend
    prm = load_prm(load_spec(tmp_path / "o"))
    got = prm.score(sols)
    assert all(isinstance(g, StepScores) for g in got)
    for g, w in zip(got, want, strict=True):
        assert g.scores == pytest.approx(w, abs=1e-5)
    # validation ran through the scorer at steps 2 and 4 and agrees with scoring the export
    log = [json.loads(x) for x in (tmp_path / "o" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val_f1" in r] == [2, 4]
    from prmkit.training._validate import first_error_f1, step_auc

    fe = [next((i for i, v in enumerate(r["labels"]) if not v), -1) for r in recs]
    assert result.validation["f1"] == pytest.approx(first_error_f1(got, fe, 0.5)["f1"])
    assert result.validation["step_auc"] == pytest.approx(step_auc(got, fe))


def test_validation_mid_run_leaves_the_training_weights_in_float32(tiny_qwen2: Path, tmp_path: Path) -> None:
    """prmkit-prm's spec scores in bf16; validating the model in hand must not cast it (the optimizer's
    fp32 state then met bf16 gradients and training stopped after the first validation)."""
    recs = arithmetic_records(6)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    val = tmp_path / "val.json"
    val.write_text(json.dumps([{"problem": r["prompt"], "steps": r["completions"],
                                "label": next((i for i, v in enumerate(r["labels"]) if not v), -1)} for r in recs]))
    out = tmp_path / "o"
    cfg = _cfg(data, tiny_qwen2, out, spec="prmkit-prm", trainable="lora", bf16=True, max_steps=3, save_every=3,
               val_path=str(val), val_every=1)
    result = train(cfg)
    assert result.steps == 3
    log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val_f1" in r] == [1, 2, 3]
    assert all(0.0 <= r["val_step_auc"] <= 1.0 for r in log if "val_f1" in r)
    ckpt = latest_checkpoint(out / "checkpoints")
    assert ckpt is not None
    assert {str(t.dtype) for t in load_file(str(ckpt / "trainable.safetensors")).values()} == {"torch.float32"}


def test_step_auc_is_the_pairwise_probability_over_labelled_steps() -> None:
    from prmkit.training._validate import step_auc
    from prmkit.types import ScoreFailure

    rng = random.Random(3)
    results = [StepScores(tuple(rng.choice((0.1, 0.3, 0.5, 0.7, 0.9)) for _ in range(rng.randint(1, 6)))) for _ in range(60)]
    first = [rng.randint(-1, len(r.scores) - 1) for r in results]
    pos = [v for r, f in zip(results, first, strict=True) for v in (r.scores if f < 0 else r.scores[:f])]
    neg = [r.scores[f] for r, f in zip(results, first, strict=True) if f >= 0]
    brute = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
    assert step_auc(results, first) == pytest.approx(brute, abs=1e-12)
    # steps after the first error carry no label; a failed solution is left out
    assert step_auc([StepScores((0.9, 0.2, 0.99)), ScoreFailure("context_length", "x")], [1, -1]) == 1.0
    assert math.isnan(step_auc([StepScores((0.9, 0.8))], [-1]))


def test_save_adapter_writes_a_peft_adapter_that_reproduces_the_export(tiny_qwen2: Path, tmp_path: Path) -> None:
    peft = need_module("peft")
    transformers = need_module("transformers")
    from prmkit.training._model import load_tokenizer
    from prmkit.training.export import training_spec

    recs = arithmetic_records(4)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    cfg = _cfg(data, tiny_qwen2, tmp_path / "o", max_steps=2, save_adapter=True)
    train(cfg)
    assert (tmp_path / "o" / "adapter" / "adapter_config.json").exists()
    assert not (tmp_path / "p" / "adapter").exists()
    base = transformers.AutoModelForTokenClassification.from_pretrained(str(tiny_qwen2), num_labels=2)
    model = peft.PeftModel.from_pretrained(base, str(tmp_path / "o" / "adapter")).eval()
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    want = _marker_probs(model, load_tokenizer(cfg), training_spec(cfg), sols)
    got = load_prm(load_spec(tmp_path / "o")).score(sols)
    for g, w in zip(got, want, strict=True):
        assert isinstance(g, StepScores) and g.scores == pytest.approx(w, abs=1e-5)
    train(_cfg(data, tiny_qwen2, tmp_path / "p", max_steps=1))
    assert not (tmp_path / "p" / "adapter").exists()


def test_head_on_a_cut_frozen_backbone_trains_resumes_and_exports_a_small_folder(tiny_qwen2: Path, tmp_path: Path) -> None:
    transformers = need_module("transformers")
    from prmkit.training._model import load_tokenizer
    from prmkit.training.export import training_spec

    recs = arithmetic_records(10)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    kw = dict(trainable="head", layers=1, max_steps=6, save_every=3, grad_accum=2, learning_rate=5e-2, save_head=True)
    full = train(_cfg(data, tiny_qwen2, tmp_path / "full", **kw))
    cfg = _cfg(data, tiny_qwen2, tmp_path / "cut", **kw)
    with pytest.raises(Interrupt):
        train(cfg, on_step=_stop_at(4))
    parts = sorted((tmp_path / "cut" / "features").glob("part-*.pt"))
    assert parts
    stamp = [p.stat().st_mtime_ns for p in parts]
    resumed = train(cfg)
    assert (full.steps_this_run, resumed.steps_this_run) == (6, 3)
    assert [p.stat().st_mtime_ns for p in parts] == stamp  # the features were read back, not recomputed
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "cut")
    assert all(torch.equal(a[k], b[k]) for k in a)
    # one block kept; the backbone is the pretrained one, only the head moved
    base = load_file(str(tiny_qwen2 / "model.safetensors"))
    assert not any("layers.1." in k for k in a) and any("layers.0." in k for k in a)
    assert all(torch.equal(a[k], base[k]) for k in a if k.startswith("model."))
    # the reference: the pretrained model cut by hand, with the trained head
    ref = transformers.AutoModelForTokenClassification.from_pretrained(str(tiny_qwen2), num_labels=2)
    del ref.model.layers[1:]
    ref.score.load_state_dict({"weight": a["score.weight"], "bias": a["score.bias"]})
    ref.eval()
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    want = _marker_probs(ref, load_tokenizer(cfg), training_spec(cfg), sols)
    head_dir = tmp_path / "full" / "head"
    assert sum(f.stat().st_size for f in head_dir.iterdir()) < 20_000
    for folder in (tmp_path / "full", head_dir):
        got = load_prm(load_spec(folder)).score(sols)
        for g, w in zip(got, want, strict=True):
            assert isinstance(g, StepScores) and g.scores == pytest.approx(w, abs=1e-5)
    assert want != _marker_probs(transformers.AutoModelForTokenClassification.from_pretrained(
        str(tiny_qwen2), num_labels=2).eval(), load_tokenizer(cfg), training_spec(cfg), sols)


def test_lora_head_folder_merges_its_factors_into_the_cut_backbone(tiny_qwen2: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from prmkit.scoring.hf_load import LORA_FILE

    recs = arithmetic_records(6)
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    cfg = _cfg(data, tiny_qwen2, tmp_path / "o", trainable="lora", layers=1, lora_r=4, max_steps=3,
               learning_rate=5e-2, lora_targets=("q_proj", "v_proj", "down_proj"), save_head=True)
    train(cfg)
    head_dir = tmp_path / "o" / "head"
    meta = json.loads((head_dir / "prmkit_head.json").read_text())
    assert meta["lora"] == {"file": LORA_FILE, "r": 4, "alpha": cfg.lora_alpha,
                            "targets": ["q_proj", "v_proj", "down_proj"], "modules": 3}
    factors = load_file(str(head_dir / LORA_FILE))
    assert sorted(factors) == sorted(f"model.layers.0.{m}.lora_{x}" for m in ("self_attn.q_proj", "self_attn.v_proj",
                                                                             "mlp.down_proj") for x in "AB")
    assert all(v.dtype == torch.float16 for v in factors.values())
    # the folder holds no backbone weights: the factors, the head and the metadata only
    assert sum(f.stat().st_size for f in head_dir.iterdir()) < 60_000
    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]  # type: ignore[arg-type]
    merged_scores = load_prm(load_spec(tmp_path / "o")).score(sols)
    head_scores = load_prm(load_spec(head_dir)).score(sols)
    for g, w in zip(head_scores, merged_scores, strict=True):
        assert isinstance(g, StepScores) and isinstance(w, StepScores)
        assert g.scores == pytest.approx(w.scores, abs=2e-3)  # factors stored in float16
    # without the factors the cut backbone scores differently: the adapters did move the model
    meta.pop("lora")
    (head_dir / "prmkit_head.json").write_text(json.dumps(meta))
    bare = load_prm(load_spec(head_dir)).score(sols)
    assert any(b.scores != pytest.approx(w.scores, abs=2e-3) for b, w in zip(bare, merged_scores, strict=True))  # type: ignore[union-attr]
    # a factor that does not fit its weight is an error naming the file and the module
    meta["lora"] = {"file": LORA_FILE}
    (head_dir / "prmkit_head.json").write_text(json.dumps(meta))
    factors["model.layers.0.self_attn.q_proj.lora_A"] = factors["model.layers.0.self_attn.q_proj.lora_A"][:, :-1].contiguous()
    save_file(factors, str(head_dir / LORA_FILE))
    with pytest.raises(ConfigError, match=r"lora.safetensors: 'model.layers.0.self_attn.q_proj'"):
        load_prm(load_spec(head_dir)).score(sols[:1])


def test_a_head_folder_given_as_model_is_read_at_its_fitted_threshold(tiny_qwen2: Path, tmp_path: Path) -> None:
    from prmkit.scoring.arith import ArithVerifier
    from prmkit.scoring.combine import Combined, decision_threshold
    from prmkit.scoring.hf import HFScorer

    data = write_jsonl(tmp_path / "t.jsonl", arithmetic_records(4))
    train(_cfg(data, tiny_qwen2, tmp_path / "o", trainable="head", layers=1, max_steps=1, save_head=True))
    spec, head_dir = load_spec(tmp_path / "o"), tmp_path / "o" / "head"
    meta_path = head_dir / "prmkit_head.json"
    meta = json.loads(meta_path.read_text())
    meta["threshold"] = 0.7  # what scripts/fit_threshold.py writes
    meta_path.write_text(json.dumps(meta))
    assert spec.threshold == 0.5
    assert decision_threshold(HFScorer(spec)) == 0.5  # the spec's own weights: the spec's threshold
    other = HFScorer(spec, model=str(head_dir))
    assert other.threshold == 0.7 and decision_threshold(Combined([ArithVerifier(), other])) == 0.7
    meta.pop("threshold")
    meta_path.write_text(json.dumps(meta))
    assert decision_threshold(HFScorer(spec, model=str(head_dir))) == 0.5  # nothing fitted: the spec's
    meta["threshold"] = "high"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match=r"prmkit_head.json: field 'threshold' must be a number in \[0, 1\], got 'high'"):
        HFScorer(spec, model=str(head_dir))


def test_head_only_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="save_head needs trainable 'head' or 'lora'"):
        TrainConfig(train_path="t", model="m", output_dir="o", trainable="full", save_head=True)
    with pytest.raises(ConfigError, match=r"save_head needs .* a step head"):
        TrainConfig(train_path="t", model="m", output_dir="o", loss="implicit", save_head=True)
    with pytest.raises(ConfigError, match="loss 'implicit' has none"):
        TrainConfig(train_path="t", model="m", output_dir="o", trainable="head", loss="implicit")
    with pytest.raises(ConfigError, match="layers must be >= 1"):
        TrainConfig(train_path="t", model="m", output_dir="o", layers=0)


def test_init_head_starts_the_head_from_saved_weights(tiny_qwen2: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from prmkit.training._model import build_model

    data = write_jsonl(tmp_path / "t.jsonl", arithmetic_records(4))
    probe = train(_cfg(data, tiny_qwen2, tmp_path / "probe", trainable="head", layers=1, max_steps=2,
                       learning_rate=5e-2, save_head=True))
    saved = load_file(str(probe.output_dir / "head" / "head.safetensors"))
    for source in (probe.output_dir / "head", probe.output_dir / "head" / "head.safetensors"):
        model = build_model(_cfg(data, tiny_qwen2, tmp_path / "ft", layers=1, lora_r=4, init_head=str(source)))
        state = model.base_model.model.score.modules_to_save["default"].state_dict()  # type: ignore[union-attr,index,operator]
        assert state.keys() == saved.keys() and all(torch.equal(state[k], saved[k]) for k in saved)
    fresh = build_model(_cfg(data, tiny_qwen2, tmp_path / "ft", layers=1, lora_r=4))
    assert not torch.equal(fresh.base_model.model.score.modules_to_save["default"].weight, saved["weight"])  # type: ignore[union-attr,index,operator]
    save_file({"weight": saved["weight"][:, :-1].contiguous(), "bias": saved["bias"]}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ConfigError, match=r"init_head .*bad.safetensors: tensors \{'weight'"):
        build_model(_cfg(data, tiny_qwen2, tmp_path / "ft", init_head=str(tmp_path / "bad.safetensors")))
    with pytest.raises(ConfigError, match="init_head: no head weights at"):
        build_model(_cfg(data, tiny_qwen2, tmp_path / "ft", init_head=str(tmp_path / "nowhere")))
    # fine-tuning a head fitted without dropout: classifier_dropout 0 keeps train-mode logits = eval-mode logits
    for p, want in ((None, 0.1), (0.0, 0.0)):
        model = build_model(_cfg(data, tiny_qwen2, tmp_path / "ft", trainable="full", classifier_dropout=p))
        assert model.dropout.p == want  # type: ignore[union-attr]
