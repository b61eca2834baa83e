"""``prmkit serve``: serve one PRM over HTTP, batched and behind API keys.

Routes: ``POST /v1/score`` (problem and steps in, one score per step out),
``POST /v1/rewards`` (the same plus a credit rule: per-step rewards and
returns), ``GET /health``, ``GET /metrics``. Keys: ``--keys-file`` (one per
line) or ``$PRMKIT_API_KEYS`` (comma-separated); clients send
``Authorization: Bearer KEY``. See docs/serve.md.
"""

from __future__ import annotations

import argparse
from typing import Any

from prmkit._extras import require
from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.serve.config import ServeConfig

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "serve",
        help="serve a PRM over HTTP: batched step scores and rewards behind API keys",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, ServeConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    cfg = config_from_args(ServeConfig, args)
    cfg.api_keys()  # no keys and no --no-auth: fail before loading a model
    require("fastapi", extra="serve")
    from prmkit.serve.app import serve

    serve(cfg)
    return 0
