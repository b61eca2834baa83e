"""Token sequences with a payload per token, stored once per shared prefix, evicted least recently used first.

A radix tree per key (the problem text): a node holds a run of token ids and,
for each of them, one row of every payload tensor (dimension 0 is the token).
Two sequences that share their first tokens share the nodes that hold them;
inserting a sequence that leaves a node halfway splits it. Eviction removes
whole leaves, the least recently matched or inserted first, until at most
``max_tokens`` tokens are held.

>>> import numpy as np
>>> tree = PrefixTree(max_tokens=100)
>>> tree.insert("p", np.array([1, 2, 3]), 0, [np.array([10.0, 20.0, 30.0])])
>>> n, path = tree.match("p", np.array([1, 2, 4]))
>>> n, [float(x) for x in tree.gather(path, 0, n)]
(2, [10.0, 20.0])
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prmkit._extras import require

__all__ = ["Path", "PrefixTree", "common_length"]

Path = list[tuple["_Node", int]]
"""The nodes a match went through, each with how many of its tokens matched (all but maybe the last's)."""


@dataclass(eq=False)
class _Node:
    tokens: np.ndarray
    payload: list[Any]
    parent: _Node | None = None
    children: dict[int, _Node] = field(default_factory=dict)
    used: int = 0


def common_length(a: np.ndarray, b: np.ndarray) -> int:
    """The length of the longest common prefix of two 1-D arrays.

    >>> common_length(np.array([1, 2, 3]), np.array([1, 2, 5, 6]))
    2
    """
    m = min(len(a), len(b))
    diff = np.flatnonzero(a[:m] != b[:m])
    return int(diff[0]) if diff.size else m


class PrefixTree:
    """Sequences of token ids under keys, with per-token payloads (tensors or arrays sliced on dimension 0)."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.tokens = 0
        """Tokens held, all keys together."""
        self._roots: dict[str, _Node] = {}
        self._clock = itertools.count(1)

    def match(self, key: str, ids: np.ndarray) -> tuple[int, Path]:
        """How many leading tokens of ``ids`` are held under ``key``, and the path that holds them."""
        node, at, path = self._roots.get(key), 0, []
        now = next(self._clock)
        while node is not None and at < len(ids):
            child = node.children.get(int(ids[at]))
            if child is None:
                break
            n = common_length(child.tokens, ids[at:])
            child.used = now
            path.append((child, n))
            at += n
            node = child if n == len(child.tokens) else None
        return at, path

    def gather(self, path: Path, index: int, length: int) -> Any:
        """Payload ``index`` of the first ``length`` tokens of ``path``, concatenated on dimension 0."""
        parts = [node.payload[index][:n] for node, n in _cropped(path, length)]
        if isinstance(parts[0], np.ndarray):
            return np.concatenate(parts)
        return require("torch", extra="hf").cat(parts)

    def segments(self, path: Path, length: int) -> Iterator[tuple[int, Sequence[Any], int]]:
        """``(offset, payload, n)`` for each node of the first ``length`` tokens of ``path``: the first ``n``
        rows of its payload tensors are tokens ``offset..offset + n - 1``."""
        at = 0
        for node, n in _cropped(path, length):
            yield at, node.payload, n
            at += n

    def insert(self, key: str, ids: np.ndarray, start: int, payload: list[Any]) -> None:
        """Hold ``ids``, whose tokens ``start..`` have ``payload`` (tokens before ``start`` must be held;
        tokens already held keep their payload)."""
        node = self._roots.setdefault(key, _Node(np.zeros(0, dtype=np.int64), []))
        at, now = 0, next(self._clock)
        while at < len(ids):
            child = node.children.get(int(ids[at]))
            if child is None:
                if at < start:
                    raise AssertionError(f"prefix tree: token {at} of a sequence inserted from {start} is not held")
                child = _Node(np.array(ids[at:], dtype=np.int64), [p[at - start :] for p in payload], parent=node)
                node.children[int(ids[at])] = child
                self.tokens += len(child.tokens)
                child.used = now
                return
            n = common_length(child.tokens, ids[at:])
            if n < len(child.tokens):
                child = self._split(child, n)
            child.used = now
            node, at = child, at + n

    def evict(self) -> None:
        """Drop least recently used leaves until at most ``max_tokens`` tokens are held."""
        if self.tokens <= self.max_tokens:
            return
        heap = [(n.used, id(n), n) for root in self._roots.values() for n in _nodes(root) if not n.children]
        heapq.heapify(heap)
        while self.tokens > self.max_tokens and heap:
            _, _, leaf = heapq.heappop(heap)
            parent = leaf.parent
            assert parent is not None
            del parent.children[int(leaf.tokens[0])]
            self.tokens -= len(leaf.tokens)
            if parent.parent is not None and not parent.children:
                heapq.heappush(heap, (parent.used, id(parent), parent))

    def forget(self, key: str | None = None) -> None:
        """Drop every sequence under ``key`` (``None``: under every key)."""
        for k in list(self._roots) if key is None else [key]:
            root = self._roots.pop(k, None)
            if root is not None:
                self.tokens -= sum(len(n.tokens) for n in _nodes(root))

    def _split(self, node: _Node, n: int) -> _Node:
        """Cut ``node`` after its first ``n`` tokens; the new upper half is returned."""
        parent = node.parent
        assert parent is not None
        upper = _Node(node.tokens[:n].copy(), [_copy(p[:n]) for p in node.payload], parent=parent, used=node.used)
        node.tokens, node.payload = node.tokens[n:].copy(), [_copy(p[n:]) for p in node.payload]
        node.parent = upper
        upper.children[int(node.tokens[0])] = node
        parent.children[int(upper.tokens[0])] = upper
        return upper


def _copy(x: Any) -> Any:
    """An owned copy, so that a dropped half frees its memory."""
    return x.copy() if isinstance(x, np.ndarray) else x.clone()


def _cropped(path: Path, length: int) -> Iterator[tuple[_Node, int]]:
    at = 0
    for node, n in path:
        take = min(n, length - at)
        if take <= 0:
            return
        yield node, take
        at += take


def _nodes(root: _Node) -> Iterator[_Node]:
    """Every node below ``root`` (not ``root`` itself)."""
    stack = list(root.children.values())
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children.values())
