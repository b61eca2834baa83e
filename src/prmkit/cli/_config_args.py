"""A command line generated from a config dataclass: ``--config file.yaml`` plus one flag per field.

Each leaf field (see :func:`prmkit.config.config_fields`; nested configs are
flattened) becomes ``--field-name`` (or its ``option(flag=...)``) with the
field's docstring and default as its help text. A YAML file given with
``--config`` fills the fields first; flags given on the command line override
it; the dataclass defaults fill the rest, so a flag has no default of its own
(its argparse default is ``SUPPRESS``). Unknown YAML keys and values of the
wrong type are reported together, with close names.

Forms: ``bool`` -> ``--x/--no-x`` (a plain ``--x`` switch for a field named
``no_*`` or in a group of exclusive flags); ``Literal`` and ``option(choices=)``
-> choices; ``tuple`` -> any number of values, repeatable (or one value split
on ``option(sep=)``); ``int``/``float``/``str`` (``none`` unsets an optional one).

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
import re
import typing
from typing import Any, TypeVar

from prmkit.config import ConfigField, config_fields, config_from_mapping, merge, read_yaml
from prmkit.errors import ConfigError

__all__ = ["EXTRA_FLAGS", "add_dataclass_arguments", "config_from_args", "dest", "flag_default"]

C = TypeVar("C")
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")  # :func:`x` -> x in help text

EXTRA_FLAGS = {"--config": "the YAML file the fields are read from, not a field"}
"""Flags a generated command has besides its fields, with the reason."""


def dest(f: ConfigField) -> str:
    """The namespace attribute of a field's flag: the field name of a positional, else the dotted path."""
    return f.name if f.option.positional else f.key


def flag_default(f: ConfigField) -> str:
    """The default as the help text shows it."""
    if f.required:
        return "required"
    if f.default is None:
        return "default: unset"
    if isinstance(f.default, tuple) and f.option.sep is not None:
        return f"default: {f.option.sep.join(str(v) for v in f.default)}"
    return f"default: {f.default!r}"


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add ``--config`` and one flag per leaf field of ``cls``; unset flags stay absent from the namespace.

    Nested configs get an argument group each. ``parser.get_default("config_class")`` is ``cls``.
    """
    parser.add_argument("--config", metavar="FILE.yaml", default=None, help="YAML file with the fields below; flags override it")
    parser.set_defaults(config_class=cls)
    groups: dict[tuple[str, ...], Any] = {}
    exclusive: dict[str, Any] = {}
    for f in config_fields(cls):
        container: Any = parser
        if len(f.path) > 1:
            prefix = f.path[:-1]
            if prefix not in groups:
                doc = (f.owner.__doc__ or "").strip().splitlines()
                groups[prefix] = parser.add_argument_group(".".join(prefix), doc[0] if doc else None)
            container = groups[prefix]
        if f.option.group is not None:
            if f.option.group not in exclusive:
                exclusive[f.option.group] = container.add_mutually_exclusive_group()
            container = exclusive[f.option.group]
        kwargs = _argument(f)
        if f.option.positional:
            container.add_argument(f.flag, **kwargs)
        else:
            container.add_argument(f.flag, dest=dest(f), **kwargs)


def _argument(f: ConfigField) -> dict[str, Any]:
    doc = _ROLE.sub(r"\1", f.doc).replace("``", "")
    help_text = f"{doc} ({flag_default(f)})".strip().replace("%", "%%")
    kwargs: dict[str, Any] = {"default": argparse.SUPPRESS, "help": help_text}
    metavar: str | None = f.name.upper() if f.option.flag is None else f.option.flag.lstrip("-").replace("-", "_").upper()
    tp = f.type
    origin = typing.get_origin(tp)
    if f.option.choices is not None:
        kwargs["choices"] = list(f.option.choices)
        metavar = None
    if tp is bool:
        plain = f.name.startswith("no_") or f.option.group is not None
        kwargs["action"] = "store_true" if plain else argparse.BooleanOptionalAction
    elif origin is typing.Literal:
        kwargs["choices"] = list(typing.get_args(tp))
        kwargs["type"] = type(typing.get_args(tp)[0])
    elif origin is tuple:
        if f.option.sep is not None:
            kwargs["metavar"] = f"{metavar}[{f.option.sep}...]"
        else:
            kwargs["nargs"] = "+" if f.option.positional else "*"
            kwargs["action"] = "extend"
            kwargs["type"] = typing.get_args(tp)[0]
            kwargs["metavar"] = metavar
    elif tp in (int, float, str):
        kwargs["type"] = _none_or(tp) if f.optional else tp
        if metavar is not None:
            kwargs["metavar"] = metavar
    else:
        raise TypeError(f"{f.owner.__name__}.{f.name}: no command-line form for type {tp!r}")
    if f.option.positional:
        if not f.required:
            raise TypeError(f"{f.owner.__name__}.{f.name}: a positional argument must be a required field")
        kwargs.pop("metavar", None)
        kwargs.pop("default")
    return kwargs


def _none_or(tp: type) -> Any:
    def parse(text: str) -> Any:
        return None if text.lower() in ("none", "null") else tp(text)

    parse.__name__ = tp.__name__
    return parse


def config_from_args(cls: type[C], args: argparse.Namespace) -> C:
    """Build ``cls`` from the YAML file in ``args.config`` (if any) overridden by the flags given."""
    given = vars(args)
    leaves = config_fields(cls)
    overrides: dict[str, Any] = {}
    for f in leaves:
        if dest(f) in given:
            _put(overrides, f.path, _split(f, given[dest(f)]) if f.option.sep is not None else given[dest(f)])
    path = given.get("config")
    values = merge(read_yaml(path) if path else {}, overrides)
    missing = [f.flag for f in leaves if f.required and not _has(values, f.path)]
    if missing and not path:  # with a file, its problems and the missing fields are reported together
        raise ConfigError(f"the following arguments are required: {', '.join(missing)}")
    return config_from_mapping(cls, values, source=str(path) if path else "command line")


def _split(f: ConfigField, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    sep = typing.cast(str, f.option.sep)
    items: list[Any] = [s.strip() for s in raw.split(sep) if s.strip()]
    elem = typing.get_args(f.type)[0]
    if elem in (int, float):
        try:
            items = [elem(s) for s in items]
        except ValueError:
            what = "integers" if elem is int else "numbers"
            sep_name = "comma" if sep == "," else repr(sep)
            raise ConfigError(f"{f.flag} must be {sep_name}-separated {what}, got {raw!r}") from None
    if not items and f.optional:
        return None
    return items


def _put(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        values = values.setdefault(key, {})
    values[path[-1]] = value


def _has(values: Any, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return False
        values = values[key]
    return True

