"""Implicit PRM training (E3): a policy and a frozen reference, trained on outcome labels only.

r_θ(y) = β Σ_{i ∈ response} [log π_θ(y_i | y_<i) − log π_ref(y_i | y_<i)] and the
loss is the cross-entropy of σ(r_θ) against the outcome label. Step scores then
come for free from the ``log_ratio`` readout (A6): the cumulative sum of the
same token log-ratios up to the end of each step.

With LoRA the reference is the same network with its adapters switched off (no
second copy in memory); otherwise it is a frozen copy of the initial weights.
The exported folder holds the policy (adapters merged) and, by default, the
reference in ``reference/``; ``prmkit_spec.json`` points at both.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring.spec import PRMSpec
from prmkit.training import losses
from prmkit.training.config import TrainConfig
from prmkit.training.export import merged, write_spec

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["Reference", "export_implicit", "implicit_loss", "response_log_ratio"]


class Reference:
    """The frozen reference policy: the adapter-free view of a LoRA model, or a frozen copy."""

    def __init__(self, model: nn.Module, cfg: TrainConfig) -> None:
        self._lora = cfg.trainable == "lora"
        self._model = model
        self._copy: Any = None
        if not self._lora:  # the frozen copy; LoRA builds one lazily in standalone()
            self._copy = copy.deepcopy(model).eval()
            for p in self._copy.parameters():
                p.requires_grad_(False)

    @contextlib.contextmanager
    def _view(self) -> Iterator[Any]:
        if self._lora:
            was_training = self._model.training
            self._model.eval()
            try:
                with self._model.disable_adapter():  # type: ignore[operator]
                    yield self._model
            finally:
                self._model.train(was_training)
        else:
            yield self._copy

    def logits(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        torch = require("torch", extra="hf")
        with torch.no_grad(), self._view() as m:
            out: Tensor = m(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
        return out

    def standalone(self) -> Any:
        """A separate reference model for the scorer (the frozen copy; for LoRA, the base without adapters)."""
        if self._copy is None:
            self._copy = copy.deepcopy(self._model).unload().eval()  # type: ignore[operator]
            for p in self._copy.parameters():
                p.requires_grad_(False)
        return self._copy


def response_log_ratio(policy_logits: Tensor, ref_logits: Tensor, input_ids: Tensor, response_mask: Tensor) -> Tensor:
    """Σ over response tokens of ``log π(y_t) − log π_ref(y_t)`` per row, fp32: shape ``[B]``.

    ``response_mask[b, t]`` marks token t as a response token; it is predicted at position t − 1.
    """
    torch = require("torch", extra="hf")
    mask = response_mask[:, 1:]
    targets = input_ids[:, 1:][mask]
    rows = []
    for logits in (policy_logits, ref_logits):
        picked = logits[:, :-1][mask].float()  # [N, V], response positions only
        rows.append(picked.gather(-1, targets[:, None])[:, 0] - torch.logsumexp(picked, dim=-1))
    per_token = rows[0] - rows[1]
    b_index = torch.arange(input_ids.shape[0], device=input_ids.device)[:, None].expand_as(mask)[mask]
    out: Tensor = torch.zeros(input_ids.shape[0], device=per_token.device).index_add(0, b_index, per_token)
    return out


def implicit_loss(model: nn.Module, reference: Reference, batch: dict[str, Tensor], cfg: TrainConfig) -> Tensor:
    """The E3 cross-entropy for one batch (policy forward with gradients, reference without)."""
    if "outcome_B" not in batch:
        raise ConfigError("loss 'implicit' needs an outcome label on every example")
    ids, att = batch["input_ids_B_T"], batch["attention_mask_B_T"]
    policy = model(input_ids=ids, attention_mask=att, use_cache=False).logits
    ref = reference.logits(ids, att)
    ratio = response_log_ratio(policy, ref, ids, batch["response_mask_B_T"])
    return losses.implicit_ce(ratio, batch["outcome_B"], beta=cfg.beta)


def export_implicit(model: nn.Module, reference: Reference, tokenizer: Any, cfg: TrainConfig, spec: PRMSpec) -> Path:
    """Write the policy (adapters merged) to ``output_dir`` and the reference to ``output_dir/reference``
    (or record ``cfg.model`` as the reference path when ``save_reference`` is false)."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.save_reference:
        ref_dir = out / "reference"
        ref = reference.standalone()
        ref.config.pad_token_id = tokenizer.pad_token_id
        ref.save_pretrained(str(ref_dir))
        tokenizer.save_pretrained(str(ref_dir))
        ref_path = str(ref_dir.resolve())
    else:
        if cfg.gguf_file:
            raise ConfigError("save_reference: false needs a model the scorer can load by path (not a GGUF file)")
        ref_path = str(Path(cfg.model).resolve()) if Path(cfg.model).exists() else cfg.model
    policy = merged(model)
    policy.config.pad_token_id = tokenizer.pad_token_id
    policy.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    write_spec(dataclasses.replace(spec, model=str(out.resolve()), reference_model=ref_path), out)
    return out
