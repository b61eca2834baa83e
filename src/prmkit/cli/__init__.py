"""The ``prmkit`` command line: each subcommand assembles library calls.

>>> main(["eval", "processbench", "--prm", "arith", "--out", "/tmp/x"])
2
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from prmkit.cli import _processbench, _score
from prmkit.cli._common import run_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prmkit", description="Process reward models: score every step."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _score.add_parser(commands)
    evaluate = commands.add_parser("eval", help="evaluate a PRM on a benchmark")
    benchmarks = evaluate.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    _processbench.add_parser(benchmarks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``prmkit`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return run_command(args.func, args)
