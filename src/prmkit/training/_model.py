"""Building the trained model: a backbone with a step head, then LoRA or a frozen lower part.

* token-level losses: ``AutoModelForTokenClassification`` with 2 labels (TRL's
  classifier, readout ``token_classify``) or 1 (PQM's scalar Q, ``value_head``);
* ``implicit``: ``AutoModelForCausalLM`` (the policy; the reference is the same
  weights with the adapters switched off, or a frozen copy).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring.hf_load import (
    keep_first_blocks,
    load_head_weights,
    transformer_blocks,
    weights_source,
)
from prmkit.training.config import TrainConfig

if TYPE_CHECKING:
    from torch import nn

__all__ = ["build_model", "head_module_names", "load_backbone", "load_tokenizer", "trainable_names"]


def model_source(cfg: TrainConfig) -> str:
    """``cfg.model`` as ``from_pretrained`` takes it (a catalog name is provisioned; a GGUF file is read as given)."""
    return cfg.model if cfg.gguf_file else weights_source(cfg.model)


def load_tokenizer(cfg: TrainConfig) -> Any:
    """The tokenizer named by ``cfg.tokenizer`` (default: the model's), with a pad token."""
    transformers = require("transformers", extra="hf")
    src = cfg.tokenizer or model_source(cfg)
    kwargs = {"gguf_file": cfg.gguf_file} if cfg.gguf_file and cfg.tokenizer is None else {}
    tok = transformers.AutoTokenizer.from_pretrained(src, **kwargs)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_backbone(cfg: TrainConfig, *, causal: bool) -> nn.Module:
    """The pretrained weights as a token classifier (``num_labels`` from the loss) or a causal LM."""
    transformers = require("transformers", extra="hf")
    kwargs: dict[str, Any] = {"dtype": "float32"}
    if cfg.gguf_file:
        kwargs["gguf_file"] = cfg.gguf_file
    source = model_source(cfg)
    if causal:
        model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
    else:
        model = transformers.AutoModelForTokenClassification.from_pretrained(
            source, num_labels=cfg.num_labels, **kwargs
        )
        if cfg.classifier_dropout is not None:
            _set_classifier_dropout(model, cfg.classifier_dropout)
    if cfg.gguf_file:
        _forget_gguf(model, cfg.gguf_file)
    if cfg.layers is not None:
        keep_first_blocks(model, cfg.layers)
    return model


def _forget_gguf(model: Any, gguf_file: str) -> None:
    """A GGUF file loaded dequantized is plain float weights; drop the quantizer so it trains and saves."""
    packed = [type(m).__name__ for m in model.modules() if "gguf" in type(m).__name__.lower()]
    if packed or any(not p.is_floating_point() for p in model.parameters()):
        raise ConfigError(f"{gguf_file}: loaded with packed GGUF weights ({packed[:1]}); training needs them dequantized")
    model.hf_quantizer = None
    model.is_quantized = False
    model.quantization_method = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def head_module_names(model: nn.Module) -> list[str]:
    """Top-level modules outside the backbone that hold parameters (the step head: ``score``)."""
    prefix = getattr(model, "base_model_prefix", "model")
    return [n for n, m in model.named_children() if n != prefix and any(True for _ in m.parameters())]


def _freeze_below_top(model: nn.Module, n_top: int, *, causal: bool) -> None:
    """Train the last ``n_top`` blocks, everything after them (final norm, head); freeze the rest."""
    blocks, n = transformer_blocks(model)
    if n_top > n:
        raise ConfigError(f"top_layers {n_top} > the model's {n} blocks")
    embed = {id(p) for p in model.get_input_embeddings().parameters()}  # type: ignore[operator]
    tied_head = causal and any(id(p) in embed for p in model.get_output_embeddings().parameters())  # type: ignore[operator]
    for name, p in model.named_parameters():
        if name.startswith(blocks + "."):
            index = int(name[len(blocks) + 1 :].split(".")[0])
            p.requires_grad_(index >= n - n_top)
        else:
            p.requires_grad_(id(p) not in embed)
    if tied_head:  # training a tied LM head would also move the input embeddings
        for p in model.get_output_embeddings().parameters():  # type: ignore[operator]
            p.requires_grad_(False)


def _set_classifier_dropout(model: nn.Module, p: float) -> None:
    """Set the dropout a token classifier applies before its head (its top-level ``nn.Dropout``)."""
    torch = require("torch", extra="hf")
    drops = [m for _, m in model.named_children() if isinstance(m, torch.nn.Dropout)]
    if not drops:
        raise ConfigError(f"classifier_dropout: {type(model).__name__} has no dropout before its head")
    for m in drops:
        m.p = p
    model.config.classifier_dropout = p  # type: ignore[union-attr]


def _load_head(model: nn.Module, source: str) -> None:
    """Copy a saved step head (``head.safetensors``, or a folder holding one) into the model's head."""
    path = Path(source)
    if path.is_dir():
        path = path / "head.safetensors"
    if not path.is_file():
        raise ConfigError(f"init_head: no head weights at {path}")
    [name] = head_module_names(model)
    load_head_weights(model, name, path, what="init_head ")


def _apply_lora(model: nn.Module, cfg: TrainConfig, *, causal: bool) -> nn.Module:
    peft = require("peft", extra="train")
    targets: str | list[str] = "all-linear" if cfg.lora_targets == ("all-linear",) else list(cfg.lora_targets)
    lcfg = peft.LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM" if causal else "TOKEN_CLS",
        modules_to_save=None if causal else head_module_names(model),
    )
    try:
        return peft.get_peft_model(model, lcfg)
    except ValueError as e:
        raise ConfigError(f"lora_targets {list(cfg.lora_targets)}: {e}") from None


def build_model(cfg: TrainConfig) -> nn.Module:
    """The model to train, with exactly the trainable parameters ``cfg`` asks for.

    Seed torch before calling: the step head and the LoRA adapters are initialised randomly.
    """
    causal = cfg.loss == "implicit"
    model = load_backbone(cfg, causal=causal)
    if cfg.init_head is not None:
        _load_head(model, cfg.init_head)
    if cfg.trainable == "lora":
        model = _apply_lora(model, cfg, causal=causal)
    elif cfg.trainable == "top_layers":
        _freeze_below_top(model, cfg.top_layers, causal=causal)
    elif cfg.trainable == "head":
        heads = set(head_module_names(model))
        for name, p in model.named_parameters():
            p.requires_grad_(name.split(".")[0] in heads)
    else:
        for p in model.parameters():
            p.requires_grad_(True)
    return model


def trainable_names(model: nn.Module) -> list[str]:
    """Names of the parameters that are trained, in the optimizer's order."""
    return [n for n, p in model.named_parameters() if p.requires_grad]
