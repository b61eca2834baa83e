"""Configs: frozen dataclasses documented field by field, read from YAML files and mappings.

A config is a dataclass whose every field has a docstring (the string literal
right under the field, as in :class:`prmkit.training.TrainConfig`). That
docstring is the field's documentation and its command-line help, so a setting
is described once. :func:`load_config` and :func:`config_from_mapping` build a
config and report every problem at once: unknown keys (naming the file, the key
and the closest field), values of the wrong type, missing required fields.
Nested dataclasses are nested mappings, ``Literal`` fields closed choices,
``tuple`` fields lists, and ``X | None`` fields accept null. Values set in the
mapping replace a nested field's default piece by piece: a field defaulting to
``Sampling(style="boxed")`` given ``{"temperature": 0}`` keeps ``style="boxed"``.

:func:`option` adds what a command line needs beyond the field itself (another
flag name, a positional argument, comma-separated lists, flags that exclude
each other, choices from a registry); :func:`config_fields` lists the leaves a
command line is generated from (``prmkit.cli`` does that).

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo:
...     lr: float = 0.1
...     '''Learning rate.'''
...     steps: int | None = None
...     '''Optimizer steps (unset: one epoch).'''
>>> config_from_mapping(Demo, {"lr": "1e-5"})
Demo(lr=1e-05, steps=None)
>>> config_from_mapping(Demo, {"lrr": 1, "steps": "many"}, source="demo.yaml")
Traceback (most recent call last):
...
prmkit.errors.ConfigError: demo.yaml: unknown field 'lrr' (did you mean 'lr'?); steps: expected an integer, got 'many'
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from prmkit.config._coerce import coerce
from prmkit.config._fields import (
    META,
    ConfigField,
    Option,
    config_fields,
    default_of,
    field_docs,
    init_fields,
    is_config,
    option,
    unwrap_optional,
)
from prmkit.errors import ConfigError

__all__ = [
    "ConfigField",
    "Option",
    "config_fields",
    "config_from_mapping",
    "field_docs",
    "load_config",
    "merge",
    "option",
    "read_yaml",
]

C = TypeVar("C")


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping in a YAML file; a missing file, bad YAML or a non-mapping is a :class:`ConfigError`."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8: byte 0x{e.object[e.start]:02x} at byte offset {e.start}") from None
    except OSError as e:  # a folder, no permission
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of field: value, got {type(data).__name__}")
    return data


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` on top; nested mappings merge key by key.

    >>> merge({"a": 1, "s": {"x": 1, "y": 2}}, {"s": {"y": 3}})
    {'a': 1, 's': {'x': 1, 'y': 3}}
    """
    out = {str(k).replace("-", "_"): v for k, v in base.items()}
    for key, value in overrides.items():
        key = str(key).replace("-", "_")
        old = out.get(key)
        out[key] = merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return out


def load_config(
    cls: type[C],
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> C:
    """``cls`` from the YAML file at ``path`` (if any) with ``overrides`` (a nested mapping) on top.

    Every :class:`ConfigError` of a config read from a file starts with the file's name.
    """
    values = merge(read_yaml(path) if path is not None else {}, overrides or {})
    where = source or (str(path) if path is not None else "config")
    try:
        return config_from_mapping(cls, values, source=where)
    except ConfigError as e:  # the config's own checks (``__post_init__``) do not know the file
        if path is None or str(e).startswith(f"{where}: "):
            raise
        raise ConfigError(f"{where}: {e}") from None


def config_from_mapping(cls: type[C], values: Mapping[str, Any], *, source: str = "config") -> C:
    """Build ``cls`` from a plain (nested) mapping, coercing YAML scalars (``1e-5`` is a string in YAML 1.1).

    Every unknown key, uncoercible value and missing required field is reported in one
    :class:`ConfigError` that starts with ``source`` (the file's name); the config's own
    checks (``__post_init__``) run once the values are well typed.
    """
    problems: list[str] = []
    out = _build(cls, values, (), dataclasses.MISSING, problems)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return typing.cast(C, out)


def _build(cls: type, values: Mapping[str, Any], prefix: tuple[str, ...], base: Any, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in init_fields(cls)}
    kwargs: dict[str, Any] = {}
    before = len(problems)
    for raw_key, value in values.items():
        key = str(raw_key).replace("-", "_")
        dotted = ".".join((*prefix, key))
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {'.'.join((*prefix, close[0]))!r}?)" if close else ""
            problems.append(f"unknown field {dotted!r}{hint}")
            continue
        tp, _ = unwrap_optional(hints[key])
        if is_config(tp):
            if not isinstance(value, Mapping):
                problems.append(f"{dotted}: expected a mapping of field: value, got {value!r}")
                continue
            nested = default_of(fields[key]) if base is dataclasses.MISSING else getattr(base, key)
            kwargs[key] = _build(tp, value, (*prefix, key), nested, problems)
            continue
        try:
            kwargs[key] = coerce(value, hints[key], fields[key].metadata.get(META, Option()).choices)
        except (TypeError, ValueError) as e:
            problems.append(f"{dotted}: {e}")
    if base is dataclasses.MISSING:
        for name, f in fields.items():
            if name in kwargs or default_of(f) is not dataclasses.MISSING:
                continue
            if is_config(hints[name]):  # a required nested config: its own required fields are missing
                kwargs[name] = _build(hints[name], {}, (*prefix, name), dataclasses.MISSING, problems)
            else:
                problems.append(f"missing field {'.'.join((*prefix, name))!r}")
    if len(problems) > before:
        return None
    if base is not dataclasses.MISSING:
        return dataclasses.replace(base, **kwargs)
    return cls(**kwargs)


