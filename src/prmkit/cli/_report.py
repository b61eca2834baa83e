"""``prmkit report RUN_DIR``: one self-contained HTML page of an evaluation run.

The run kind is told by the files in RUN_DIR: ``bon.json`` (``prmkit eval
bon --out``), ``run.json`` and ``summary.json`` (``prmkit eval processbench
--out``), ``cases.jsonl`` and ``summary.json`` (``prmkit eval prmbench
--out``), a calibration ``summary.json`` (``prmkit eval calibration --out``),
or any other ``summary.json`` (shown as tables). The page has its
style, script and charts inline and fetches nothing when it is opened.
Example::

    prmkit eval processbench --data gsm8k.json --prm arith --out runs/pb
    prmkit report runs/pb            # writes runs/pb/report.html
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_file
from prmkit.evaluation.config import ReportConfig

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``report`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "report",
        help="write one self-contained HTML report of an evaluation run directory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, ReportConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from prmkit.evaluation.report import write_report

    cfg = config_from_args(ReportConfig, args)
    if cfg.out is not None:  # the default, report.html in the run folder, is checked as the run is read
        check_output_file(cfg.out)
    path = write_report(cfg.run_dir, cfg.out, kind=cfg.kind, title=cfg.title)
    print(f"wrote {path}", file=sys.stderr)
    return 0
