"""``prmkit eval prmbench``: step-level F1 on PRMBench, resumable, with a printed table.

Data come from ``--data FILE ...`` (PRMBench's JSONL files, one error category
each). Results go to ``--out DIR`` (``cases.jsonl`` and ``summary.json``);
re-running the same command resumes. The table gives, per category and
overall, the step counts, F1 of right steps, F1 of wrong steps and PRMScore
(their mean) in percent, then the group scores when all their categories were
evaluated. The flags are the fields of
``prmkit.evaluation.config.PRMBenchConfig`` (``--config FILE.yaml`` reads them
from a file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_dir, lock_output
from prmkit.errors import ConfigError
from prmkit.evaluation.config import DEFAULT_SWEEP, PRMBenchConfig
from prmkit.evaluation.prmbench import PoolResult, PRMBenchReport, run_prmbench

__all__ = ["add_parser", "format_report"]


def add_parser(subparsers: Any) -> None:
    """Register ``prmbench`` on the subparsers of the ``eval`` command."""
    p = subparsers.add_parser(
        "prmbench",
        help="PRMBench: tell right steps from planted wrong ones (PRMScore per category, overall)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, PRMBenchConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.scoring.combine import decision_threshold

    cfg = config_from_args(PRMBenchConfig, args)
    if not cfg.data:
        raise ConfigError("no data: give --data FILE ...")
    if cfg.grid and not (cfg.fit_on or cfg.sweep):
        raise ConfigError("--grid needs --fit-on or --sweep")
    check_output_dir(cfg.out)  # before any work
    with lock_output(cfg.out, folder=True):  # one run at a time, from before the model loads
        scorer = cfg.scorer.load()
        bar = tqdm(desc="prmbench", unit="case", file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            report = run_prmbench(
                scorer,
                cfg.data,
                cfg.out,
                threshold=decision_threshold(scorer) if cfg.threshold is None else cfg.threshold,
                fit_on=cfg.fit_on,
                grid=tuple(cfg.grid or ()) if cfg.fit_on else (),
                sweep=tuple(cfg.grid or DEFAULT_SWEEP) if cfg.sweep else (),
                strip_numbers=cfg.strip_numbers,
                batch_size=cfg.batch_size,
                progress=progress,
            )
        finally:
            bar.close()
    print(format_report(report))
    if report.recomputed:
        print(f"{report.recomputed} cases changed since the last run (or had no content key); recomputed",
              file=sys.stderr)
    print(f"wrote {Path(cfg.out) / 'summary.json'}", file=sys.stderr)
    return 0


def _pct(x: float | None) -> str:
    return "-" if x is None or x < 0 else f"{100 * x:.1f}"


def format_report(report: PRMBenchReport) -> str:
    """The table ``prmkit eval prmbench`` prints (F1s and PRMScore in percent; ``-``: undefined)."""
    how = "fixed" if report.fit_on is None else f"fitted on {report.fit_on}"
    rows: dict[str, PoolResult] = {**report.categories, "overall": report.overall}
    width = max(len("category"), *(len(n) for n in rows))
    lines = [
        f"PRM: {report.prm}",
        f"threshold: {report.threshold:g} ({how}); a step is predicted right iff its score is above it",
        f"{'category':<{width}}  {'cases':>5}  {'failed':>6}  {'TP':>5}  {'FP':>5}  {'TN':>5}  {'FN':>5}"
        f"  {'F1':>5}  {'F1neg':>5}  {'PRMScore':>8}",
    ]
    for name, r in rows.items():
        c = r.counts
        lines.append(
            f"{name:<{width}}  {r.n:>5}  {r.n_failed:>6}  {c.tp:>5}  {c.fp:>5}  {c.tn:>5}  {c.fn:>5}"
            f"  {_pct(c.f1):>5}  {_pct(c.negative_f1):>5}  {_pct(r.prmscore):>8}"
        )
    for group, score in report.groups.items():
        lines.append(f"{group} (mean of its categories): {_pct(score)}")
    lines.append(f"PRMScore: {_pct(report.prmscore)}")
    if report.sweep:
        lines.append("")
        lines.append("PRMScore (%) by threshold")
        names = list(report.sweep[0].categories)
        lines.append("  ".join([f"{'threshold':>9}", f"{'overall':>7}", *(f"{n:>{max(5, len(n))}}" for n in names)]))
        for row in report.sweep:
            cells = [f"{row.threshold:>9g}", f"{_pct(row.prmscore):>7}"]
            cells += [f"{_pct(row.categories[n]):>{max(5, len(n))}}" for n in names]
            lines.append("  ".join(cells))
    return "\n".join(lines)
