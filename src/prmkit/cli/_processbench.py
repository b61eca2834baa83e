"""``prmkit eval processbench``: earliest-error identification, resumable, with a printed table.

Splits come from ``--data FILE`` (the split is named after the file:
``gsm8k.json`` -> ``gsm8k``) or ``--split NAME=FILE``. Results go to ``--out
DIR`` (one JSONL per split and ``summary.json``); re-running the same command
resumes. The table gives accuracies and F1 in percent, then the paper's mean
F1 (unweighted over splits) and the F1 weighted by split size. The flags are
the fields of ``prmkit.evaluation.config.ProcessBenchConfig`` (``--config
FILE.yaml`` reads them from a file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_dir, child_path, lock_output
from prmkit.errors import ConfigError
from prmkit.evaluation import ProcessBenchReport, run_processbench
from prmkit.evaluation.config import DEFAULT_SWEEP, ProcessBenchConfig

__all__ = ["add_parser", "format_report"]

def add_parser(subparsers: Any) -> None:
    """Register ``processbench`` on the subparsers of the ``eval`` command."""
    p = subparsers.add_parser(
        "processbench",
        help="ProcessBench: find the earliest wrong step (F1 per split, paper mean)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, ProcessBenchConfig)
    p.set_defaults(func=_run)


def _splits(cfg: ProcessBenchConfig) -> dict[str, str]:
    splits: dict[str, str] = {}
    named = [(Path(path).name.split(".")[0], path) for path in cfg.data]
    for item in cfg.split:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--split expects NAME=PATH, got {item!r}")
        named.append((name, path))
    for name, path in named:
        if name in splits:
            raise ConfigError(f"split {name!r} given twice ({splits[name]} and {path})")
        splits[name] = path
    if not splits:
        raise ConfigError("no data: give --data FILE ... or --split NAME=FILE")
    return splits


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.scoring.combine import decision_threshold

    cfg = config_from_args(ProcessBenchConfig, args)
    splits = _splits(cfg)
    if cfg.grid and not (cfg.fit_on or cfg.sweep):
        raise ConfigError("--grid needs --fit-on or --sweep")
    for name in splits:  # each split name becomes a file name in --out
        child_path(cfg.out, name, what="split")
    check_output_dir(cfg.out)  # before any work
    with lock_output(cfg.out, folder=True):  # one run at a time, from before the model loads
        scorer = cfg.scorer.load()
        bars: dict[str, Any] = {}

        def progress(split: str, done: int, total: int) -> None:
            bar = bars.get(split)
            if bar is None:
                bar = bars[split] = tqdm(total=total, desc=split, unit="case", file=sys.stderr)
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        try:
            report = run_processbench(
                scorer,
                splits,
                cfg.out,
                threshold=decision_threshold(scorer) if cfg.threshold is None else cfg.threshold,
                fit_on=cfg.fit_on,
                grid=tuple(cfg.grid or ()) if cfg.fit_on else (),
                sweep=tuple(cfg.grid or DEFAULT_SWEEP) if cfg.sweep else (),
                batch_size=cfg.batch_size,
                progress=progress,
            )
        finally:
            for bar in bars.values():
                bar.close()
    print(format_report(report))
    if report.recomputed:
        print(f"{report.recomputed} cases changed since the last run (or had no content key); recomputed",
              file=sys.stderr)
    print(f"wrote {Path(cfg.out) / 'summary.json'}", file=sys.stderr)
    return 0


def format_report(report: ProcessBenchReport) -> str:
    """The table ``prmkit eval processbench`` prints (accuracies and F1 in percent)."""
    how = "fixed" if report.fit_on is None else f"fitted on {report.fit_on}"
    width = max(len("split"), *(len(n) for n in report.splits))
    lines = [
        f"PRM: {report.prm}",
        f"threshold: {report.threshold:g} ({how})",
        f"{'split':<{width}}  {'n':>5}  {'failed':>6}  {'error_acc':>9}  {'correct_acc':>11}  {'F1':>5}",
    ]
    for name, m in report.splits.items():
        lines.append(
            f"{name:<{width}}  {m.n:>5}  {m.n_failed:>6}  {100 * m.error_acc:>9.1f}  "
            f"{100 * m.correct_acc:>11.1f}  {100 * m.f1:>5.1f}"
        )
    for name, j in report.judge.items():
        lines.append(
            f"judge on {name}: {j['prompt_tokens_per_case']:.0f} prompt + {j['generated_tokens_per_case']:.0f} "
            f"generated tokens and {j['seconds_per_case']:.1f} s per case; "
            f"{100 * j['unparsed_samples']:.0f}% of samples without a verdict"
        )
    lines.append(f"mean F1 (paper: unweighted mean over splits): {100 * report.mean_f1:.1f}")
    lines.append(f"weighted F1 (by split size, not the paper's): {100 * report.weighted_f1:.1f}")
    if report.sweep:
        names = list(report.splits)
        lines.append("")
        lines.append("F1 (%) by threshold")
        lines.append(
            "  ".join(
                [
                    f"{'threshold':>9}",
                    *(f"{n:>{max(5, len(n))}}" for n in names),
                    " mean",
                    "weighted",
                ]
            )
        )
        for row in report.sweep:
            cells = [
                f"{row.threshold:>9g}",
                *(f"{100 * row.f1[n]:>{max(5, len(n))}.1f}" for n in names),
            ]
            lines.append(
                "  ".join([*cells, f"{100 * row.mean_f1:>5.1f}", f"{100 * row.weighted_f1:>8.1f}"])
            )
    return "\n".join(lines)
