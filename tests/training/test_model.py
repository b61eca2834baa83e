"""What ``build_model`` trains for each ``trainable`` setting, and the spec a run exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _require import need_module

torch = need_module("torch")
need_module("transformers")
need_module("peft")

from prmkit.errors import ConfigError  # noqa: E402
from prmkit.training import TrainConfig, training_spec  # noqa: E402
from prmkit.training._model import build_model, head_module_names, load_tokenizer, trainable_names  # noqa: E402


def _cfg(model: Path, **kw: Any) -> TrainConfig:
    return TrainConfig(**{"train_path": "t", "model": str(model), "output_dir": "o", **kw})


def test_lora_trains_adapters_and_the_head_only(tiny_qwen2: Path) -> None:
    m = build_model(_cfg(tiny_qwen2, lora_r=4, lora_alpha=8, lora_dropout=0.25, lora_targets=("q_proj", "v_proj")))
    names = trainable_names(m)
    assert all("lora_" in n or ".score." in n for n in names)
    assert {n.split(".")[-4] for n in names if "lora_A" in n} == {"q_proj", "v_proj"}
    assert any(n.endswith("score.modules_to_save.default.weight") for n in names)
    a = next(p for n, p in m.named_parameters() if "q_proj.lora_A" in n)
    assert a.shape[0] == 4
    q = m.get_base_model().model.layers[0].self_attn.q_proj
    assert q.scaling["default"] == 2.0 and q.lora_dropout["default"].p == 0.25
    everything = build_model(_cfg(tiny_qwen2, lora_targets=("all-linear",)))
    assert {n.split(".")[-4] for n in trainable_names(everything) if "lora_A" in n} == {
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    with pytest.raises(ConfigError, match="lora_targets"):
        build_model(_cfg(tiny_qwen2, lora_targets=("no_such_proj",)))


def test_top_layers_trains_the_last_blocks_final_norm_and_head(tiny_qwen2: Path) -> None:
    m = build_model(_cfg(tiny_qwen2, trainable="top_layers", top_layers=1))
    names = set(trainable_names(m))
    assert names == {n for n, _ in m.named_parameters() if n.startswith(("model.layers.1.", "model.norm.", "score."))}
    assert head_module_names(m) == ["score"]
    full = build_model(_cfg(tiny_qwen2, trainable="full"))
    assert len(trainable_names(full)) == len(list(full.parameters()))
    with pytest.raises(ConfigError, match="top_layers 3 > the model's 2 blocks"):
        build_model(_cfg(tiny_qwen2, trainable="top_layers", top_layers=3))
    # a causal LM with tied embeddings keeps its LM head (= the input embeddings) frozen
    lm = build_model(_cfg(tiny_qwen2, trainable="top_layers", top_layers=1, loss="implicit"))
    assert not any("embed" in n or "lm_head" in n for n in trainable_names(lm))


def test_heads_follow_the_loss(tiny_qwen2: Path) -> None:
    assert build_model(_cfg(tiny_qwen2, trainable="full")).score.out_features == 2
    assert build_model(_cfg(tiny_qwen2, trainable="full", loss="pqm")).score.out_features == 1
    assert type(build_model(_cfg(tiny_qwen2, trainable="full", loss="implicit"))).__name__ == "Qwen2ForCausalLM"


def test_tokenizer_can_come_from_elsewhere(tiny_qwen2: Path, tiny_llama: Path) -> None:
    assert len(load_tokenizer(_cfg(tiny_qwen2))) > 150_000
    assert len(load_tokenizer(_cfg(tiny_qwen2, tokenizer=str(tiny_llama)))) == 49_152


def test_training_spec_takes_the_family_format() -> None:
    s = training_spec(TrainConfig(train_path="t", model="m", output_dir="o", spec="math-shepherd"))
    assert (s.format, s.step_marker, s.readout, s.add_bos) == ("text", " ки", "token_classify", True)
    s = training_spec(TrainConfig(train_path="t", model="m", output_dir="o", spec="qwen2.5-math-prm-7b"))
    assert (s.format, s.step_marker, s.system_prompt is not None) == ("chat", "<extra_0>", True)
    s = training_spec(TrainConfig(train_path="t", model="m", output_dir="o", loss="implicit", step_marker="\n"))
    assert (s.format, s.step_joiner, s.step_marker, s.beta) == ("chat", "\n", "", 0.05)
    with pytest.raises(ConfigError, match="multiturn_chat"):
        training_spec(TrainConfig(train_path="t", model="m", output_dir="o", spec="rlhflow-8b-mistral"))
    with pytest.raises(ConfigError, match="format 'chat'"):
        training_spec(TrainConfig(train_path="t", model="m", output_dir="o", loss="implicit", spec="trl-prm"))
