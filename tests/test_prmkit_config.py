"""``prmkit.config``: YAML and mappings -> config dataclasses, with every problem named at once."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from prmkit.config import config_fields, config_from_mapping, field_docs, load_config, option
from prmkit.errors import ConfigError


@dataclass(frozen=True)
class Engine:
    """How the model runs."""

    device: str = "cpu"
    """Torch device."""
    threads: int | None = None
    """CPU threads (unset: all)."""
    mode: Literal["fast", "exact"] = "exact"
    """A closed choice."""


@dataclass(frozen=True)
class Run:
    """A run."""

    data: str
    """Input file."""
    sizes: tuple[int, ...] = field(default=(1, 2), metadata=option(sep=","))
    """Sizes."""
    method: str = field(default="a", metadata=option(choices=("a", "b")))
    """One of a registry's names."""
    engine: Engine = field(default_factory=Engine)
    """The engine."""
    fast_engine: Engine = field(default_factory=lambda: Engine(mode="fast"))
    """A second engine whose default is not its class's."""


def test_nested_mappings_replace_the_default_object_field_by_field() -> None:
    cfg = config_from_mapping(
        Run, {"data": "d.jsonl", "sizes": ["3", 4], "engine": {"threads": 2}, "fast_engine": {"device": "cuda"}}
    )
    assert cfg == Run("d.jsonl", (3, 4), "a", Engine(threads=2), Engine(device="cuda", mode="fast"))


def test_unknown_keys_name_the_file_and_the_dotted_key_with_every_other_problem(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("data: d\nengine:\n  thread: 2\n  mode: slow\nmethod: c\nsizes: x\nextra: 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(Run, path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: ")
    for part in (
        "unknown field 'engine.thread' (did you mean 'engine.threads'?)",
        "engine.mode: 'slow' is not one of ['fast', 'exact']",
        "method: 'c' is not one of ['a', 'b']",
        "sizes: expected an integer, got 'x'",
        "unknown field 'extra'",
    ):
        assert part in msg


def test_missing_required_fields_and_non_mappings_are_reported() -> None:
    with pytest.raises(ConfigError, match=r"config: engine: expected a mapping .*; missing field 'data'"):
        config_from_mapping(Run, {"engine": "gpu"})


def test_overrides_sit_on_top_of_the_file_and_dashes_read_as_underscores(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("data: d\nfast-engine: {device: cuda, threads: 4}\n")
    cfg = load_config(Run, path, {"fast_engine": {"threads": None}})
    assert cfg.fast_engine == Engine(device="cuda", threads=None, mode="fast")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(Run, tmp_path / "nope.yaml")


def test_config_fields_flatten_nested_configs_with_their_defaults_and_docs() -> None:
    leaves = {f.key: f for f in config_fields(Run)}
    assert list(leaves) == [
        "data", "sizes", "method",
        "engine.device", "engine.threads", "engine.mode",
        "fast_engine.device", "fast_engine.threads", "fast_engine.mode",
    ]  # fmt: skip
    assert leaves["data"].required and leaves["fast_engine.mode"].default == "fast"
    assert leaves["engine.threads"].optional and leaves["engine.threads"].doc == "CPU threads (unset: all)."
    assert leaves["sizes"].option.sep == "," and leaves["engine.mode"].flag == "--mode"
    assert field_docs(Engine)["device"] == "Torch device."


def test_every_library_config_loads_from_its_own_defaults() -> None:
    from prmkit.evaluation.config import BonRunConfig, ProcessBenchConfig
    from prmkit.labeling.config import LabelRunConfig, SampleConfig
    from prmkit.scoring.config import ScoreFileConfig

    assert config_from_mapping(BonRunConfig, {"candidates": "c", "bon": {"n_subsets": 10}}).bon.n_subsets == 10
    assert config_from_mapping(ProcessBenchConfig, {"out": "o", "scorer": {"prm": "arith"}}).scorer.name == "arith"
    assert config_from_mapping(ScoreFileConfig, {"input": "i", "output": "o"}).batch_size == 8
    sample = config_from_mapping(SampleConfig, {"problems": "p", "out": "o", "sampling": {"temperature": 0}})
    assert (sample.sampling.style, sample.sampling.temperature) == ("boxed", 0.0)
    with pytest.raises(ConfigError, match="method: 'mcc' is not one of"):
        config_from_mapping(LabelRunConfig, {"input": "i", "job": "j", "method": "mcc"})


def test_prmkit_config_imports_only_the_standard_library_and_errors() -> None:
    code = (
        "import sys; before = set(sys.modules); import prmkit.errors; before |= set(sys.modules)\n"
        "import prmkit.config\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('prmkit') or '.' not in m and "
        "m in ('yaml', 'numpy', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['prmkit.config', 'prmkit.config._coerce', 'prmkit.config._fields']"
