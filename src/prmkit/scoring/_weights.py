"""What every model backend (``hf``, ``vllm``) resolves the same way: the weights, the decision threshold,
the dtype, and the ``transformers`` model a source loads into.

>>> from prmkit.scoring.catalog import get_spec
>>> resolve_threshold(get_spec("prmkit-prm"), None)
0.45
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring.hf_load import HEAD_FILE, head_folder_threshold, load_head_model
from prmkit.scoring.readouts import ModelReadout, model_readout
from prmkit.scoring.spec import DType, PRMSpec

__all__ = ["cpu_has_native_bf16", "load_model", "resolve_dtype", "resolve_threshold", "resolve_weights"]


def resolve_weights(spec: PRMSpec, model: Any, reference_model: Any = None) -> list[Any]:
    """The weights each model of ``spec``'s readout runs: ``model`` (else the spec's), then for a readout of two
    models ``reference_model`` (else the spec's). A :class:`ConfigError` when one is missing."""
    readout = model_readout(spec)
    source = model if model is not None else spec.model
    if source is None:
        raise ConfigError(f"PRM {spec.name!r} has no default weights; pass model=")
    if readout.models == 1:
        return [source]
    ref = reference_model if reference_model is not None else spec.reference_model
    if ref is None:
        raise ConfigError(f"PRM {spec.name!r} ({spec.readout}) needs reference_model=")
    return [source, ref]


def resolve_threshold(spec: PRMSpec, model: Any) -> float:
    """The decision threshold to read the scores at: the spec's, or, when ``model`` (the weights given instead
    of the spec's) is a head folder whose ``prmkit_head.json`` holds a fitted ``threshold``, that one.

    The spec's threshold belongs to the spec's own weights, so a spec whose default weights are a head
    folder is read at the spec's threshold whatever the folder holds.
    """
    fitted = head_folder_threshold(model)
    return spec.threshold if fitted is None else fitted


def resolve_dtype(spec: PRMSpec, dtype: str | None, *, on_cpu: bool) -> DType:
    """An explicit ``dtype``, checked; else the spec's, except ``float32`` for a ``bfloat16`` spec on a CPU
    without native bf16 matrix units, where bf16 matmuls are emulated."""
    if dtype is None:
        dtype = spec.dtype or "float32"
        if dtype == "bfloat16" and on_cpu and not cpu_has_native_bf16():
            dtype = "float32"
    if dtype not in ("float32", "bfloat16"):
        raise ConfigError(f"dtype must be 'float32' or 'bfloat16', got {dtype!r}")
    return cast(DType, dtype)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (x86: AVX512-BF16 or AMX tiles).

    Other architectures, and torch builds that cannot tell, count as yes: the spec's dtype stands.
    """
    import platform

    torch = require("torch", extra="hf")
    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
        return True
    probes = [getattr(torch.cpu, n, None) for n in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(f is None for f in probes):
        return True
    return any(bool(f()) for f in probes if f is not None)


def load_model(spec: PRMSpec, source: str, *, dtype: Any, trust_remote_code: bool = False) -> Any:
    """Load ``source`` (a local folder or hub id) for ``spec``'s readout: a prmkit head folder as its token
    classifier, anything else into the readout's ``transformers`` class (:meth:`ModelReadout.load_model`)."""
    if (Path(source) / HEAD_FILE).is_file():
        return load_head_model(source, dtype=dtype)
    readout: ModelReadout = model_readout(spec)
    return readout.load_model(spec, source, dtype=dtype, trust_remote_code=trust_remote_code)
