"""Resumable checkpoints: trained weights, optimizer, scheduler, every RNG and the data position.

A checkpoint is a folder ``checkpoints/step-000120`` holding ``trainable.safetensors``
(the parameters being trained, bit-exact fp32) and ``state.pt`` (optimizer,
scheduler, python/numpy/torch RNG states, progress, the config it was made
with). It is written under a temporary name and renamed into place, so a kill
leaves either the old set of checkpoints or the new one, never half of one.
Resuming restores all of it, so the run continues as if never interrupted.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.errors import ConfigError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["latest_checkpoint", "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]

_PREFIX = "step-"
# fields that may change between an interrupted run and its resumption
_RUN_ONLY = frozenset(
    {"resume", "progress", "val_path", "val_every", "val_max", "log_every", "save_every", "keep_checkpoints", "threads",
     "save_head"}
)


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU and CUDA) RNG states, in a form ``torch.load(weights_only=True)`` reads."""
    np = require("numpy", extra="hf")
    torch = require("torch", extra="hf")
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(gauss)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    np = require("numpy", extra="hf")
    torch = require("torch", extra="hf")
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_checkpoint(
    root: str | os.PathLike[str],
    step: int,
    model: nn.Module,
    optimizer: Any,
    scheduler: Any,
    progress: dict[str, Any],
    config: dict[str, Any],
    *,
    keep: int,
) -> Path:
    """Write ``root/step-NNNNNN`` atomically and prune all but the ``keep`` latest; return its path."""
    torch = require("torch", extra="hf")
    safetensors_torch = require("safetensors.torch", extra="hf", package="safetensors")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{_PREFIX}{step:06d}"
    tmp = root / f".{final.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    weights = {n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    safetensors_torch.save_file(weights, str(tmp / "trainable.safetensors"))
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": rng_state(),
        "progress": dict(progress, step=step),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
    }
    torch.save(state, tmp / "state.pt")
    for f in tmp.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _fsync_dir(root)
    for old in _checkpoints(root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _checkpoints(root: Path) -> list[Path]:
    found = [p for p in root.glob(f"{_PREFIX}*") if p.is_dir() and p.name[len(_PREFIX) :].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(_PREFIX) :]))


def latest_checkpoint(root: str | os.PathLike[str]) -> Path | None:
    """The newest complete checkpoint under ``root``, or ``None``."""
    root = Path(root)
    found = [p for p in _checkpoints(root) if (p / "state.pt").exists()] if root.exists() else []
    return found[-1] if found else None


def load_checkpoint(
    path: str | os.PathLike[str], model: nn.Module, optimizer: Any, scheduler: Any, config: dict[str, Any]
) -> dict[str, Any]:
    """Restore weights, optimizer, scheduler and RNG from ``path``; return its progress record.

    The checkpoint's config must match ``config`` on every field that changes training.
    """
    torch = require("torch", extra="hf")
    safetensors_torch = require("safetensors.torch", extra="hf", package="safetensors")
    path = Path(path)
    state = torch.load(path / "state.pt", weights_only=True)
    now = {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}
    diff = sorted(k for k in now.keys() | state["config"].keys() if k not in _RUN_ONLY and now.get(k) != state["config"].get(k))
    if diff:
        shown = "; ".join(f"{k}: checkpoint {state['config'].get(k)!r}, now {now.get(k)!r}" for k in diff)
        raise ConfigError(f"{path}: cannot resume, the config changed ({shown}); use a new output_dir or resume: false")
    weights = safetensors_torch.load_file(str(path / "trainable.safetensors"))
    params = dict(model.named_parameters())
    expected = {n for n, p in params.items() if p.requires_grad}
    if set(weights) != expected:
        raise ConfigError(f"{path}: trained parameters differ from the model's ({len(weights)} vs {len(expected)})")
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    set_rng_state(state["rng"])
    return dict(state["progress"])
