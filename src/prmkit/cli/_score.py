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

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_file, lock_output
from prmkit.scoring import read_score_inputs, score_file
from prmkit.scoring.config import ScoreFileConfig

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``score`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "score",
        help="score every step of solutions in a JSONL file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, ScoreFileConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    cfg = config_from_args(ScoreFileConfig, args)
    records = read_score_inputs(cfg.input)  # validate the whole file before loading a model
    check_output_file(cfg.output)
    with lock_output(cfg.output, folder=False):  # one run at a time, from before the model loads
        scorer = cfg.scorer.load()
        with tqdm(total=len(records), desc="score", unit="sol", file=sys.stderr) as bar:
            stats = score_file(scorer, records, cfg.output, batch_size=cfg.batch_size, progress=bar.update)
    print(
        f"scored {stats.scored} ({stats.failed} failed), skipped {stats.skipped} already in {cfg.output}",
        file=sys.stderr,
    )
    if stats.recomputed:
        print(f"{stats.recomputed} solutions changed since the last run (or had no content key); recomputed",
              file=sys.stderr)
    return 0
