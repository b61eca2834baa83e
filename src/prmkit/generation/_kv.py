"""A KV-cache layer that appends in place, and the row surgery batched decoding needs.

transformers' ``DynamicLayer`` concatenates each new token onto its keys and
values, copying the whole cache every step (O(length) per token, per layer);
with 32 rows of 500 tokens that is hundreds of MB per step. :class:`GrowingLayer`
keeps them in buffers with spare columns and writes the new token in place;
attention reads a view of the filled columns.

Rows are left-padded: row ``i`` fills the last ``len_i`` of the ``n`` columns
(an attention mask hides the rest), so rows can join (:func:`join`), leave
(:meth:`GrowingLayer.select`) and unused leading columns can be cut
(:meth:`GrowingLayer.trim`). A prompt whose beginning is cached starts from
:func:`stacked`, the cached segments side by side with room for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmkit._extras import require

__all__ = ["GrowingLayer", "join", "stacked"]

_SPARE = 128
"""Spare columns allocated beyond the filled ones (more are added as needed, by half the length)."""


def _base() -> Any:
    from transformers.cache_utils import DynamicLayer

    return DynamicLayer


def _filled_view(buffer: str, name: str) -> property:
    """A read-only view of the first ``_n`` columns of ``buffer`` (None before it exists)."""

    def get(self: Any) -> Any:
        return getattr(self, buffer)[:, :, : self._n] if hasattr(self, buffer) else None

    def set_(self: Any, value: Any) -> None:
        if value is not None:
            raise AttributeError(f"GrowingLayer {name} change through update(), select() and trim()")

    return property(get, set_)


class GrowingLayer(_base()):  # type: ignore[misc]
    """A full-attention ``DynamicLayer`` whose appends write into spare columns.

    ``k``/``v``: buffers ``[rows, heads, capacity, dim]`` whose first ``n`` columns are filled.
    """

    def __init__(self, k: Any, v: Any, n: int) -> None:
        super().__init__()
        self._k, self._v, self._n = k, v, n
        self.device = k.device
        self.is_initialized = True

    # ``keys``/``values`` are views of the filled columns (the base class assigns None once, at init)
    keys = _filled_view("_k", "keys")
    values = _filled_view("_v", "values")

    def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        q = key_states.shape[2]
        if self._n + q > self._k.shape[2]:
            self._grow(self._n + q + max(_SPARE, self._n // 2))
        self._k[:, :, self._n : self._n + q] = key_states
        self._v[:, :, self._n : self._n + q] = value_states
        self._n += q
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self._n

    def select(self, index: Any) -> None:
        """Keep only rows ``index`` (a 1-D index tensor)."""
        self._k, self._v = self._k[index], self._v[index]

    def batch_select_indices(self, indices: Any) -> None:
        self.select(indices)

    def trim(self, lead: int) -> None:
        """Drop the first ``lead`` columns (no row uses them any more)."""
        self._k, self._v = self._k[:, :, lead:], self._v[:, :, lead:]
        self._n -= lead

    def _grow(self, capacity: int) -> None:
        self._k, self._v = (_buffer(t, t.shape[0], capacity, t[:, :, : self._n], 0) for t in (self._k, self._v))


def join(batch: GrowingLayer | None, keys: Any, values: Any, copies: int) -> GrowingLayer:
    """``batch``'s rows, then ``copies`` rows of one sequence's ``keys``/``values``
    (``[1, heads, length, dim]``), left-padded with zeros to the longer length."""
    width = keys.shape[2]
    old = 0 if batch is None else batch.get_seq_length()
    cols = max(old, width)
    rows = 0 if batch is None else batch._k.shape[0]
    bufs = []
    for filled, single in ((None if batch is None else batch.keys, keys), (None if batch is None else batch.values, values)):
        buf = _buffer(single, rows + copies, cols + _SPARE, filled, cols - old)
        buf[rows:, :, cols - width : cols] = single
        bufs.append(buf)
    return GrowingLayer(bufs[0], bufs[1], cols)


def stacked(keys: Sequence[Any], values: Sequence[Any], spare: int) -> GrowingLayer:
    """One row filled with the ``keys``/``values`` segments (each ``[1, heads, length, dim]``) side by
    side, with room for ``spare`` more columns; the segments are copied, never written to."""
    n = sum(k.shape[2] for k in keys)
    bufs = []
    for parts in (keys, values):
        buf = _buffer(parts[0], 1, n + spare, None, 0)
        at = 0
        for part in parts:
            buf[:, :, at : at + part.shape[2]] = part
            at += part.shape[2]
        bufs.append(buf)
    return GrowingLayer(bufs[0], bufs[1], n)


def _buffer(like: Any, rows: int, capacity: int, head: Any, at: int) -> Any:
    """A zeroed ``[rows, heads, capacity, dim]`` buffer with ``head`` (if any) copied into its first rows
    from column ``at``."""
    torch = require("torch", extra="hf")
    buf = torch.zeros(rows, like.shape[1], capacity, like.shape[3], dtype=like.dtype, device=like.device)
    if head is not None:
        buf[: head.shape[0], :, at : at + head.shape[2]] = head
    return buf
