"""``prmkit train``: train a PRM from a YAML config and flags; ``prmkit train-data``: make stepwise data.

    prmkit train --config cfg.yaml --max-steps 100 --learning-rate 2e-5
    prmkit train-data mr-ben shared/data/mr_ben/math.json --out mrben.jsonl
    prmkit train-data candidates graded.jsonl --exclude-problems-of shared/data/processbench/*.json --out cot.jsonl
    prmkit train-data gsm8k-reference shared/data/gsm8k/example_model_solutions.jsonl \
        --exclude-problems-of shared/data/processbench/*.json --out gsm8k-ref.jsonl
"""

from __future__ import annotations

import argparse
import sys

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_dir, check_output_file, lock_output
from prmkit.training.config import TrainConfig, TrainDataConfig


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a PRM (BCE on hard or soft step labels, PQM ranking, or an implicit PRM)",
        description="Train a PRM. Fields come from --config FILE.yaml; flags override them. "
        "The output folder loads in the hf scoring backend (prmkit_spec.json holds its format).",
    )
    add_dataclass_arguments(p, TrainConfig)
    p.set_defaults(func=_run_train)

    d = subparsers.add_parser(
        "train-data",
        help="convert labelled step data (ProcessBench, Mr-Ben, BIG-Bench-Mistake, graded candidate sets, GSM8K "
        "example solutions located against the reference) to stepwise JSONL",
    )
    add_dataclass_arguments(d, TrainDataConfig)
    d.set_defaults(func=_run_data)


def _run_train(args: argparse.Namespace) -> int:
    from prmkit.training.trainer import train

    cfg = config_from_args(TrainConfig, args)
    with lock_output(check_output_dir(cfg.output_dir), folder=True):  # before the model loads; one writer
        result = train(cfg)
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items())) or "none"
    print(
        f"trained {result.steps} steps ({result.steps_this_run} in this run, "
        f"{result.examples_per_second:.2f} examples/s); skipped examples: {skipped}",
        file=sys.stderr,
    )
    if result.validation:
        print(f"validation F1 {result.validation['f1']:.4f}", file=sys.stderr)
    print(result.output_dir)
    return 0


def _run_data(args: argparse.Namespace) -> int:
    from prmkit.data import write_stepwise
    from prmkit.training.convert import convert
    from prmkit.training.data import read_first_error_records

    cfg = config_from_args(TrainDataConfig, args)
    check_output_file(cfg.out)
    exclude = [sol.problem for path in cfg.exclude_problems_of for sol, _ in read_first_error_records(path)]
    examples = [
        ex
        for path in cfg.inputs
        for ex in convert(cfg.source, path, after_error=cfg.after_error, rectified=cfg.rectified,  # type: ignore[arg-type]
                          exclude_problems=exclude)
    ]
    n = write_stepwise(examples, cfg.out)
    print(f"wrote {n} examples to {cfg.out}", file=sys.stderr)
    return 0
