"""Reading a model's outputs at gathered positions only: the fast path of the ``hf`` backend.

``Head.read`` runs the base model (no LM head) and applies just what a
readout :attr:`~prmkit.scoring.readouts.ModelReadout.reads` to the gathered
hidden states: the LM head's rows of the readout's token ids, or the
token-classification head. ``Head.token_logprobs`` applies the full LM head
in chunks (:func:`~prmkit.scoring.logprobs.chunked_logprobs`) to the positions
that predict response tokens and keeps one log-probability per token. At build time the fast path is checked
against the model's own full forward on a short probe; if they disagree
(an architecture that post-processes logits in a way not handled here) the
head falls back to the full forward, gathered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring.logprobs import chunked_logprobs, logit_postprocess
from prmkit.scoring.readouts import ModelReadout, model_readout
from prmkit.scoring.render import TokenIds
from prmkit.scoring.spec import PRMSpec

__all__ = ["Head"]


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
        """Split ``model`` for what ``spec``'s readout reads and check the split on ``probe`` token ids."""
        torch = require("torch", extra="hf")
        readout = model_readout(spec)
        base = model.base_model
        if base is model:
            raise ConfigError(f"PRM {spec.name!r}: {type(model).__name__} has no separate base model and head")
        lm = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        vocab = int(lm.weight.shape[0]) if lm is not None else int(model.config.get_text_config().vocab_size)
        post = logit_postprocess(model.config.get_text_config())
        columns: list[int] | None = None
        if readout.reads in ("lm_rows", "token_logprobs"):
            if lm is None:
                raise ConfigError(f"PRM {spec.name!r}: {type(model).__name__} has no LM head")
            if readout.reads == "lm_rows":
                columns = list(ids.columns)
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
        split._check_outputs(spec, readout, probe)
        return split

    def hidden(self, ids: Any, mask: Any) -> Any:
        return self.base(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state

    def full(self, ids: Any, mask: Any) -> Any:
        return self.model(input_ids=ids, attention_mask=mask, use_cache=False).logits

    def run(self, ids: Any, mask: Any, **kwargs: Any) -> Any:
        """What the readout reads from, at every token: the base model's last hidden states (fast path) or the
        full model's logits. ``kwargs`` go to the model (``position_ids``, a key/value cache, ``use_cache``)."""
        kwargs.setdefault("use_cache", False)
        if self.fast:
            return self.base(input_ids=ids, attention_mask=mask, **kwargs).last_hidden_state
        return self.model(input_ids=ids, attention_mask=mask, **kwargs).logits

    def at(self, out: Any, rows: Sequence[int], cols: Sequence[int]) -> Any:
        """Float32 outputs ``(len(rows), C)`` at ``[rows[i], cols[i]]`` of :meth:`run`'s ``out``."""
        picked = out[list(rows), list(cols)]
        if self.fast:
            return self.fn(picked)
        picked = picked.float()
        return picked if self.columns is None else picked[:, self.columns]

    def logprobs_at(self, out: Any, rows: Sequence[int], cols: Sequence[int], targets: Any) -> Any:
        """log p(targets[i]) from :meth:`run`'s ``out`` at ``[rows[i], cols[i]]``, fp32 log-softmax, chunked."""
        to_logits = self.fn if self.fast else _as_float
        return chunked_logprobs(out[list(rows), list(cols)], targets, to_logits, vocab=self.vocab)

    def read(self, ids: Any, mask: Any, rows: Sequence[int], cols: Sequence[int]) -> Any:
        """Float32 outputs ``(len(rows), C)`` at ``[rows[i], cols[i]]``."""
        return self.at(self.run(ids, mask), rows, cols)

    def token_logprobs(self, ids: Any, mask: Any, rows: Sequence[int], cols: Sequence[int], targets: Any) -> Any:
        """log p(targets[i]) from the logits at ``[rows[i], cols[i]]``, fp32 log-softmax, chunked."""
        return self.logprobs_at(self.run(ids, mask), rows, cols, targets)

    @property
    def cache_keyword(self) -> str:
        """The keyword :meth:`run`'s model takes a key/value cache under: ``cache`` (transformers 5), else
        ``past_key_values``."""
        module = self.base if self.fast else self.model
        forward = getattr(module, "_orig_mod", module).forward  # through torch.compile's wrapper
        return "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"

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

    def _check_outputs(self, spec: PRMSpec, readout: ModelReadout, probe: Sequence[int]) -> None:
        torch = require("torch", extra="hf")
        if readout.reads != "classifier" or not probe:
            return
        with torch.inference_mode():
            ids = torch.tensor([list(probe[:2])], device=self.model.device)
            n_labels = self.read(ids, torch.ones_like(ids), [0], [0]).shape[-1]
        readout.check_outputs(spec, n_labels, "the model")


def _as_float(x: Any) -> Any:
    return x.float()
