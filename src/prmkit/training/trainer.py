"""``prmkit train``: a plain torch loop for discriminative and implicit PRMs.

AdamW with linear warm-up and decay, gradient accumulation, optional bf16
autocast (CPU included), resumable checkpoints (weights, optimizer, scheduler,
RNG states and the data position, so a resumed run ends bit-identical to an
uninterrupted one), periodic ProcessBench F1 through the ``hf`` scorer, and
metrics appended to ``output_dir/metrics.jsonl``.

The data order is a function of (seed, epoch) only: micro-batch ``g`` of the
run is batch ``g mod n`` of the permutation for epoch ``g div n``.

>>> from prmkit.training import TrainConfig, train            # doctest: +SKIP
>>> result = train(TrainConfig(train_path="steps.jsonl", model="Qwen/Qwen2.5-0.5B", output_dir="out"))  # doctest: +SKIP
>>> result.examples_per_second                                  # doctest: +SKIP
3.1
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.data import JsonlAppender
from prmkit.errors import DataFormatError
from prmkit.scoring.spec import PRMSpec
from prmkit.training import losses
from prmkit.training._checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from prmkit.training._encode import Encoded, collate, data_fingerprint, encode_examples
from prmkit.training._features import collate_features, features_key, step_features
from prmkit.training._model import build_model, head_module_names, load_tokenizer
from prmkit.training._validate import validate
from prmkit.training.config import TrainConfig
from prmkit.training.data import read_first_error_records, read_stepwise
from prmkit.training.export import export_classifier, training_spec
from prmkit.training.implicit import Reference, export_implicit, implicit_loss

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["StepCallback", "TrainResult", "train"]

StepCallback = Callable[[int, dict[str, Any]], None]
"""Called after every optimizer step (and its checkpoint) with the step number and its metrics."""


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced."""

    output_dir: Path
    steps: int
    """Optimizer steps in the whole run (including those before a resume)."""
    steps_this_run: int
    examples_this_run: int
    seconds: float
    """Wall time of the optimisation loop in this process (no loading, validation or export)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Training examples left out, by reason (``context_length``, ``empty_step``, ...)."""
    validation: dict[str, float] = field(default_factory=dict)
    """Metrics of the last validation, if any."""

    @property
    def examples_per_second(self) -> float:
        return self.examples_this_run / self.seconds if self.seconds > 0 else 0.0


def _seed_everything(seed: int) -> None:
    np = require("numpy", extra="hf")
    torch = require("torch", extra="hf")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _schedule(cfg: TrainConfig, total: int) -> Callable[[int], float]:
    warm = cfg.warmup_steps

    def factor(step: int) -> float:
        if warm and step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    return factor


def _step_loss(cfg: TrainConfig, spec: PRMSpec, model: nn.Module, reference: Reference | None, batch: dict[str, Tensor]) -> Tensor:
    torch = require("torch", extra="hf")
    if cfg.loss == "implicit":
        assert reference is not None
        return implicit_loss(model, reference, batch, cfg)
    if "features_B_S_H" in batch:  # trainable 'head': the frozen backbone's features, computed once
        at_steps = model.get_submodule(head_module_names(model)[0])(batch["features_B_S_H"])
    else:
        logits = model(input_ids=batch["input_ids_B_T"], attention_mask=batch["attention_mask_B_T"]).logits
        rows = torch.arange(logits.shape[0], device=logits.device)[:, None]
        at_steps = logits[rows, batch["positions_B_S"]]  # [B, S, C]
    mask = batch["step_mask_B_S"] & ~batch["targets_B_S"].isnan()  # unlabelled steps are read, never trained on
    if cfg.loss == "pqm":
        labels = torch.where(mask, batch["targets_B_S"], float(losses.PAD_LABEL)).long()
        return losses.pqm_loss(at_steps[..., 0], labels, zeta=cfg.zeta)
    return losses.step_bce(at_steps[mask], batch["targets_B_S"][mask], positive_index=spec.positive_index)


def _optimization(cfg: TrainConfig, model: nn.Module, total: int) -> tuple[list[nn.Parameter], Any, Any]:
    """The trained parameters, AdamW over them and the warm-up/linear-decay schedule for ``total`` steps."""
    torch = require("torch", extra="hf")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    return params, optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg, total))


def _total_steps(cfg: TrainConfig, batches: _Batches) -> int:
    return cfg.max_steps or math.ceil(cfg.epochs * batches.per_epoch / cfg.grad_accum)


def _update(
    cfg: TrainConfig, spec: PRMSpec, model: nn.Module, reference: Reference | None, batches: _Batches, step: int,
    params: list[nn.Parameter], optimizer: Any, scheduler: Any,
) -> tuple[float, int]:
    """Optimizer step ``step`` (from 1): ``grad_accum`` micro-batches, clipping, the update. Returns (loss, examples)."""
    torch = require("torch", extra="hf")
    autocast = (
        (lambda: torch.autocast(device_type=torch.device(cfg.device).type, dtype=torch.bfloat16))
        if cfg.bf16
        else contextlib.nullcontext
    )
    step_loss, n_examples = 0.0, 0
    for micro in range(cfg.grad_accum):
        n, batch = batches((step - 1) * cfg.grad_accum + micro)
        with autocast():
            loss = _step_loss(cfg, spec, model, reference, batch) / cfg.grad_accum
        loss.backward()
        step_loss += float(loss.detach())
        n_examples += n
    if cfg.max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return step_loss, n_examples


class _Batches:
    """Micro-batch ``g`` of the run, from a per-epoch permutation seeded by (seed, epoch)."""

    def __init__(self, data: list[Encoded], cfg: TrainConfig, pad_id: int, features: list[Tensor] | None = None) -> None:
        self.data, self.cfg, self.pad_id, self.features = data, cfg, pad_id, features
        self.per_epoch = math.ceil(len(data) / cfg.batch_size)
        self._order: tuple[int, list[int]] | None = None

    def __call__(self, g: int) -> tuple[int, dict[str, Tensor]]:
        torch = require("torch", extra="hf")
        epoch, i = divmod(g, self.per_epoch)
        if self._order is None or self._order[0] != epoch:
            gen = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + epoch)
            self._order = (epoch, torch.randperm(len(self.data), generator=gen).tolist())
        idx = self._order[1][i * self.cfg.batch_size : (i + 1) * self.cfg.batch_size]
        if self.features is not None:
            batch = collate_features([self.features[j] for j in idx], [self.data[j] for j in idx])
        else:
            batch = collate([self.data[j] for j in idx], self.pad_id)
        return len(idx), {k: v.to(self.cfg.device) for k, v in batch.items()}


def train(cfg: TrainConfig, *, on_step: StepCallback | None = None) -> TrainResult:
    """Train a PRM as ``cfg`` says, resuming from ``output_dir``'s latest checkpoint when ``cfg.resume``.

    Returns once the final PRM is exported to ``cfg.output_dir`` (see :mod:`prmkit.training.export`).
    """
    torch = require("torch", extra="hf")
    tqdm = require("tqdm", extra="hf").tqdm
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.output_dir)
    spec = training_spec(cfg)
    tokenizer = load_tokenizer(cfg)
    examples = read_stepwise(cfg.train_path, cfg.label_kind, threshold=cfg.label_threshold)
    data, skipped = encode_examples(examples, tokenizer, spec, max_length=cfg.max_length)
    if not data:
        raise DataFormatError(f"no usable training example (skipped: {dict(skipped)})", path=cfg.train_path)
    val = read_first_error_records(cfg.val_path)[: cfg.val_max] if cfg.val_path else []

    _seed_everything(cfg.seed)
    model = build_model(cfg).to(cfg.device)
    reference = Reference(model, cfg) if cfg.loss == "implicit" else None
    features = None
    if cfg.trainable == "head":
        key = features_key(cfg.to_dict(), data)
        features = step_features(model, data, tokenizer.pad_token_id, cache_dir=out / "features", key=key,
                                 bf16=cfg.bf16, progress=cfg.progress)
    batches = _Batches(data, cfg, tokenizer.pad_token_id, features)
    total = _total_steps(cfg, batches)
    params, optimizer, scheduler = _optimization(cfg, model, total)
    start = 0
    # a checkpoint resumes only the run it came from: same config and the same training examples
    run_config = {**cfg.to_dict(), "train_data": data_fingerprint(data)}
    ckpt = latest_checkpoint(out / "checkpoints") if cfg.resume else None
    if ckpt is not None:
        start = int(load_checkpoint(ckpt, model, optimizer, scheduler, run_config)["step"])

    def run_validation(step: int) -> dict[str, float]:
        unwrap: Any = getattr(model, "get_base_model", None)
        base = unwrap() if unwrap is not None else model
        ref = reference.standalone() if reference is not None else None
        metrics = validate(base, tokenizer, spec, val, reference=ref, device=cfg.device)
        model.train()
        log.write({"step": step, **{f"val_{k}": v for k, v in metrics.items()}})
        return metrics

    last_val: dict[str, float] = {}
    n_examples, loss_sum, loss_n = 0, 0.0, 0
    log = JsonlAppender(out / "metrics.jsonl", fsync=False)
    bar = tqdm(total=total, initial=start, disable=not cfg.progress, desc="train", unit="step", dynamic_ncols=True)
    t0 = time.perf_counter()
    seconds = 0.0
    try:
        model.train()
        for step in range(start + 1, total + 1):
            lr = optimizer.param_groups[0]["lr"]
            step_loss, n = _update(cfg, spec, model, reference, batches, step, params, optimizer, scheduler)
            n_examples += n
            loss_sum, loss_n = loss_sum + step_loss, loss_n + 1
            record: dict[str, Any] = {"step": step, "loss": step_loss, "lr": lr}
            bar.update(1)
            bar.set_postfix(loss=f"{step_loss:.4f}")
            if step % cfg.log_every == 0 or step == total:
                seconds = time.perf_counter() - t0
                log.write({**record, "loss": loss_sum / loss_n, "epoch": (step * cfg.grad_accum) / batches.per_epoch,
                           "examples_per_s": n_examples / seconds if seconds else 0.0})
                loss_sum, loss_n = 0.0, 0
            if (cfg.save_every and step % cfg.save_every == 0) or step == total:
                save_checkpoint(out / "checkpoints", step, model, optimizer, scheduler, {}, run_config, keep=cfg.keep_checkpoints)
            if val and cfg.val_every and step % cfg.val_every == 0 and step != total:
                pause = time.perf_counter()
                last_val = run_validation(step)
                t0 += time.perf_counter() - pause
            if on_step is not None:
                on_step(step, record)
        seconds = time.perf_counter() - t0
        if val:
            last_val = run_validation(total)
    finally:
        bar.close()
        log.close()
    if cfg.loss == "implicit":
        assert reference is not None
        export_implicit(model, reference, tokenizer, cfg, spec)
    else:
        export_classifier(model, tokenizer, cfg, spec)
    return TrainResult(out, total, total - start, n_examples, seconds, dict(skipped), last_val)
