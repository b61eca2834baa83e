"""The dataclass -> argparse helper: YAML, then flags, then defaults; every problem reported."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.config import field_docs, option
from prmkit.errors import ConfigError


@dataclass(frozen=True)
class Cfg:
    path: str
    """Where the data is."""
    lr: float = 1e-3
    """Learning
    rate."""
    steps: int | None = None
    """Optional step count."""
    mode: Literal["a", "b"] = "a"
    """A closed choice."""
    fast: bool = False
    """A switch."""
    names: tuple[str, ...] = ("x",)
    """A list."""


def _parse(argv: list[str]) -> Cfg:
    p = argparse.ArgumentParser()
    add_dataclass_arguments(p, Cfg)
    return config_from_args(Cfg, p.parse_args(argv))


def test_docs_become_help_text() -> None:
    assert field_docs(Cfg) == {
        "path": "Where the data is.",
        "lr": "Learning rate.",
        "steps": "Optional step count.",
        "mode": "A closed choice.",
        "fast": "A switch.",
        "names": "A list.",
    }
    p = argparse.ArgumentParser()
    add_dataclass_arguments(p, Cfg)
    text = p.format_help()
    assert "Learning rate. (default: 0.001)" in text and "Where the data is. (required)" in text


def test_flags_override_yaml_which_overrides_defaults(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("path: data.jsonl\nlr: 1e-5\nmode: b\nfast: true\nnames: [p, q]\nsteps: 7\n")
    assert _parse(["--config", str(y)]) == Cfg("data.jsonl", 1e-5, 7, "b", True, ("p", "q"))
    got = _parse(["--config", str(y), "--lr", "0.5", "--no-fast", "--names", "z", "--steps", "none"])
    assert got == Cfg("data.jsonl", 0.5, None, "b", False, ("z",))
    assert _parse(["--path", "x"]) == Cfg("x")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("pth: x\nlr: fast\nmode: c\nfast: 1\n")
    with pytest.raises(ConfigError) as e:
        _parse(["--config", str(y)])
    msg = str(e.value)
    for part in ("unknown field 'pth' (did you mean 'path'?)", "lr: expected a number, got 'fast'", "mode: 'c' is not one of", "fast: expected true/false"):
        assert part in msg


def test_bad_flag_values_are_usage_errors() -> None:
    with pytest.raises(SystemExit):
        _parse(["--path", "x", "--mode", "c"])
    with pytest.raises(ConfigError, match="config file not found"):
        _parse(["--config", "/nonexistent.yaml"])


@dataclass(frozen=True)
class Inner:
    device: str = "cpu"
    """Device."""
    no_cache: bool = field(default=False, metadata=option(group="cache"))
    """Skip the cache."""
    cache: str | None = field(default=None, metadata=option(group="cache"))
    """Cache file."""


@dataclass(frozen=True)
class Outer:
    out: str
    """Output."""
    ns: tuple[int, ...] | None = field(default=None, metadata=option(sep=","))
    """Sizes."""
    files: tuple[str, ...] = ()
    """Files."""
    n_subsets: int = field(default=10, metadata=option(flag="--subsets"))
    """Subsets."""
    inner: Inner = field(default_factory=lambda: Inner(device="cuda"))
    """Nested."""


def _outer(argv: list[str]) -> Outer:
    p = argparse.ArgumentParser()
    add_dataclass_arguments(p, Outer)
    return config_from_args(Outer, p.parse_args(argv))


def test_nested_configs_are_flat_flags_and_nested_yaml(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("out: o\ninner:\n  cache: c.sqlite\nfiles: [a]\n")
    assert _outer(["--config", str(y), "--device", "cpu", "--files", "b", "c", "--files", "d"]) == Outer(
        "o", None, ("b", "c", "d"), 10, Inner("cpu", False, "c.sqlite")
    )
    assert _outer(["--out", "o", "--ns", "1, 2", "--subsets", "3", "--no-cache"]) == Outer(
        "o", (1, 2), (), 3, Inner("cuda", True, None)
    )


def test_flag_errors_name_the_flag() -> None:
    with pytest.raises(ConfigError, match="--ns must be comma-separated integers, got '1,x'"):
        _outer(["--out", "o", "--ns", "1,x"])
    with pytest.raises(ConfigError, match="the following arguments are required: --out"):
        _outer([])
    with pytest.raises(SystemExit):  # flags of one group exclude each other
        _outer(["--out", "o", "--no-cache", "--cache", "x"])
