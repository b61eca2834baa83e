"""The trained PRM as a folder the ``hf`` backend loads unchanged.

``output_dir`` holds the weights (``config.json`` + ``model.safetensors``, LoRA
merged in), the tokenizer, and ``prmkit_spec.json``: the :class:`PRMSpec` the
model was trained with, so scoring renders solutions exactly as training did::

    spec = load_spec("out")            # paths resolved against "out"
    prm = load_prm(spec)               # or load_prm(spec, model="out")

>>> from prmkit.training.config import TrainConfig
>>> s = training_spec(TrainConfig(train_path="t", model="m", output_dir="o", loss="pqm", step_marker="\\n\\n"))
>>> (s.readout, s.format, s.step_marker)
('value_head', 'segments', '\\n\\n')
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from prmkit.errors import ConfigError
from prmkit.scoring.catalog import get_spec
from prmkit.scoring.hf_load import HEAD_FILE, LORA_FILE
from prmkit.scoring.spec import PRMSpec
from prmkit.training._model import head_module_names
from prmkit.training.config import TrainConfig

__all__ = ["SPEC_FILE", "export_classifier", "export_head", "load_spec", "lora_factors", "merged", "training_spec",
           "write_spec"]

SPEC_FILE = "prmkit_spec.json"


def training_spec(cfg: TrainConfig) -> PRMSpec:
    """The family's format with the readout the loss trains (and ``step_marker`` overridden)."""
    base = get_spec(cfg.spec_name)
    if base.format in ("none",):
        raise ConfigError(f"spec {cfg.spec_name!r} has no token format to train on")
    changes: dict[str, Any] = {
        "name": f"trained-{cfg.loss}",
        "readout": cfg.readout,
        "model": None,
        "description": f"prmkit train --loss {cfg.loss} on {cfg.model} (format of {cfg.spec_name})",
    }
    if cfg.loss == "implicit":
        if base.format != "chat":
            raise ConfigError(f"loss 'implicit' reads log-ratios in format 'chat'; spec {cfg.spec_name!r} is {base.format!r}")
        changes.update(beta=cfg.beta, step_marker="", reference_model=None)
        if cfg.step_marker is not None:
            changes["step_joiner"] = cfg.step_marker
    else:
        if base.format == "multiturn_chat":
            raise ConfigError(f"spec {cfg.spec_name!r}: format 'multiturn_chat' is read at predicted tags, not markers")
        if cfg.step_marker is not None:
            changes["step_marker"] = cfg.step_marker
        changes["positive_index"] = 1
    try:
        return dataclasses.replace(base, **changes)
    except ConfigError as e:
        raise ConfigError(f"spec {cfg.spec_name!r} cannot be trained with loss {cfg.loss!r}: {e}") from None


def write_spec(spec: PRMSpec, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``prmkit_spec.json``; ``model`` and ``reference_model`` are stored relative to ``out_dir`` when inside it."""
    out = Path(out_dir)
    d = spec.to_dict()
    for key in ("model", "reference_model"):
        value = d.get(key)
        if isinstance(value, str) and Path(value).is_absolute():
            with contextlib.suppress(ValueError):  # outside out_dir: keep it absolute
                d[key] = Path(value).resolve().relative_to(out.resolve()).as_posix()
    d["reserved"] = list(spec.reserved)
    path = out / SPEC_FILE
    tmp = path.with_name(SPEC_FILE + ".tmp")
    tmp.write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_spec(out_dir: str | os.PathLike[str]) -> PRMSpec:
    """The spec of a trained PRM folder, with ``model``/``reference_model`` resolved to absolute paths.

    Relative paths are resolved against ``out_dir`` (``"."`` is the folder itself).
    """
    out = Path(out_dir)
    path = out / SPEC_FILE
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; is {out} a prmkit-trained PRM?") from None
    known = {f.name for f in dataclasses.fields(PRMSpec)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown spec fields {unknown}")
    for key in ("model", "reference_model"):
        value = d.get(key)
        if value is not None and not Path(value).is_absolute() and (out / value).exists():
            d[key] = str((out / value).resolve())
    d["reserved"] = tuple(d.get("reserved", ()))
    return PRMSpec(**d)


def merged(model: Any) -> Any:
    """A peft model -> the plain transformers model with the adapters merged in; others unchanged."""
    merge = getattr(model, "merge_and_unload", None)
    return merge() if merge is not None else model


def export_classifier(model: Any, tokenizer: Any, cfg: TrainConfig, spec: PRMSpec) -> Path:
    """Write the trained token classifier (LoRA merged in) and its spec to ``cfg.output_dir``;
    with ``save_adapter``, the peft adapter (LoRA + head) also goes to ``output_dir/adapter``, and with
    ``save_head`` the small head folder (:func:`export_head`) to ``output_dir/head``."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.trainable == "lora" and cfg.save_adapter:
        model.save_pretrained(str(out / "adapter"))
    factors = lora_factors(model) if cfg.save_head else {}  # read before merging folds them into the weights
    plain = merged(model)
    plain.config.pad_token_id = tokenizer.pad_token_id
    plain.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    write_spec(dataclasses.replace(spec, model=str(out.resolve())), out)
    if cfg.save_head:
        export_head(plain, cfg, spec, lora=factors)
    return out


def lora_factors(model: Any) -> dict[str, Any]:
    """The LoRA factors of a peft model, keyed by the plain model's module names: ``<module>.lora_A`` (r x in)
    and ``<module>.lora_B`` (out x r, the scale alpha/r folded in), so ``W + B @ A`` is the merged weight.
    Empty for a model without adapters."""
    factors: dict[str, Any] = {}
    for name, mod in model.named_modules():
        a, b, scaling = getattr(mod, "lora_A", None), getattr(mod, "lora_B", None), getattr(mod, "scaling", None)
        if a is None or b is None or not isinstance(scaling, dict) or "default" not in a:
            continue
        base = name.removeprefix("base_model.model.")
        factors[base + ".lora_A"] = a["default"].weight.detach().float().cpu()
        factors[base + ".lora_B"] = (b["default"].weight.detach().float() * float(scaling["default"])).cpu()
    return factors


def export_head(model: Any, cfg: TrainConfig, spec: PRMSpec, *, lora: dict[str, Any] | None = None) -> Path:
    """Write ``output_dir/head``: the step head's weights, the backbone's name and depth (``prmkit_head.json``),
    the spec and, given ``lora`` (:func:`lora_factors`), the LoRA factors in float16 (``lora.safetensors``).
    Scoring it loads the backbone from ``cfg.model`` (provisioned offline for a catalog name) and merges the
    factors into it. ``model`` is the plain model (adapters merged or none)."""
    from safetensors.torch import save_file

    out = Path(cfg.output_dir) / "head"
    out.mkdir(parents=True, exist_ok=True)
    [name] = head_module_names(model)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.get_submodule(name).state_dict().items()}
    save_file(state, str(out / "head.safetensors"))
    meta: dict[str, Any] = {"backbone": cfg.model, "layers": cfg.layers, "num_labels": cfg.num_labels, "head": name,
                            "architecture": type(model).__name__}
    if lora:
        save_file({k: v.half().contiguous() for k, v in lora.items()}, str(out / LORA_FILE))
        meta["lora"] = {"file": LORA_FILE, "r": cfg.lora_r, "alpha": cfg.lora_alpha, "targets": list(cfg.lora_targets),
                        "modules": len(lora) // 2}
    else:
        (out / LORA_FILE).unlink(missing_ok=True)
    (out / HEAD_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_spec(dataclasses.replace(spec, model=str(out.resolve())), out)
    return out
