"""A command line generated from a config dataclass: ``--config file.yaml`` plus one flag per field.

Each field becomes ``--field-name`` with the field's attribute docstring as its
help text. A YAML file given with ``--config`` fills the fields first; flags
given on the command line override it; defaults fill the rest. Unknown YAML
keys and values of the wrong type are reported together, with close names.

>>> import argparse
>>> from dataclasses import dataclass
>>> @dataclass
... class Demo:
...     lr: float = 0.1
...     '''Learning rate.'''
>>> p = argparse.ArgumentParser()
>>> add_dataclass_arguments(p, Demo)
>>> config_from_args(Demo, p.parse_args(["--lr", "0.5"]))
Demo(lr=0.5)
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import inspect
import itertools
import math
import textwrap
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from prmkit.errors import ConfigError

__all__ = ["add_dataclass_arguments", "config_from_args", "config_from_mapping", "field_docs"]

C = TypeVar("C")


def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass (the string literal right after each field)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for a, b in itertools.pairwise(body):
            if (
                isinstance(a, ast.AnnAssign)
                and isinstance(a.target, ast.Name)
                and isinstance(b, ast.Expr)
                and isinstance(b.value, ast.Constant)
                and isinstance(b.value.value, str)
            ):
                docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add ``--config`` and one flag per field of ``cls``; unset flags stay absent from the namespace."""
    parser.add_argument(
        "--config", metavar="FILE.yaml", default=None, help="YAML file with the fields below; flags override it"
    )
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        tp, optional = _unwrap_optional(hints[f.name])
        help_text = docs.get(f.name, "")
        if f.default is not dataclasses.MISSING:
            help_text += f" (default: {f.default!r})"
        elif f.default_factory is not dataclasses.MISSING:
            help_text += f" (default: {f.default_factory()!r})"
        else:
            help_text += " (required)"
        kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "dest": f.name, "help": help_text}
        origin = typing.get_origin(tp)
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif origin is typing.Literal:
            kwargs["choices"] = list(typing.get_args(tp))
            kwargs["type"] = type(typing.get_args(tp)[0])
        elif origin is tuple:
            kwargs["nargs"] = "*"
            kwargs["type"] = typing.get_args(tp)[0]
            kwargs["metavar"] = f.name.upper()
        elif tp in (int, float, str):
            kwargs["type"] = _none_or(tp) if optional else tp
            kwargs["metavar"] = f.name.upper()
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no command-line form for type {tp!r}")
        parser.add_argument(_flag(f.name), **kwargs)


def _none_or(tp: type) -> Any:
    def parse(text: str) -> Any:
        return None if text.lower() in ("none", "null") else tp(text)

    parse.__name__ = tp.__name__
    return parse


def config_from_args(cls: type[C], args: argparse.Namespace) -> C:
    """Build ``cls`` from the YAML file in ``args.config`` (if any) overridden by the flags given."""
    values: dict[str, Any] = {}
    source = "command line"
    if getattr(args, "config", None):
        values.update(_read_yaml(args.config))
        source = str(args.config)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values.update({k: v for k, v in vars(args).items() if k in names})
    return config_from_mapping(cls, values, source=source)


def _read_yaml(path: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of field: value, got {type(data).__name__}")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def config_from_mapping(cls: type[C], values: Mapping[str, Any], *, source: str = "config") -> C:
    """Build ``cls`` from a plain mapping, coercing YAML scalars (``1e-5`` is a string in YAML 1.1).

    Every unknown key and every uncoercible value is reported in one :class:`ConfigError`.
    """
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints or key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            problems.append(f"unknown field {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        try:
            kwargs[key] = _coerce(value, hints[key])
        except (TypeError, ValueError) as e:
            problems.append(f"{key}: {e}")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return cls(**kwargs)


def _coerce(value: Any, tp: Any) -> Any:
    inner, optional = _unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        raise TypeError("may not be null")
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        if value not in typing.get_args(inner):
            raise ValueError(f"{value!r} is not one of {list(typing.get_args(inner))}")
        return value
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise TypeError(f"expected a list, got {value!r}")
        return tuple(_coerce(v, typing.get_args(inner)[0]) for v in items)
    if inner is bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected true/false, got {value!r}")
    if inner is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())):
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
