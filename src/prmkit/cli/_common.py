"""Options every PRM-running command shares."""

from __future__ import annotations

import argparse
from typing import Any

from prmkit.cli._cache import add_cache_options, cached
from prmkit.scoring import DEFAULT_PRM, Scorer, load_prm

__all__ = ["add_prm_options", "build_scorer", "positive_int"]


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def add_prm_options(parser: argparse.ArgumentParser, *, batch_size: int = 8) -> None:
    """``--prm --model --backend --dtype --device --max-length --batch-size``."""
    g = parser.add_argument_group("PRM")
    g.add_argument(
        "--prm",
        default=DEFAULT_PRM,
        help="catalogued PRM name (see 'prmkit prms'), or a combination: 'a+b' = per-step min, "
        f"'a*b' = product (default: {DEFAULT_PRM!r}, prmkit's embedded default PRM)",
    )
    g.add_argument(
        "--model", help="weights to load instead of the catalog's: a local path or a hub id"
    )
    g.add_argument(
        "--backend", help="engine to run the PRM on (default: 'verifier' for verifiers, else 'hf')"
    )
    g.add_argument(
        "--dtype", help="model dtype, e.g. bfloat16, float16, float32 (default: the backend's)"
    )
    g.add_argument(
        "--device",
        help="device to run the model on, e.g. cuda, cuda:1, cpu (default: the backend's)",
    )
    g.add_argument(
        "--max-length", type=positive_int, help="longest input in tokens; longer solutions fail"
    )
    g.add_argument(
        "--batch-size",
        type=positive_int,
        default=batch_size,
        help=f"solutions per scoring call (default {batch_size})",
    )
    add_cache_options(parser)


def build_scorer(args: argparse.Namespace) -> Scorer:
    """``load_prm`` with the options the user actually gave (unset ones are not passed)."""
    options: dict[str, Any] = {}
    for key in ("model", "dtype", "device", "max_length"):
        value = getattr(args, key, None)
        if value is not None:
            options[key] = value
    return cached(load_prm(args.prm, backend=getattr(args, "backend", None), **options), args)
