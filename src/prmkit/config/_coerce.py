"""Coercing YAML and flag values to a field's annotation."""

from __future__ import annotations

import math
import typing
from collections.abc import Collection
from typing import Any, Literal

from prmkit.config._fields import unwrap_optional

__all__ = ["coerce"]


def coerce(value: Any, tp: Any, choices: Collection[str] | None = None) -> Any:
    inner, optional = unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        raise TypeError("may not be null")
    out = _coerce_inner(value, inner, tp)
    if choices is not None and out not in choices:
        raise ValueError(f"{out!r} is not one of {sorted(choices)}")
    return out


def _coerce_inner(value: Any, inner: Any, tp: Any) -> Any:
    origin = typing.get_origin(inner)
    if origin is Literal:
        if value not in typing.get_args(inner):
            raise ValueError(f"{value!r} is not one of {list(typing.get_args(inner))}")
        return value
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise TypeError(f"expected a list, got {value!r}")
        return tuple(coerce(v, typing.get_args(inner)[0]) for v in items)
    if inner is bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected true/false, got {value!r}")
    if inner is int:
        text_int = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        if isinstance(value, bool) or not (isinstance(value, int) or text_int):
            raise TypeError(f"expected an integer, got {value!r}")
        return int(value)
    if inner is float:
        if isinstance(value, bool):
            raise TypeError(f"expected a number, got {value!r}")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"expected a number, got {value!r}") from None
        if math.isnan(out):
            raise ValueError("NaN is not allowed")
        return out
    if inner is str:
        if isinstance(value, str):
            return value
        raise TypeError(f"expected a string, got {value!r}")
    raise TypeError(f"unsupported field type {tp!r}")
