"""A prompt-prefix KV cache kept across ``generate`` calls: a radix tree over prompt token ids.

Step-level search and Monte Carlo labelling ask, call after call, for
continuations of prompts that extend the prompts of the call before (the same
problem, one more step). Each prefilled prompt's keys and values are kept, per
layer and position, in a tree whose edges are runs of token ids, so prompts
that share a beginning share its nodes and store it once (SGLang's radix
cache; vLLM's automatic prefix caching). A new prompt reads the longest
cached beginning of its token ids, and the model runs on the rest only: with
position ids continuing, it computes what a whole prefill computes, up to
floating-point differences of the kernels.

The last prompt token is always run, for its next-token logits: they are not
stored (a vocabulary's worth of floats outweighs tens of positions), so a
prompt that is wholly cached costs a one-token prefill.

At most ``budget`` positions are kept; past it, the least recently used
leaves are dropped. Reads copy (:func:`~prmkit.generation._kv.stacked`):
decoding appends into its own buffers, never into stored tensors.

Positions are keyed by token ids alone, so a cache belongs to one set of
weights: :meth:`PrefixCache.check` empties it when a parameter was changed in
place (its tensor version counter moved: an optimizer step, ``load_state_dict``)
or replaced (``model.to``).

>>> cache = PrefixCache(budget=100)
>>> cache.read([1, 2, 3])
(0, [])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["PrefixCache"]

Segments = list[tuple[list[Any], list[Any]]]
"""Per layer, the key and the value tensors (``[1, heads, length, dim]``) of consecutive runs of positions."""


class _Node:
    """A run of token ids and its keys and values, below the run that precedes it."""

    __slots__ = ("children", "kv", "parent", "tokens", "used")

    def __init__(self, tokens: tuple[int, ...], kv: list[tuple[Any, Any]], parent: _Node | None) -> None:
        self.tokens = tokens
        self.kv = kv
        """Per layer, keys and values ``[1, heads, len(tokens), dim]``."""
        self.parent = parent
        self.children: dict[int, _Node] = {}
        """By first token id."""
        self.used = 0
        """When a read or write last passed through it (a parent's is never older than its children's)."""


class PrefixCache:
    """Prefilled prompts' keys and values by token-id prefix, at most ``budget`` positions (0: none kept).

    ``prompt_tokens`` and ``prefill_tokens`` count, over every prefill, the prompt
    tokens and those the model ran on (the rest were read from the cache).
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        """Positions stored."""
        self.prompt_tokens = 0
        self.prefill_tokens = 0
        self._root = _Node((), [], None)
        self._tick = 0
        self._weights: tuple[tuple[int, int], ...] | None = None

    def check(self, model: Any) -> None:
        """Empty the cache if ``model``'s parameters changed since the last check."""
        weights = tuple((p.data_ptr(), p._version) for p in model.parameters())
        if weights != self._weights:
            self._root, self.size, self._weights = _Node((), [], None), 0, weights

    def read(self, ids: Sequence[int]) -> tuple[int, Segments]:
        """The longest cached beginning of ``ids`` short of its last token: its length, and its
        segments (views of stored tensors; copy before writing)."""
        self._tick += 1
        node, at, path = self._root, 0, []
        while at < len(ids) - 1:
            child = node.children.get(ids[at])
            if child is None:
                break
            common = _common(child.tokens, ids, at, len(ids) - 1)
            child.used = self._tick
            path.append((child, common))
            node, at = child, at + common
            if common < len(child.tokens):
                break
        if not path:
            return 0, []
        layers = len(path[0][0].kv)
        segments: Segments = [([], []) for _ in range(layers)]
        for n, used in path:
            for (keys, values), (k, v) in zip(segments, n.kv, strict=True):
                keys.append(k[:, :, :used])
                values.append(v[:, :, :used])
        return at, segments

    def write(self, ids: Sequence[int], layers: Sequence[tuple[Any, Any]]) -> None:
        """Keep the prefill of ``ids``: per layer, keys and values ``[1, heads, len(ids), dim]``
        (the positions not stored yet are copied)."""
        if self.budget <= 0:
            return
        self._tick += 1
        node, at = self._root, 0
        while at < len(ids):
            child = node.children.get(ids[at])
            if child is None:
                kv = [(k[:, :, at:].clone(), v[:, :, at:].clone()) for k, v in layers]
                child = _Node(tuple(ids[at:]), kv, node)
                node.children[ids[at]] = child
                self.size += len(child.tokens)
                at = len(ids)
            else:
                common = _common(child.tokens, ids, at, len(ids))
                if common < len(child.tokens) and at + common < len(ids):
                    child = _split(child, common)
                at += common
            child.used = self._tick
            node = child
        self._evict()

    def _evict(self) -> None:
        while self.size > self.budget:
            leaf = min((n for n in self._nodes() if not n.children), key=lambda n: n.used)
            assert leaf.parent is not None
            del leaf.parent.children[leaf.tokens[0]]
            self.size -= len(leaf.tokens)

    def _nodes(self) -> Iterator[_Node]:
        todo = list(self._root.children.values())
        while todo:
            node = todo.pop()
            yield node
            todo.extend(node.children.values())


def _common(tokens: tuple[int, ...], ids: Sequence[int], at: int, end: int) -> int:
    """How many of ``tokens`` equal ``ids[at:end]`` from the start."""
    n = min(len(tokens), end - at)
    if tuple(ids[at : at + n]) == tokens[:n]:
        return n
    i = 0
    while tokens[i] == ids[at + i]:
        i += 1
    return i


def _split(node: _Node, at: int) -> _Node:
    """Cut ``node``'s run after ``at`` tokens; the new upper node (returned) takes its place."""
    assert node.parent is not None and 0 < at < len(node.tokens)
    upper = _Node(node.tokens[:at], [(k[:, :, :at].clone(), v[:, :, :at].clone()) for k, v in node.kv], node.parent)
    upper.used = node.used
    node.parent.children[node.tokens[0]] = upper
    node.tokens, node.parent = node.tokens[at:], upper
    node.kv = [(k[:, :, at:].clone(), v[:, :, at:].clone()) for k, v in node.kv]
    upper.children[node.tokens[0]] = node
    return upper
