"""Loading PRM weights for the ``hf`` backend, and cheap fingerprints of weights and tokenizers.

>>> model = load_value_head_model("path/to/Skywork-o1-Open-PRM-Qwen-2.5-1.5B")   # doctest: +SKIP
>>> model.score                                                                   # doctest: +SKIP
Linear(in_features=1536, out_features=1, bias=True)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.models import CATALOG, to_transformers_dir

__all__ = [
    "HEAD_FILE",
    "LORA_FILE",
    "has_v_head",
    "head_folder_threshold",
    "keep_first_blocks",
    "load_head_model",
    "load_head_weights",
    "load_tokenizer",
    "load_value_head_model",
    "local_folder",
    "merge_lora_factors",
    "read_head_meta",
    "tokenizer_fingerprint",
    "transformer_blocks",
    "weights_fingerprint",
    "weights_source",
]

HEAD_FILE = "prmkit_head.json"
"""Marks a head-only PRM folder: the step head's weights plus the name of the frozen backbone it reads."""

LORA_FILE = "lora.safetensors"
"""A head folder's LoRA factors (``<module>.lora_A``, ``<module>.lora_B``), merged into the backbone on load."""

_V_HEAD = "v_head.summary."


def load_tokenizer(source: str, *, trust_remote_code: bool = False) -> Any:
    """The tokenizer stored with the weights (a fast one: rendering needs offsets); a head-only folder's is its backbone's."""
    transformers = require("transformers", extra="hf")
    if (Path(source) / HEAD_FILE).is_file():
        source = weights_source(str(read_head_meta(Path(source))["backbone"]))
    return transformers.AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)


def load_value_head_model(folder: str | Path, *, dtype: Any = None) -> Any:
    """Build a 1-label token classifier from a Skywork-o1-Open-PRM folder.

    The checkpoint is a causal LM plus ``v_head.summary.{weight,bias}``, a
    linear layer on the last (normed) hidden state. The base weights load into
    ``AutoModelForTokenClassification(num_labels=1)``'s body and the value head
    becomes its ``score`` layer, so ``sigmoid(logits)`` is Skywork's reward.
    ``lm_head`` is dropped; every other key must be used.
    """
    transformers = require("transformers", extra="hf")
    folder = Path(folder)
    config = transformers.AutoConfig.from_pretrained(str(folder))
    config.num_labels = 1
    model = transformers.AutoModelForTokenClassification.from_config(config)
    state = _read_state_dict(folder)
    prefix = model.base_model_prefix
    mapped = {}
    for key, value in state.items():
        if key.startswith(_V_HEAD):
            mapped["score." + key[len(_V_HEAD):]] = value
        elif key.startswith(prefix + "."):
            mapped[key] = value
        elif not key.startswith("lm_head."):
            raise ConfigError(f"{folder}: unexpected weight {key!r} in a value-head checkpoint")
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    params = dict(model.named_parameters())
    missing = [k for k in missing if k in params]  # buffers (rotary tables) are rebuilt
    if unexpected or missing:
        raise ConfigError(f"{folder}: value-head checkpoint missing {missing} / unexpected {unexpected}")
    if dtype is not None:
        model = model.to(dtype)
    return model.eval()


def transformer_blocks(model: Any) -> tuple[str, int]:
    """Name and length of the model's transformer blocks (its largest ``ModuleList``)."""
    torch = require("torch", extra="hf")
    best: tuple[str, int] = ("", 0)
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.ModuleList) and len(mod) > best[1]:
            best = (name, len(mod))
    if not best[1]:
        raise ConfigError(f"{type(model).__name__}: no list of transformer blocks found")
    return best


def keep_first_blocks(model: Any, n: int) -> None:
    """Cut the backbone after its first ``n`` transformer blocks (the final norm stays) and record it in the config."""
    name, total = transformer_blocks(model)
    if n > total:
        raise ConfigError(f"layers {n} > the model's {total} blocks")
    blocks = model.get_submodule(name)
    del blocks[n:]
    for cfg in {id(c): c for c in (model.config, model.config.get_text_config())}.values():
        cfg.num_hidden_layers = n
        if isinstance(getattr(cfg, "layer_types", None), list):
            cfg.layer_types = cfg.layer_types[:n]


def read_head_meta(folder: Path) -> dict[str, Any]:
    path = folder / HEAD_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    for key in ("backbone", "num_labels", "head"):
        if key not in meta:
            raise ConfigError(f"{path}: missing field {key!r}")
    return dict(meta)


def head_folder_threshold(source: object) -> float | None:
    """The decision threshold fitted into a head folder's ``prmkit_head.json`` (``scripts/fit_threshold.py``);
    ``None`` when ``source`` is not a head folder or its metadata has no threshold."""
    if not isinstance(source, (str, Path)) or not (Path(source) / HEAD_FILE).is_file():
        return None
    value = read_head_meta(Path(source)).get("threshold")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{Path(source) / HEAD_FILE}: field 'threshold' must be a number in [0, 1], got {value!r}")
    return float(value)


def weights_source(name: str) -> str:
    """A model name as ``from_pretrained`` takes it: a catalog name (``prmkit models list``) becomes its
    provisioned fp32 transformers directory; paths and hub ids pass through."""
    if name in CATALOG:
        return str(to_transformers_dir(name, dtype="float32"))
    return name


def load_head_model(folder: str | Path, *, dtype: Any = None) -> Any:
    """A token classifier from a head folder: the backbone named in ``prmkit_head.json`` (provisioned
    offline when it is a catalog name, cut to ``layers`` blocks), the LoRA factors of ``lora.safetensors``
    merged into it when the folder has them, and the head from ``head.safetensors``."""
    transformers = require("transformers", extra="hf")
    folder = Path(folder)
    meta = read_head_meta(folder)
    # the backbone has no head yet, so transformers' load report ("score.* MISSING") is expected noise;
    # the head is loaded strictly below, and a mismatch there is an error
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        model = transformers.AutoModelForTokenClassification.from_pretrained(
            weights_source(str(meta["backbone"])), num_labels=int(meta["num_labels"]), dtype="float32"
        )
    finally:
        transformers.logging.set_verbosity(verbosity)
    if meta.get("layers") is not None:
        keep_first_blocks(model, int(meta["layers"]))
    if meta.get("lora"):
        merge_lora_factors(model, folder / str(meta["lora"].get("file", LORA_FILE)))
    load_head_weights(model, str(meta["head"]), folder / "head.safetensors")
    if dtype is not None:
        model = model.to(dtype)
    return model.eval()


def load_head_weights(model: Any, name: str, path: Path, *, what: str = "") -> None:
    """Load the step head ``name`` of ``model`` from the safetensors file ``path``: every tensor present, each
    of the head's shape (else a :class:`ConfigError` naming ``what``, the file and the tensors)."""
    from safetensors.torch import load_file

    head = model.get_submodule(name)
    state = load_file(str(path))
    own = head.state_dict()
    wrong = {k: tuple(v.shape) for k, v in state.items() if k not in own or own[k].shape != v.shape}
    if wrong or own.keys() - state.keys():
        raise ConfigError(f"{what}{path}: tensors {wrong or sorted(own.keys() - state.keys())} do not fit the "
                          f"head {name!r} ({ {k: tuple(v.shape) for k, v in own.items()} })")
    head.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})


def merge_lora_factors(model: Any, path: Path) -> None:
    """Add ``B @ A`` (in float32) to the weight of every module named in the LoRA file ``path``."""
    torch = require("torch", extra="hf")
    from safetensors.torch import load_file

    if not path.is_file():
        raise ConfigError(f"{path}: LoRA factors named in {HEAD_FILE} are missing")
    factors = load_file(str(path))
    names = sorted({k.rsplit(".", 1)[0] for k in factors})
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name in names:
            a, b = factors.get(name + ".lora_A"), factors.get(name + ".lora_B")
            mod = modules.get(name)
            weight = getattr(mod, "weight", None)
            if a is None or b is None or weight is None:
                raise ConfigError(f"{path}: {name!r} needs lora_A and lora_B and a module with a weight in "
                                  f"{type(model).__name__}")
            delta = b.float() @ a.float()
            if delta.shape != weight.shape:
                raise ConfigError(f"{path}: {name!r} factors give {tuple(delta.shape)}, the weight is {tuple(weight.shape)}")
            weight.add_(delta.to(weight.dtype))


def weights_fingerprint(model: Any) -> str:
    """sha256 over every tensor's name, shape and dtype plus 32 evenly spaced values.

    Cheap for any size (no full pass over the weights) and different for any
    two checkpoints that differ anywhere the samples land, which for trained
    weights is everywhere.
    """
    torch = require("torch", extra="hf")
    h = hashlib.sha256()
    with torch.no_grad():
        for name, t in sorted(model.state_dict().items()):
            h.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
            flat = t.detach().reshape(-1)
            if flat.numel():
                idx = torch.linspace(0, flat.numel() - 1, min(32, flat.numel()), dtype=torch.float64).long().to(flat.device)
                h.update(flat[idx].float().cpu().numpy().tobytes())
    return h.hexdigest()


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """sha256 over the vocabulary size, added tokens, BOS and chat template."""
    added = sorted((i, str(t)) for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items())
    blob = json.dumps([len(tokenizer), added, tokenizer.bos_token_id, tokenizer.chat_template], default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def local_folder(source: str) -> Path:
    if Path(source).is_dir():
        return Path(source)
    hub = require("huggingface_hub", extra="hf")
    return Path(hub.snapshot_download(source, allow_patterns=["*.json", "*.safetensors", "*.bin", "*.txt", "*.model"]))


def has_v_head(folder: Path) -> bool:
    index = folder / "model.safetensors.index.json"
    if index.exists():
        return any(k.startswith(_V_HEAD) for k in json.loads(index.read_text())["weight_map"])
    files = sorted(folder.glob("*.safetensors"))
    if files:
        from safetensors import safe_open

        for f in files:
            with safe_open(str(f), framework="pt") as st:
                if any(k.startswith(_V_HEAD) for k in st.keys()):  # noqa: SIM118
                    return True
        return False
    return any(k.startswith(_V_HEAD) for k in _read_state_dict(folder))


def _read_state_dict(folder: Path) -> dict[str, Any]:
    torch = require("torch", extra="hf")
    state: dict[str, Any] = {}
    files = sorted(folder.glob("*.safetensors"))
    if files:
        from safetensors.torch import load_file

        for f in files:
            state.update(load_file(str(f)))
    else:
        for f in sorted(folder.glob("pytorch_model*.bin")):
            state.update(torch.load(str(f), map_location="cpu", weights_only=True))
    if not state:
        raise ConfigError(f"{folder}: no *.safetensors or pytorch_model*.bin weights")
    return state

