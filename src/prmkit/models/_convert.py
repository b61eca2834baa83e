"""GGUF -> transformers directory (dequantized safetensors + tokenizer), converted once and cached."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Literal

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.models._provision import Progress, models_home
from prmkit.models._resolve import ModelFiles, resolve_model

__all__ = ["to_transformers_dir"]

_MARKER = "prmkit_converted.json"


def _cache_key(files: ModelFiles, dtype: str) -> str:
    assert files.gguf is not None
    if files.entry is not None:
        return f"{files.entry.name}-{dtype}"
    st = files.gguf.stat()
    ident = f"{files.gguf.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return f"{files.gguf.stem}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}-{dtype}"


def to_transformers_dir(
    name_or_path: str | Path,
    *,
    dtype: Literal["float32", "bfloat16", "float16"] = "float32",
    progress: Progress | None = None,
) -> Path:
    """A transformers directory for a model: itself if it already is one, else its GGUF
    dequantized (``from_pretrained(dir, gguf_file=...)``) and saved once as safetensors with
    its tokenizer under ``<cache>/hf/``; later calls return the cached directory.

    A catalogued model is keyed by name; a local GGUF by its path, size and mtime.

    >>> d = to_transformers_dir("smollm2-135m-instruct")  # doctest: +SKIP
    >>> sorted(p.name for p in d.iterdir())[:2]  # doctest: +SKIP
    ['config.json', 'generation_config.json']
    """
    files = resolve_model(name_or_path, progress=progress)
    if files.directory is not None:
        return files.directory
    if files.gguf is None:
        raise ConfigError(
            f"{files.name!r} is a hub id; transformers loads it directly, there is nothing to convert"
        )
    dest = models_home() / "hf" / _cache_key(files, dtype)
    if (dest / _MARKER).is_file():
        return dest
    torch = require("torch", extra="hf")
    transformers = require("transformers", extra="hf")
    src = files.gguf
    # dequantize=True: plain dense weights (transformers otherwise may keep GGUF blocks, unsaveable)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        src.parent,
        gguf_file=src.name,
        dtype=getattr(torch, dtype),
        quantization_config=transformers.GgufConfig(dequantize=True),
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        marker = {"gguf": str(src), "dtype": dtype, "sha256": files.entry.sha256 if files.entry else None}
        (tmp / _MARKER).write_text(json.dumps(marker, indent=1))
        if (dest / _MARKER).is_file():  # a concurrent conversion finished first
            return dest
        shutil.rmtree(dest, ignore_errors=True)  # an interrupted conversion (no marker)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
