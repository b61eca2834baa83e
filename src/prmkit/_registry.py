"""A small registry for every pluggable kind: lazy ``"module:attr"`` targets,
duplicate detection and "did you mean ...?" errors.

>>> r: Registry[int] = Registry("thing")
>>> r.register("alpha", 1)
>>> r.get("alpha")
1
>>> r.get("alpah")
Traceback (most recent call last):
...
prmkit.errors.UnknownNameError: unknown thing 'alpah'; did you mean 'alpha'? available: alpha
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar, cast

from prmkit.errors import UnknownNameError

T = TypeVar("T")

__all__ = ["Registry", "suggest"]


def suggest(name: str, choices: list[str], kind: str) -> str:
    """The text of an unknown-name error: close matches first, then every choice."""
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} available: {', '.join(sorted(choices))}"


class Registry(Generic[T]):
    """Name -> object, where the object may be given lazily as ``"package.module:attr"``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T | str] = {}

    def register(self, name: str, target: T | str, *, replace: bool = False) -> None:
        if name in self._items and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = target

    def get(self, name: str) -> T:
        if name not in self._items:
            raise UnknownNameError(suggest(name, list(self._items), self.kind))
        target = self._items[name]
        if isinstance(target, str) and ":" in target and self._is_lazy(target):
            module, attr = target.split(":", 1)
            obj = getattr(importlib.import_module(module), attr)
            self._items[name] = obj
            return cast(T, obj)
        return cast(T, target)

    @staticmethod
    def _is_lazy(target: str) -> bool:
        module, _, attr = target.partition(":")
        return bool(module) and bool(attr) and " " not in target and module.replace(".", "").replace("_", "").isalnum()

    def names(self) -> list[str]:
        return sorted(self._items)

    def in_order(self) -> list[str]:
        """The names in the order they were registered (``names()`` sorts them)."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
