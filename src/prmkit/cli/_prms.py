"""``prmkit prms``: list the catalogued PRM families."""

from __future__ import annotations

import argparse

from prmkit.scoring import SPECS, get_spec


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("prms", help="list the PRM families prmkit knows, with their conventions")
    p.add_argument("--names", action="store_true", help="print only the names, one a line")
    p.add_argument("--show", metavar="NAME", help="print one family's full spec")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.show:
        for key, value in get_spec(args.show).to_dict().items():
            print(f"{key:20s} {value!r}")
        return 0
    for name in SPECS.names():
        spec = get_spec(name)
        print(name if args.names else f"{name:32s} {spec.readout:15s} {spec.format:15s} {spec.description}")
    return 0
