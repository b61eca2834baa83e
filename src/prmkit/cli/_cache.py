"""``prmkit cache stats|export|prune``: look after the persistent step-score cache.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="prmkit")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["cache", "prune", "--db", "s.sqlite", "--older-than", "30"])
>>> args.older_than, args.func.__name__
(30.0, '_prune')
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prmkit.data import check_output_file
from prmkit.errors import PRMKitError
from prmkit.scoring.cache import CacheStats, ScoreCache, default_cache_path

__all__ = ["add_parser"]

_DB_HELP = "score cache file (default: $PRMKIT_CACHE_DIR/scores.sqlite, else ~/.cache/prmkit/scores.sqlite)"


def add_parser(subparsers: Any) -> None:
    """Register ``prmkit cache`` and its subcommands on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "cache",
        help="inspect, export or prune the persistent step-score cache",
        description="The step-score cache keyed by (PRM identity, problem, step prefix).",
    )
    sub = parser.add_subparsers(dest="cache_command", required=True, metavar="{stats,export,prune}")

    stats = sub.add_parser("stats", help="entries, per-PRM counts, hit statistics, size on disk")
    stats.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    stats.add_argument(
        "--json", action="store_true", help="print the statistics as one JSON object"
    )
    stats.set_defaults(func=_stats)

    export = sub.add_parser("export", help="write cache entries as JSON Lines")
    export.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    export.add_argument(
        "--out", type=Path, required=True, help="JSON Lines file to write (replaced atomically)"
    )
    export.add_argument(
        "--prm", metavar="IDENTITY", default=None, help="only this PRM identity (see `cache stats`)"
    )
    export.set_defaults(func=_export)

    prune = sub.add_parser(
        "prune", help="delete entries by PRM and/or age; optionally reclaim disk space"
    )
    prune.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    prune.add_argument(
        "--prm", metavar="IDENTITY", default=None, help="delete only this PRM identity's entries"
    )
    prune.add_argument(
        "--older-than",
        metavar="DAYS",
        type=_days,
        default=None,
        help="delete only entries neither created nor hit in the last DAYS days (fractions allowed)",
    )
    prune.add_argument(
        "--all", action="store_true", help="delete every entry (needed when no filter is given)"
    )
    prune.add_argument(
        "--vacuum", action="store_true", help="afterwards, shrink the file to its live data"
    )
    prune.set_defaults(func=_prune)


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not days >= 0:
        raise argparse.ArgumentTypeError(f"days must be >= 0, got {text!r}")
    return days


def _open(args: argparse.Namespace, *, read_only: bool = False) -> ScoreCache:
    path = args.db if args.db is not None else default_cache_path()
    return ScoreCache(path, create=False, read_only=read_only)


def _fail(err: Exception) -> int:
    print(f"prmkit cache: error: {err}", file=sys.stderr)
    return 2  # as every other command's typed error


def _stats(args: argparse.Namespace) -> int:
    try:
        with _open(args, read_only=True) as cache:
            cache.check()
            st = cache.stats()
    except PRMKitError as e:
        return _fail(e)
    if args.json:
        d = dataclasses.asdict(st)
        for row, p in zip(d["prms"], st.prms, strict=True):
            row["hit_rate"] = p.hit_rate
        print(json.dumps(d, indent=2))
    else:
        print(_render(st))
    return 0


def _render(st: CacheStats) -> str:
    lines = [
        f"cache      {st.path} (schema {st.schema_version})",
        f"size       {_size(st.size_bytes)} on disk",
        f"entries    {st.entries} step prefixes, {st.solutions} solutions, {len(st.prms)} PRMs",
    ]
    if st.prms:
        width = max(12, *(len(p.identity) for p in st.prms))
        head = f"{'PRM identity':<{width}}  {'entries':>8}  {'solutions':>9}  {'hits':>7}  {'misses':>7}  {'calls':>6}  {'hit rate':>8}  last used"
        lines += ["", head]
        for p in st.prms:
            rate = f"{p.hit_rate:.1%}" if p.hit_rate is not None else "-"
            used = (
                datetime.fromtimestamp(p.last_used, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
                if p.last_used is not None
                else "-"
            )
            lines.append(
                f"{p.identity:<{width}}  {p.entries:>8}  {p.solutions:>9}  {p.hits:>7}  {p.misses:>7}  {p.calls:>6}  {rate:>8}  {used}"
            )
    return "\n".join(lines)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    try:
        check_output_file(args.out)
        with _open(args, read_only=True) as cache:
            cache.check()
            total = sum(p.entries for p in cache.stats().prms if args.prm in (None, p.identity))
            with tqdm(total=total, unit="row", desc="export", file=sys.stderr, disable=None) as bar:
                n = cache.export(args.out, prm=args.prm, progress=bar.update)
    except PRMKitError as e:
        return _fail(e)
    print(f"wrote {n} entries to {args.out}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    filtered = args.prm is not None or args.older_than is not None
    if filtered and args.all:
        return _fail(
            ValueError("--all deletes everything; do not combine it with --prm or --older-than")
        )
    if not (filtered or args.all or args.vacuum):
        return _fail(ValueError("nothing to do: give --prm, --older-than, --all or --vacuum"))
    try:
        with _open(args) as cache:
            before = cache.stats().size_bytes
            n = 0
            if filtered or args.all:
                older = args.older_than * 86400.0 if args.older_than is not None else None
                n = cache.prune(prm=args.prm, older_than_s=older)
            if args.vacuum:
                cache.vacuum()
            after = cache.stats()
    except PRMKitError as e:
        return _fail(e)
    print(
        f"deleted {n} entries; {after.entries} left; {_size(before)} -> {_size(after.size_bytes)} on disk"
    )
    return 0
