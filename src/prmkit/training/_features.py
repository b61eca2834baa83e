"""Frozen-backbone features at the step positions, for ``trainable: head``.

With the backbone frozen, the head only ever sees the backbone's last hidden
state at each step position, so those vectors are computed once, with no
gradient, and every epoch after that costs a few matrix products. The vectors
are exactly what the ``hf`` scorer feeds the head (``model.base_model``'s last
hidden state, final norm included), so a head trained on them scores the same
way.

Features are written to ``output_dir/features/`` in parts as they are
computed, under a key of everything they depend on; a restarted run reuses
the parts whose key matches and computes only the rest.

Shape letters: ``B`` examples, ``T`` tokens, ``S`` steps, ``H`` hidden size.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.training._encode import Encoded, collate

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["collate_features", "features_key", "step_features"]

_PART = 256
"""Examples per part file."""


def features_key(config: dict[str, Any], data: Sequence[Encoded]) -> str:
    """A hash of what the features depend on: backbone, depth, precision, and every example's tokens and positions."""
    h = hashlib.sha256()
    keep = {k: config.get(k) for k in ("model", "gguf_file", "layers", "bf16", "spec", "step_marker", "loss")}
    h.update(json.dumps(keep, sort_keys=True, default=str).encode())
    for e in data:
        h.update(json.dumps([e.input_ids, e.positions]).encode())
    return h.hexdigest()[:16]


def _batches(order: Sequence[int], data: Sequence[Encoded], batch_tokens: int) -> list[list[int]]:
    """Consecutive runs of ``order`` (sorted by length) whose padded size stays within ``batch_tokens``."""
    out: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        longest = max([len(data[j].input_ids) for j in cur] + [len(data[i].input_ids)])
        if cur and longest * (len(cur) + 1) > batch_tokens:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    return out


def _compute(model: nn.Module, data: Sequence[Encoded], pad_id: int, *, bf16: bool, batch_tokens: int) -> list[Tensor]:
    torch = require("torch", extra="hf")
    base: Any = model.base_model
    device = next(model.parameters()).device
    order = sorted(range(len(data)), key=lambda i: len(data[i].input_ids))
    out: list[Tensor | None] = [None] * len(data)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16)
    with torch.no_grad(), autocast:
        for idx in _batches(order, data, batch_tokens):
            batch = collate([data[i] for i in idx], pad_id)
            hidden = base(input_ids=batch["input_ids_B_T"].to(device),
                          attention_mask=batch["attention_mask_B_T"].to(device)).last_hidden_state
            for row, i in enumerate(idx):
                out[i] = hidden[row, list(data[i].positions)].float().cpu()
    return [t for t in out if t is not None]


def step_features(
    model: nn.Module,
    data: Sequence[Encoded],
    pad_id: int,
    *,
    cache_dir: str | os.PathLike[str],
    key: str,
    bf16: bool = False,
    batch_tokens: int = 4096,
    progress: bool = True,
) -> list[Tensor]:
    """``[S_i, H]`` float32 features of every example, in order; parts already in ``cache_dir`` under ``key`` are reused."""
    torch = require("torch", extra="hf")
    tqdm = require("tqdm", extra="hf").tqdm
    root = Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("part-*.pt"):
        if not stale.name.startswith(f"part-{key}-"):
            stale.unlink()
    out: list[Tensor] = []
    starts = range(0, len(data), _PART)
    with tqdm(total=len(data), disable=not progress, desc="features", unit="ex", dynamic_ncols=True) as bar:
        for start in starts:
            chunk = data[start : start + _PART]
            path = root / f"part-{key}-{start // _PART:05d}.pt"
            if path.exists():
                part = torch.load(path, weights_only=True)
            else:
                part = _compute(model, chunk, pad_id, bf16=bf16, batch_tokens=batch_tokens)
                tmp = path.with_suffix(".tmp")
                torch.save(part, tmp)
                os.replace(tmp, path)
            out.extend(part)
            bar.update(len(chunk))
    return out


def collate_features(feats: Sequence[Tensor], batch: Sequence[Encoded]) -> dict[str, Tensor]:
    """Zero-pad features to ``features_B_S_H``, with ``targets_B_S`` and ``step_mask_B_S`` from :func:`collate`."""
    torch = require("torch", extra="hf")
    padded = collate(batch, pad_id=0)
    features = torch.zeros((*padded["step_mask_B_S"].shape, feats[0].shape[1]), dtype=torch.float32)
    for i, f in enumerate(feats):
        features[i, : f.shape[0]] = f
    return {"features_B_S_H": features, "targets_B_S": padded["targets_B_S"], "step_mask_B_S": padded["step_mask_B_S"]}
