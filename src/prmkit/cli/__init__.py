"""The ``prmkit`` command line. It only assembles library calls; each topic lives in its own module.

>>> main(["prms", "--names"])  # doctest: +ELLIPSIS
arith
...
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from prmkit.errors import MissingExtraError, PRMKitError

__all__ = ["build_parser", "main"]

# (module, where it plugs in): "top" adds a top-level command, "eval" a subcommand of `prmkit eval`.
_TOPICS: tuple[tuple[str, str], ...] = (
    ("prmkit.cli._prms", "top"),
    ("prmkit.cli._score", "top"),
    ("prmkit.cli._processbench", "eval"),
    ("prmkit.cli._prmbench", "eval"),
    ("prmkit.cli._bon", "eval"),
    ("prmkit.cli._report", "top"),
    ("prmkit.cli._calibration", "eval"),
    ("prmkit.cli._cache", "top"),
    ("prmkit.cli._models", "top"),
    ("prmkit.cli._train", "top"),
    ("prmkit.cli._label", "top"),
    ("prmkit.cli._search", "top"),
    ("prmkit.cli._serve", "top"),
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser; topic modules that are not installed are left out."""
    from prmkit import __version__

    parser = argparse.ArgumentParser(
        prog="prmkit",
        description="Process reward models: score every step, evaluate, search, label, train.",
    )
    parser.add_argument("--version", action="version", version=f"prmkit {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    ev = top.add_parser("eval", help="evaluate a PRM on a benchmark (processbench, prmbench, bon, calibration)")
    ev_sub = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK")

    def _eval_help(_args: argparse.Namespace) -> int:
        ev.print_help()
        return 2

    ev.set_defaults(func=_eval_help)
    for module, where in _TOPICS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name == module:
                continue
            raise
        mod.add_parser(ev_sub if where == "eval" else top)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 ok, 1 failure, 2 usage or input error)."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except MissingExtraError as e:
        print(f"prmkit: {e}", file=sys.stderr)
        return 2
    except PRMKitError as e:
        print(f"prmkit: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # the last net (cli/_errors.py): the environment's failures typed, bugs re-raised
        from prmkit.cli._errors import user_error

        typed = user_error(e)
        if typed is None:
            raise  # a bug: its traceback is what fixes it
        print(f"prmkit: error: {typed}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("prmkit: interrupted; finished results are kept and a rerun resumes", file=sys.stderr)
        return 130
