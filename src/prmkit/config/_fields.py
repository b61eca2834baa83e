"""The leaves of a config: its fields, their docstrings, and how each appears on a command line."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

__all__ = ["META", "ConfigField", "Option", "config_fields", "default_of", "field_docs", "init_fields", "is_config",
           "option", "unwrap_optional"]

META = "prmkit.config"


@dataclass(frozen=True)
class Option:
    """How a config field appears on a command line, beyond its name, type, default and doc."""

    flag: str | None = None
    """The flag, when it is not ``--field-name`` (a name users already know, e.g. ``--subsets``)."""
    positional: bool = False
    """A positional argument instead of a flag (top-level fields only)."""
    sep: str | None = None
    """``tuple`` fields: one flag value holding the items separated by this (``--ns 1,2,4``)."""
    group: str | None = None
    """Flags with the same group exclude each other (a config validates the same rule itself)."""
    choices: Collection[str] | None = None
    """Allowed values (a registry works), checked for files and flags alike."""
    prefix: str | None = None
    """A nested config's field: put this before the flags of its fields (``policy-`` gives
    ``--policy-backend``), so two nested configs with a field of one name both get a flag."""


def option(
    *,
    flag: str | None = None,
    positional: bool = False,
    sep: str | None = None,
    group: str | None = None,
    choices: Collection[str] | None = None,
    prefix: str | None = None,
) -> dict[str, Option]:
    """Field metadata: ``n_subsets: int = field(default=1000, metadata=option(flag="--subsets"))``."""
    return {META: Option(flag, positional, sep, group, choices, prefix)}


@dataclass(frozen=True)
class ConfigField:
    """One leaf setting of a config: a field of the config or of a config nested in it."""

    path: tuple[str, ...]
    """Field names from the top config down, e.g. ``("scorer", "prm")``."""
    type: Any
    """The annotation, with ``| None`` removed (see ``optional``)."""
    optional: bool
    """The annotation was ``X | None``."""
    default: Any
    """The value used when none is given (a nested field's default object's value); ``MISSING`` if required."""
    doc: str
    """The field's docstring, on one line."""
    option: Option
    """Its command-line details."""
    owner: type
    """The dataclass that declares the field."""
    flag_prefix: str = ""
    """Put before ``--field-name`` (from the ``prefix`` option of the nested config holding it)."""

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def key(self) -> str:
        """The dotted path, ``scorer.prm``."""
        return ".".join(self.path)

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING

    @property
    def flag(self) -> str:
        """``--field-name`` (or the field's own flag); a positional argument's name."""
        if self.option.positional:
            return self.name
        return self.option.flag or "--" + (self.flag_prefix + self.name).replace("_", "-")


def field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass (the string literal right after each field), base classes first."""
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


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def is_config(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def init_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init]


def config_fields(cls: type) -> list[ConfigField]:
    """Every leaf setting of ``cls``, nested configs flattened in field order."""
    return _leaves(cls, (), dataclasses.MISSING)


def _leaves(cls: type, prefix: tuple[str, ...], base: Any, flag_prefix: str = "") -> list[ConfigField]:
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    out: list[ConfigField] = []
    for f in init_fields(cls):
        default = default_of(f) if base is dataclasses.MISSING else getattr(base, f.name)
        tp, optional = unwrap_optional(hints[f.name])
        if is_config(tp):
            if optional:
                raise TypeError(f"{cls.__name__}.{f.name}: a nested config may not be optional")
            nested = f.metadata.get(META, Option()).prefix or ""
            out += _leaves(tp, (*prefix, f.name), default, flag_prefix + nested)
            continue
        opt = f.metadata.get(META, Option())
        if opt.positional and prefix:
            raise TypeError(f"{cls.__name__}.{f.name}: only top-level fields can be positional")
        out.append(ConfigField((*prefix, f.name), tp, optional, default, docs.get(f.name, ""), opt, cls,
                               flag_prefix))
    return out
