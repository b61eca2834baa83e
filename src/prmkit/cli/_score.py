"""``prmkit score``: score every step of the solutions in a JSON Lines file, resumably.

Input: one object per line with ``problem`` (str), ``steps`` (list of str) and
optionally ``id``; other fields are carried through. Output: the input object
plus ``step_scores`` (and ``tokens``) or ``failure``. A record without ``id``
gets ``line-<n>``. Re-running with the same output skips the ids already there.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from prmkit.cli._common import add_prm_options, build_scorer
from prmkit.scoring import read_score_inputs, score_file

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``score`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "score",
        help="score every step of solutions in a JSONL file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_prm_options(p)
    p.add_argument(
        "--input",
        required=True,
        help="JSONL with 'problem', 'steps' (list of str) and optional 'id'",
    )
    p.add_argument(
        "--output", required=True, help="JSONL to append results to; finished ids are skipped"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    records = read_score_inputs(args.input)  # validate the whole file before loading a model
    scorer = build_scorer(args)
    with tqdm(total=len(records), desc="score", unit="sol", file=sys.stderr) as bar:
        stats = score_file(
            scorer, records, args.output, batch_size=args.batch_size, progress=bar.update
        )
    print(
        f"scored {stats.scored} ({stats.failed} failed), skipped {stats.skipped} already in {args.output}",
        file=sys.stderr,
    )
    return 0
