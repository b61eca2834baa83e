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
from prmkit.scoring.logprobs import chunked_logprobs, logit_postprocess
from prmkit.scoring.spec import PRMSpec
from prmkit.training import losses
from prmkit.training.config import TrainConfig
from prmkit.training.export import merged, write_spec

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["Reference", "export_implicit", "implicit_loss", "per_row_sum", "response_logprobs"]


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

    def response_logprobs(self, input_ids: Tensor, attention_mask: Tensor, response_mask: Tensor) -> Tensor:
        """The reference's :func:`response_logprobs`, without gradients."""
        torch = require("torch", extra="hf")
        with torch.no_grad(), self._view() as m:
            return response_logprobs(m, input_ids, attention_mask, response_mask)

    def standalone(self) -> Any:
        """A separate reference model for the scorer (the frozen copy; for LoRA, the base without adapters)."""
        if self._copy is None:
            self._copy = copy.deepcopy(self._model).unload().eval()  # type: ignore[operator]
            for p in self._copy.parameters():
                p.requires_grad_(False)
        return self._copy


def response_logprobs(model: Any, input_ids: Tensor, attention_mask: Tensor, response_mask: Tensor) -> Tensor:
    """``log p(y_t | y_<t)`` of every response token, flattened row by row, in fp32: shape ``[N]``.

    ``response_mask[b, t]`` marks token t as a response token (predicted at position t − 1).
    Only the positions that predict response tokens go through the LM head, in
    chunks whose logits are recomputed during backward
    (:func:`~prmkit.scoring.logprobs.chunked_logprobs`, as the scorer reads them),
    so memory does not grow with the vocabulary times the sequence length.
    """
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone = getattr(inner, inner.base_model_prefix)
    head = inner.get_output_embeddings()
    post = logit_postprocess(inner.config.get_text_config())
    hidden = backbone(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    mask = response_mask[:, 1:]

    def to_logits(h: Tensor) -> Tensor:
        logits: Tensor = post(head(h).float())
        return logits

    out: Tensor = chunked_logprobs(hidden[:, :-1][mask], input_ids[:, 1:][mask], to_logits, vocab=int(head.weight.shape[0]))
    return out


def per_row_sum(values_N: Tensor, response_mask: Tensor) -> Tensor:
    """Sum the flattened per-token values of :func:`response_logprobs` back per row: shape ``[B]``."""
    torch = require("torch", extra="hf")
    mask = response_mask[:, 1:]
    rows = torch.arange(mask.shape[0], device=mask.device)[:, None].expand_as(mask)[mask]
    out: Tensor = torch.zeros(mask.shape[0], device=values_N.device, dtype=values_N.dtype).index_add(0, rows, values_N)
    return out


def implicit_loss(model: nn.Module, reference: Reference, batch: dict[str, Tensor], cfg: TrainConfig) -> Tensor:
    """The E3 cross-entropy for one batch (policy forward with gradients, reference without)."""
    if "outcome_B" not in batch:
        raise ConfigError("loss 'implicit' needs an outcome label on every example")
    ids, att, resp = batch["input_ids_B_T"], batch["attention_mask_B_T"], batch["response_mask_B_T"]
    policy = response_logprobs(model, ids, att, resp)
    ref = reference.response_logprobs(ids, att, resp)
    return losses.implicit_ce(per_row_sum(policy - ref, resp), batch["outcome_B"], beta=cfg.beta)


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
