"""Next-token choice for a batch of rows, each with its own temperature, top-p and random stream.

Every sampled row owns a ``torch.Generator`` seeded with its sample's seed and
draws one 62-bit key from it per token: row ``i``'s tokens depend only on its own
logits and its own stream, never on which rows share the batch. Greedy rows
(temperature 0) take the argmax and draw nothing. The caller's global torch
RNG is never touched.

A token is the winner of a Gumbel race, ``argmax_i (z_i + g_i)`` with
``z = logits / T``, which samples exactly from ``softmax(z)``. The noise
``g_i`` is a hash of (key, token id), so every token keeps its own noise
whatever else is in the race: a tiny floating-point difference in the logits
(batched kernels, padding) changes the token only if the two best scores are
that close. (An inverse CDF over the vocabulary, by contrast, moves every
interval boundary with a running sum over 150k probabilities.)

Only *candidates* (``z_i >= max z - 20``: tens to hundreds of tokens for a
trained model) race individually; finding them costs one comparison pass over
the logits. The other tokens' best score is ``log(tail mass) + g`` for one more
Gumbel ``g`` (the maximum of Gumbel-perturbed ``z_i`` over a set is Gumbel
around the set's log-sum-exp, and which token attains it is independent of its
value). The tail mass is at most ``(tokens in the tail) * e**-20``; only when
that bound would beat the candidates (for a trained model, a few draws in ten
thousand) is the mass computed, and only if the tail then wins does its own race
name the token. Nucleus sampling (top_p < 1) races the fewest most likely
tokens whose mass reaches ``top_p``.

>>> import torch
>>> rows = [RowSampler.make(0.0, 1.0, None), RowSampler.make(0.7, 1.0, seed=3)]
>>> next_tokens(torch.tensor([[0.0, 5.0, 1.0], [0.0, 5.0, 1.0]]), rows)[0]
1
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prmkit._extras import require

__all__ = ["RowSampler", "gumbel_noise", "next_tokens"]

_CUTOFF = 20.0
"""Candidates: tokens whose scaled logit is within this of the best one (probability ratio >= e**-20)."""
_SLACK = 1e-3
"""Margin on the tail bound, for rounding in the candidate test."""
_TAIL_ID = -1
"""The id whose noise draws the tail's best score."""


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_MIX1 = _signed(0xBF58476D1CE4E5B9)
_MIX2 = _signed(0x94D049BB133111EB)


@dataclass(frozen=True)
class RowSampler:
    """How one sample chooses its tokens."""

    temperature: float
    """Softmax temperature; 0 is greedy."""
    top_p: float
    """Nucleus mass in (0, 1]; 1 keeps every token."""
    generator: Any
    """The sample's own ``torch.Generator`` (None when greedy)."""

    @classmethod
    def make(cls, temperature: float, top_p: float, seed: int | None, device: str = "cpu") -> RowSampler:
        """A sampler seeded with ``seed`` (None: fresh randomness from the OS).

        >>> RowSampler.make(0.7, 0.95, seed=1).generator.initial_seed()
        1
        """
        if temperature == 0:
            return cls(0.0, top_p, None)
        torch = require("torch", extra="hf")
        gen = torch.Generator(device=device)
        gen.manual_seed(seed if seed is not None else random.SystemRandom().randrange(2**63))
        return cls(temperature, top_p, gen)

    def key(self) -> int:
        """The next 62-bit key of this sample's stream (one per token)."""
        torch = require("torch", extra="hf")
        return int(torch.randint(0, 2**62, (1,), generator=self.generator, device=self.generator.device))


def gumbel_noise(keys: Any, ids: Any) -> Any:
    """Standard Gumbel noise (float64), a fixed function of each (key, token id) pair (splitmix64).

    >>> import torch
    >>> g = gumbel_noise(torch.tensor([7, 7]), torch.tensor([3, 3]))
    >>> bool(g[0] == g[1])
    True
    """
    torch = require("torch", extra="hf")
    x = keys.to(torch.int64) + (ids.to(torch.int64) + 1) * _GOLDEN
    x = (x ^ _shr(x, 30)) * _MIX1
    x = (x ^ _shr(x, 27)) * _MIX2
    x = x ^ _shr(x, 31)
    u = (_shr(x, 11).to(torch.float64) + 0.5) * 2.0**-53  # in (0, 1)
    return -torch.log(-torch.log(u))


def _shr(x: Any, n: int) -> Any:
    """Logical right shift of int64 (torch's ``>>`` keeps the sign)."""
    return (x >> n) & ((1 << (64 - n)) - 1)


def next_tokens(logits: Any, rows: Sequence[RowSampler], *, cutoff: float = _CUTOFF) -> list[int]:
    """One token id per row of ``logits`` (shape ``[rows, vocab]``); ``cutoff``: the candidates'
    range below the best scaled logit (any value samples the same distribution; it sets the cost).

    >>> import torch
    >>> next_tokens(torch.tensor([[0.0, 9.0], [9.0, 0.0]]), [RowSampler.make(0, 1, None)] * 2)
    [1, 0]
    """
    torch = require("torch", extra="hf")
    if logits.shape[0] != len(rows):
        raise AssertionError(f"{logits.shape[0]} rows of logits for {len(rows)} samplers")
    out = [0] * len(rows)
    greedy = [i for i, r in enumerate(rows) if r.generator is None]
    sampled = [i for i, r in enumerate(rows) if r.generator is not None]
    if greedy:
        x = logits if len(greedy) == len(rows) else logits[greedy]
        for i, t in zip(greedy, x.float().argmax(dim=-1).tolist(), strict=True):
            out[i] = int(t)
    if not sampled:
        return out
    x = logits if len(sampled) == len(rows) else logits[sampled]
    dev, vocab = x.device, x.shape[1]
    temps = torch.tensor([[rows[i].temperature] for i in sampled], device=dev)
    best = x.amax(dim=-1, keepdim=True).float()
    at, ids = (x >= best - cutoff * temps).nonzero(as_tuple=True)
    sizes = torch.bincount(at, minlength=len(sampled)).tolist()
    z = (x[at, ids].to(torch.float64) - best[at, 0]) / temps[at, 0]  # candidates' (x - max) / T
    keys = torch.tensor([rows[i].key() for i in sampled], device=dev)
    scores = z + gumbel_noise(keys[at], ids)
    tail_g = gumbel_noise(keys, torch.full_like(keys, _TAIL_ID)).tolist()
    parts = zip(sampled, ids.split(sizes), z.split(sizes), scores.split(sizes), strict=True)
    for k, (i, c_ids, c_z, c_scores) in enumerate(parts):
        row_z = _Lazy(x[k], best[k], temps[k])
        if rows[i].top_p < 1:
            out[i] = _nucleus(row_z, c_ids, c_z, c_scores, keys[k], rows[i].top_p)
            continue
        win = int(c_scores.argmax())
        out[i] = int(c_ids[win])
        # The tail's best score is log(tail mass) + g; with the bound (tokens) * e**-cutoff on the
        # mass and the same g, it is checked exactly only when the bound could win.
        n_tail, top = vocab - len(c_ids), float(c_scores[win])
        if n_tail and math.log(n_tail) - cutoff + _SLACK + tail_g[k] > top:
            tail = row_z.tail_mass(c_ids)
            if tail > 0 and math.log(tail) + tail_g[k] > top:
                out[i] = _race(row_z.get(), row_z.tail_ids(c_ids), keys[k])
    return out


class _Lazy:
    """One row's ``(x - max) / T`` over the whole vocabulary, computed only if needed."""

    def __init__(self, x: Any, best: Any, temp: Any) -> None:
        self.x, self.best, self.temp, self.z = x, best, temp, None

    def get(self) -> Any:
        if self.z is None:
            self.z = (self.x.float() - self.best) / self.temp
        return self.z

    def tail_ids(self, cand: Any) -> Any:
        torch = require("torch", extra="hf")
        mask = torch.ones_like(self.x, dtype=torch.bool)
        mask[cand] = False
        return mask.nonzero().squeeze(1)

    def tail_mass(self, cand: Any) -> float:
        """Sum of ``exp(z)`` outside the candidates (the best token weighs 1)."""
        z = self.get().clone()
        z[cand] = float("-inf")
        return float(z.double().exp().sum())


def _race(z: Any, ids: Any, key: Any) -> int:
    """The winner of the Gumbel race among ``ids``."""
    return int(ids[int((z[ids].double() + gumbel_noise(key, ids)).argmax())])


def _nucleus(row_z: _Lazy, ids: Any, z: Any, scores: Any, key: Any, top_p: float) -> int:
    """Race among the nucleus (from the candidates, unless they hold less than ``top_p``)."""
    torch = require("torch", extra="hf")
    w = z.exp()
    total = float(w.sum()) + row_z.tail_mass(ids)
    if float(w.sum()) < top_p * total:  # the nucleus reaches into the tail: rank every token
        z = row_z.get().double()
        ids = torch.arange(z.shape[0], device=z.device)
        w, scores = z.exp(), z + gumbel_noise(key, ids)
    order = torch.argsort(w, descending=True, stable=True)
    before = w[order].cumsum(0) - w[order]  # mass of the more likely tokens
    keep = order[: max(1, int((before < top_p * total).sum()))]
    return int(ids[keep[int(scores[keep].argmax())]])
