"""``prmkit eval calibration``: how well a PRM's step scores estimate step correctness, before and after calibration.

Reads labelled steps (``--data``, TRL stepwise JSONL or ``.jsonl.gz`` with
``labels`` and optionally ``mc``), scores them with ``--prm`` through the
step-score cache, fits ``--fit`` on a seeded ``--split`` share of the
solutions and reports Brier score and expected calibration error (equal-width
and equal-mass bins) on the other solutions. Writes ``summary.json``,
``scores.jsonl``, ``calibrator.json`` and ``reliability.png`` into ``--out``.
Example (seconds)::

    prmkit eval calibration --data datasets/gsm8k-train-qwen2.5-coder-0.5b/mc.jsonl.gz \\
        --prm arith --target mc --fit isotonic --out runs/calib
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_dir, lock_output
from prmkit.evaluation import CalibrationReport, read_labelled, run_calibration
from prmkit.evaluation.config import CalibrationConfig

__all__ = ["add_parser", "format_report"]


def add_parser(subparsers: Any) -> None:
    """Register ``calibration`` on the subparsers of the ``eval`` command."""
    p = subparsers.add_parser(
        "calibration",
        help="calibration of step scores: ECE and Brier before and after a fitted calibrator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, CalibrationConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.errors import MissingExtraError
    from prmkit.evaluation.calibration import ReliabilityBin
    from prmkit.evaluation.plot import plot_reliability

    cfg = config_from_args(CalibrationConfig, args)
    data = read_labelled(cfg.data, cfg.target)  # validate the whole file before loading a model
    check_output_dir(cfg.out)  # before any work
    with lock_output(cfg.out, folder=True):  # one run at a time, from before the model loads
        scorer = cfg.scorer.load()
        with tqdm(total=len(data), desc="scoring", unit="sol", file=sys.stderr) as bar:
            report = run_calibration(scorer, data, cfg.out, prm=cfg.scorer.name, target=cfg.target, fit=cfg.fit,
                                     split=cfg.split, seed=cfg.seed, bins=cfg.bins, batch_size=cfg.batch_size,
                                     progress=bar.update)
    print(format_report(report))
    names = {"before": "raw", "after": f"calibrated ({report.fit})"}
    curves = {names[part]: [ReliabilityBin(**b) for b in bins] for part, bins in report.reliability.items()}
    try:
        plot_reliability(curves, Path(cfg.out) / "reliability.png",
                         title=f"{report.prm} vs {report.target} ({report.n_eval} held-out solutions)")
    except MissingExtraError as e:
        print(f"warning: plot skipped: {e}", file=sys.stderr)
    print(f"wrote {Path(cfg.out) / 'summary.json'}", file=sys.stderr)
    return 0


def format_report(report: CalibrationReport) -> str:
    """The table ``prmkit eval calibration`` prints."""
    rows = [("raw", report.before)]
    if report.after is not None:
        rows.append((report.fit, report.after))
    lines = [
        f"PRM: {report.prm}; target: {report.target}; fitted on {report.n_fit} solutions, measured on "
        f"{report.n_eval} ({report.n_failed} failed to score)",
        f"{'scores':<11}  {'steps':>5}  {'Brier':>6}  {'ECE':>6}  {'ECE-mass':>8}  {'mean score':>10}  "
        f"{'mean target':>11}",
    ]
    for name, m in rows:
        lines.append(f"{name:<11}  {m.n:>5}  {m.brier:>6.4f}  {m.ece:>6.4f}  {m.ece_mass:>8.4f}  "
                     f"{m.mean_score:>10.4f}  {m.mean_target:>11.4f}")
    lines.append(f"ECE: {report.before.bins} equal-width bins / ECE-mass: equal-mass bins; each bin weighted by "
                 "its share of the steps")
    return "\n".join(lines)
