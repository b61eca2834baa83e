"""Reading a model's outputs at gathered positions only: the fast path of the ``hf`` backend.

``Head.read`` runs the base model (no LM head) and applies just what a
readout needs to the gathered hidden states: the two label rows of the LM
head, or the token-classification head. ``Head.token_logprobs`` applies the
full LM head in chunks to the positions that predict response tokens and
keeps one log-probability per token. At build time the fast path is checked
against the model's own full forward on a short probe; if they disagree
(an architecture that post-processes logits in a way not handled here) the
head falls back to the full forward, gathered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring._render import TokenIds
from prmkit.scoring.spec import PRMSpec

__all__ = ["Head"]

_LOGIT_ELEMENTS = 1 << 25
"""Largest (rows x vocab) block of fp32 logits alive at once in ``token_logprobs`` (128 MiB)."""


@dataclass
class Head:
    """One model split into base + the part of its head a readout needs."""

    model: Any
    base: Any
    fn: Callable[[Any], Any]
    """Gathered hidden states ``(N, H)`` -> float32 outputs ``(N, C)``."""
    columns: list[int] | None
    """Full-forward fallback: which logit columns the readout uses (``None``: all)."""
    fast: bool
    vocab: int

    @classmethod
    def build(cls, spec: PRMSpec, model: Any, ids: TokenIds, probe: Sequence[int]) -> Head:
        """Split ``model`` for ``spec.readout`` and check the split on ``probe`` token ids."""
        torch = require("torch", extra="hf")
        base = model.base_model
        if base is model:
            raise ConfigError(f"PRM {spec.name!r}: {type(model).__name__} has no separate base model and head")
        lm = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        vocab = int(lm.weight.shape[0]) if lm is not None else int(model.config.get_text_config().vocab_size)
        post = _logit_postprocess(model.config.get_text_config())
        columns: list[int] | None = None
        if spec.readout in ("tag_logits", "log_ratio"):
            if lm is None:
                raise ConfigError(f"PRM {spec.name!r}: {type(model).__name__} has no LM head")
            if spec.readout == "tag_logits":
                assert ids.good is not None and ids.bad is not None
                columns = [ids.good, ids.bad]
                w = lm.weight.detach()[columns].float()
                b = lm.bias.detach()[columns].float() if getattr(lm, "bias", None) is not None else None

                def fn(h: Any) -> Any:
                    out = h.float() @ w.T
                    return post(out if b is None else out + b)
            else:

                def fn(h: Any) -> Any:
                    return post(lm(h).float())
        else:
            head = next((m for m in (getattr(model, n, None) for n in ("score", "classifier"))
                         if isinstance(m, torch.nn.Module)), None)
            if head is None:
                raise ConfigError(f"PRM {spec.name!r}: {type(model).__name__} has no 'score'/'classifier' head")

            def fn(h: Any) -> Any:
                return head(h).float()

        split = cls(model=model, base=base, fn=fn, columns=columns, fast=True, vocab=vocab)
        split.fast = split._agrees_with_full_forward(probe)
        split._check_labels(spec, probe)
        return split

    def hidden(self, ids: Any, mask: Any) -> Any:
        return self.base(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state

    def full(self, ids: Any, mask: Any) -> Any:
        return self.model(input_ids=ids, attention_mask=mask, use_cache=False).logits

    def read(self, ids: Any, mask: Any, rows: Sequence[int], cols: Sequence[int]) -> Any:
        """Float32 outputs ``(len(rows), C)`` at ``[rows[i], cols[i]]``."""
        if self.fast:
            return self.fn(self.hidden(ids, mask)[list(rows), list(cols)])
        out = self.full(ids, mask)[list(rows), list(cols)].float()
        return out if self.columns is None else out[:, self.columns]

    def token_logprobs(self, ids: Any, mask: Any, rows: Sequence[int], cols: Sequence[int], targets: Any) -> Any:
        """log p(targets[i]) from the logits at ``[rows[i], cols[i]]``, fp32 log-softmax, chunked."""
        torch = require("torch", extra="hf")
        if self.fast:
            gathered = self.hidden(ids, mask)[list(rows), list(cols)]
            apply = self.fn
        else:
            gathered = self.full(ids, mask)[list(rows), list(cols)]

            def apply(x: Any) -> Any:
                return x.float()

        step = max(1, _LOGIT_ELEMENTS // self.vocab)
        parts = []
        for at in range(0, len(rows), step):
            logits = apply(gathered[at : at + step])
            picked = logits.gather(1, targets[at : at + step, None])[:, 0]
            parts.append(picked - torch.logsumexp(logits, dim=-1))
        return torch.cat(parts) if parts else torch.zeros(0, device=gathered.device)

    def _agrees_with_full_forward(self, probe: Sequence[int]) -> bool:
        torch = require("torch", extra="hf")
        if not probe:
            return True
        ids = torch.tensor([list(probe)], device=self.model.device)
        mask = torch.ones_like(ids)
        with torch.inference_mode():
            n = len(probe)
            fast = self.fn(self.hidden(ids, mask)[0])
            full = self.full(ids, mask)[0].float()
            if self.columns is not None:
                full = full[:, self.columns]
        if fast.shape != full.shape or fast.shape[0] != n:
            return False
        tol = 1e-4 if self.model.dtype == torch.float32 else 5e-2
        return bool((fast - full).abs().max() <= tol * (1 + full.abs().max()))

    def _check_labels(self, spec: PRMSpec, probe: Sequence[int]) -> None:
        torch = require("torch", extra="hf")
        if spec.readout not in ("token_classify", "value_head") or not probe:
            return
        with torch.inference_mode():
            ids = torch.tensor([list(probe[:2])], device=self.model.device)
            n_labels = self.read(ids, torch.ones_like(ids), [0], [0]).shape[-1]
        if spec.readout == "value_head" and n_labels != 1:
            raise ConfigError(f"PRM {spec.name!r}: value_head needs a 1-output head, model has {n_labels}")
        if spec.readout == "token_classify" and not 0 <= spec.positive_index < n_labels:
            raise ConfigError(f"PRM {spec.name!r}: positive_index {spec.positive_index} but {n_labels} labels")


def _logit_postprocess(config: Any) -> Callable[[Any], Any]:
    """Scaling / soft-capping some architectures apply to LM logits (Cohere, Gemma 2/3)."""
    torch = require("torch", extra="hf")
    scale = getattr(config, "logit_scale", None)
    cap = getattr(config, "final_logit_softcapping", None)

    def post(x: Any) -> Any:
        if scale is not None:
            x = x * scale
        if cap is not None:
            x = torch.tanh(x / cap) * cap
        return x

    return post
