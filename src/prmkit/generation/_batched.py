"""Batched decoding with a KV cache: continuous batching of samples over left-padded rows.

A *job* is one sample to draw: a prompt (by index), a token budget, stop
strings and a :class:`RowSampler`. Jobs enter the batch in order; each distinct
prompt is prefilled once (batch of one, no padding) and its cache rows are
copied to every sample of it that enters. Rows that finish (end of sequence,
a stop string in the generated text, the token budget) leave the batch at once;
free slots are refilled from the queue, so the batch stays full until the queue
runs dry.

Rows of different lengths share one ``DynamicCache`` by left padding: row
``i`` occupies the last ``len_i`` columns, an attention mask hides the rest,
and position ids count only its own tokens, so a row computes what it would
alone (up to floating-point differences of batched kernels). Columns that no
row uses any more are cut off the left. The cache's layers are
:class:`~prmkit.generation._kv.GrowingLayer` objects, which append in place
instead of copying the whole cache every step.

A prompt prefill first reads the longest cached beginning of its token ids
from a :class:`~prmkit.generation._prefix.PrefixCache` kept across calls, runs
the model on the rest only, and leaves its own keys and values there.

Caches other than plain full-attention ``DynamicLayer`` ones (sliding windows,
linear attention) cannot be re-padded nor cut; for those, the batch only ever
holds samples of one prompt at a time, and every prompt is prefilled whole.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prmkit._extras import require
from prmkit.generation._kv import join, stacked
from prmkit.generation._prefix import PrefixCache
from prmkit.generation._protocol import cut_at_stop
from prmkit.generation._sampling import RowSampler, next_tokens

__all__ = ["Job", "Row", "decode"]


@dataclass(frozen=True)
class Job:
    """One sample to draw."""

    prompt: int
    """Index of its prompt in the ``prompts`` given to :func:`decode`."""
    max_new: int
    """Most tokens it may generate (>= 1)."""
    stop: tuple[str, ...]
    """Stop strings, matched in the generated text only."""
    sampler: RowSampler
    """How it picks tokens."""


@dataclass
class Row:
    """A job being decoded, and when done, its outcome."""

    job: Job
    n_prompt: int
    tokens: list[int] = field(default_factory=list)
    """Generated tokens, end-of-sequence excluded."""
    ended: bool = False
    """Ended by end of sequence or a stop string (else by the token budget)."""
    text: str | None = None
    """The generated text cut at the stop string (set when a stop string ended it)."""

    def push(self, token: int, eos: set[int], tokenizer: Any) -> bool:
        """Take one sampled token; True when the row is done."""
        if token in eos:
            self.ended = True
            return True
        self.tokens.append(token)
        if self.job.stop and self._stop_in_tail(tokenizer):
            text, hit = cut_at_stop(tokenizer.decode(self.tokens, skip_special_tokens=True), self.job.stop)
            if hit:
                self.ended, self.text = True, text
                return True
        return len(self.tokens) >= self.job.max_new

    def _stop_in_tail(self, tokenizer: Any) -> bool:
        """Whether a stop string occurs in the text of the last few tokens: a stop string that the
        newest token completes spans at most its length in bytes in tokens (every token decodes to
        at least one byte), so only that tail is decoded per step, not the whole text."""
        window = max(len(s.encode()) for s in self.job.stop) + 4
        tail = tokenizer.decode(self.tokens[-window:], skip_special_tokens=True)
        return any(s in tail for s in self.job.stop)


@dataclass
class _Prefill:
    cache: Any
    logits: Any  # [vocab], the next-token logits after the prompt
    waiting: int  # jobs of this prompt not yet in the batch


def decode(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Sequence[int]],
    jobs: Sequence[Job],
    *,
    eos: set[int],
    batch_size: int,
    refill_at: int | None = None,
    prefix: PrefixCache | None = None,
) -> list[Row]:
    """Run every job; one finished :class:`Row` per job, in order.

    ``refill_at``: free slots that trigger admitting queued jobs (default
    ``batch_size // 4``, at least 1; an empty batch always refills).
    ``prefix``: cached prompt prefixes to read and extend (default: none).
    """
    torch = require("torch", extra="hf")
    prefix = PrefixCache(0) if prefix is None else prefix
    with torch.inference_mode():
        return _Decoder(model, tokenizer, prompts, jobs, eos, batch_size, refill_at, prefix).run()


class _Decoder:
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        prompts: Sequence[Sequence[int]],
        jobs: Sequence[Job],
        eos: set[int],
        batch_size: int,
        refill_at: int | None,
        prefix: PrefixCache,
    ) -> None:
        self.torch = require("torch", extra="hf")
        self.model, self.tokenizer, self.eos, self.prefix = model, tokenizer, eos, prefix
        self.prompts, self.jobs = prompts, jobs
        self.batch_size = batch_size
        self.refill_at = max(1, batch_size // 4) if refill_at is None else max(1, refill_at)
        self.device = next(model.parameters()).device
        self.keep = {"logits_to_keep": 1} if _takes(model, "logits_to_keep") else {}
        self.done: list[Row | None] = [None] * len(jobs)
        self.queue = deque(range(len(jobs)))
        self.prefills: dict[int, _Prefill] = {}
        self.waiting = [0] * len(prompts)
        for job in jobs:
            self.waiting[job.prompt] += 1
        self.rows: list[tuple[int, Row]] = []  # (job index, row) in batch order
        self.cache: Any = None
        self.mask: Any = None  # [rows, columns] bool
        transformers = require("transformers", extra="hf")
        self.mergeable = _plain(transformers.DynamicCache(config=model.config))

    def run(self) -> list[Row]:
        while self.queue or self.rows:
            free = self.batch_size - len(self.rows)
            if self.queue and (not self.rows or free >= self.refill_at):
                self._admit(free)
            if self.rows:
                self._step()
        assert all(r is not None for r in self.done)
        return [r for r in self.done if r is not None]

    # -- admission ----------------------------------------------------------------------------
    def _admit(self, free: int) -> None:
        taken: list[int] = []
        while self.queue and len(taken) < free:
            p = self.jobs[self.queue[0]].prompt
            if not self.mergeable and (self.rows or (taken and self.jobs[taken[0]].prompt != p)):
                break
            taken.append(self.queue.popleft())
        groups: dict[int, list[int]] = {}
        for i in taken:
            groups.setdefault(self.jobs[i].prompt, []).append(i)
        for p, idxs in groups.items():
            pre = self._prefill(p)
            pre.waiting -= len(idxs)
            entering = []
            for i in idxs:
                row = Row(self.jobs[i], len(self.prompts[p]))
                (token,) = next_tokens(pre.logits[None], [row.job.sampler])
                if row.push(token, self.eos, self.tokenizer):
                    self.done[i] = row
                else:
                    entering.append((i, row))
            if entering:
                self._merge(pre.cache, entering)
            if pre.waiting == 0:
                del self.prefills[p]

    def _prefill(self, p: int) -> _Prefill:
        if p not in self.prefills:
            torch = self.torch
            transformers = require("transformers", extra="hf")
            ids = list(self.prompts[p])
            hit, segments = self.prefix.read(ids) if self.mergeable else (0, [])
            cache = transformers.DynamicCache(config=self.model.config)
            more = {}
            if hit:
                cache.layers = [stacked(keys, values, len(ids) - hit) for keys, values in segments]
                more["position_ids"] = torch.arange(hit, len(ids), device=self.device)[None]
            run = torch.tensor([ids[hit:]], device=self.device)
            out = self.model(input_ids=run, cache=cache, use_cache=True, **self.keep, **more)
            if self.mergeable:
                self.prefix.write(ids, [(layer.keys, layer.values) for layer in out.cache.layers])
            self.prefix.prompt_tokens += len(ids)
            self.prefix.prefill_tokens += len(ids) - hit
            self.prefills[p] = _Prefill(out.cache, out.logits[0, -1], self.waiting[p])
        return self.prefills[p]

    def _merge(self, single: Any, entering: list[tuple[int, Row]]) -> None:
        """Add ``entering`` rows, whose cache is ``single`` (one row) repeated, to the batch."""
        torch = self.torch
        k, width = len(entering), single.get_seq_length()
        if not self.mergeable:  # the batch is empty: it holds one prompt's rows at a time
            self.cache = copy.deepcopy(single)
            self.cache.batch_repeat_interleave(k)
            self.mask = torch.ones(k, width, dtype=torch.bool, device=self.device)
        else:
            if not self.rows:
                transformers = require("transformers", extra="hf")
                self.cache, self.mask = transformers.DynamicCache(config=self.model.config), None
            old = self.cache.layers if self.rows else [None] * len(single.layers)
            self.cache.layers = [
                join(dst, src.keys, src.values, k) for dst, src in zip(old, single.layers, strict=True)
            ]
            n, prev = len(self.rows), 0 if self.mask is None else self.mask.shape[1]
            cols = max(prev, width)
            mask = torch.zeros(n + k, cols, dtype=torch.bool, device=self.device)
            if self.mask is not None and n:
                mask[:n, cols - prev :] = self.mask
            mask[n:, cols - width :] = True
            self.mask = mask
        self.rows.extend(entering)

    # -- decoding -----------------------------------------------------------------------------
    def _step(self) -> None:
        torch = self.torch
        rows = [r for _, r in self.rows]
        ids = torch.tensor([[r.tokens[-1]] for r in rows], device=self.device)
        pos = torch.tensor([[r.n_prompt + len(r.tokens) - 1] for r in rows], device=self.device)
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(rows), 1)], dim=1)
        out = self.model(
            input_ids=ids, attention_mask=self.mask, position_ids=pos, cache=self.cache, use_cache=True
        )
        self.cache = out.cache
        tokens = next_tokens(out.logits[:, -1], [r.job.sampler for r in rows])
        keep = []
        for b, ((i, row), token) in enumerate(zip(self.rows, tokens, strict=True)):
            if row.push(token, self.eos, self.tokenizer):
                self.done[i] = row
            else:
                keep.append(b)
        if len(keep) < len(rows):
            self._drop(keep)

    def _drop(self, keep: list[int]) -> None:
        """Keep only rows ``keep``, and cut the columns no remaining row uses."""
        self.rows = [self.rows[b] for b in keep]
        if not keep:
            self.cache = self.mask = None
            return
        index = self.torch.tensor(keep, device=self.device)
        self.cache.batch_select_indices(index)
        self.mask = self.mask[index]
        used = self.mask.any(dim=0).nonzero()
        lead = int(used[0]) if used.numel() else 0
        if lead and self.mergeable:
            for layer in self.cache.layers:
                layer.trim(lead)
            self.mask = self.mask[:, lead:]


def _plain(cache: Any) -> bool:
    """Whether every layer is a plain full-attention ``DynamicLayer`` (columns may be re-padded)."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in cache.layers)


def _takes(model: Any, name: str) -> bool:
    import inspect

    return name in inspect.signature(model.forward).parameters
