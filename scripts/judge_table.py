"""The README's judge table from ``scripts/judge_processbench.sh`` runs: one row per PRM and split.

F1 with a 95 % bootstrap interval (cases resampled within the erroneous and the correct halves of the
split, 2000 times, seed 0), the judge's prompt and generated tokens and seconds per case, and the share
of samples whose verdict did not parse. Metrics are prmkit's own (``split_metrics``) on the runs'
per-case predictions::

    python scripts/judge_table.py runs/judge_processbench/{prmkit-prm,judge-critic,judge-critic-maj8}
    python scripts/judge_table.py --fit-on gsm8k runs/judge_processbench/judge-critic-direct

``--fit-on SPLIT``: each PRM's threshold is the one with the best F1 on that split (ProcessBench's protocol
for PRMs, ``eval processbench --fit-on``) and predictions on every split are made at it; the fitting
split's own row is then in-sample.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit.evaluation.processbench import fit_threshold, predict_first_error, split_metrics


def read(run: Path, split: str) -> list[dict[str, Any]]:
    path = run / f"{split}.jsonl"
    if not path.is_file():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def f1_interval(
    recs: Sequence[dict[str, Any]], reps: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % percentile interval of F1, resampling the erroneous and the correct cases separately."""
    wrong = [r for r in recs if r["label"] != -1]
    right = [r for r in recs if r["label"] == -1]
    rng = random.Random(seed)
    values = []
    for _ in range(reps):
        sample = [rng.choice(wrong) for _ in wrong] + [rng.choice(right) for _ in right]
        values.append(split_metrics([r["label"] for r in sample], [r["pred"] for r in sample]).f1)
    values.sort()
    return values[int(0.025 * reps)], values[int(0.975 * reps) - 1]


def at_threshold(recs: Sequence[dict[str, Any]], tau: float) -> list[dict[str, Any]]:
    """The records with each prediction made again at ``tau`` (a failed case stays failed)."""
    return [
        r
        | {
            "pred": None
            if r.get("step_scores") is None
            else predict_first_error(r["step_scores"], tau)
        }
        for r in recs
    ]


def row(name: str, split: str, recs: Sequence[dict[str, Any]]) -> str:
    m = split_metrics([r["label"] for r in recs], [r["pred"] for r in recs])
    lo, hi = f1_interval(recs)
    judged = [r["judge"] for r in recs if "judge" in r]
    if judged:
        n = len(judged)
        samples = sum(len(j["verdicts"]) for j in judged)
        failed = sum(v.startswith("error:") for j in judged for v in j["verdicts"])
        cost = (
            f"{sum(j['prompt_tokens'] for j in judged) / n:.0f} + {sum(j['generated_tokens'] for j in judged) / n:.0f}"
            f" | {sum(j['seconds'] for j in judged) / n:.1f} | {failed}/{samples}"
        )
    else:
        cost = "— | — | —"
    tau = recs[0].get("threshold")
    return (
        f"| {name} | {split} | {'—' if tau is None else f'{tau:.3g}'} | {m.n} ({m.n_error} + {m.n_correct}) | {100 * m.error_acc:.1f} | "
        f"{100 * m.correct_acc:.1f} | {100 * m.f1:.1f} [{100 * lo:.1f}, {100 * hi:.1f}] | {m.n_failed} | {cost} |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "runs", nargs="+", type=Path, help="run folders, one per PRM (the folder name is the PRM's)"
    )
    p.add_argument("--splits", default="gsm8k,math")
    p.add_argument(
        "--common", action="store_true", help="every PRM on the cases all the runs have (per split)"
    )
    p.add_argument(
        "--fit-on", help="fit each PRM's threshold on this split (best F1), apply it to every split"
    )
    args = p.parse_args(argv)
    print(
        "| PRM | split | threshold | cases (erroneous + correct) | error acc | correct acc | F1 [95 % CI] | failed cases "
        "| judge tokens per case (prompt + generated) | judge s per case | unparsed samples |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    runs = {run: {split: read(run, split) for split in args.splits.split(",")} for run in args.runs}
    if args.common:
        for split in args.splits.split(","):
            shared = set.intersection(*({r["id"] for r in per[split]} for per in runs.values()))
            for per in runs.values():
                per[split] = [r for r in per[split] if r["id"] in shared]
    for run, splits in runs.items():
        name = run.name
        if args.fit_on:
            fit = splits.get(args.fit_on) or read(run, args.fit_on)
            tau, _ = fit_threshold([r["label"] for r in fit], [r.get("step_scores") for r in fit])
            splits = {
                k: [r | {"threshold": tau} for r in at_threshold(v, tau)] for k, v in splits.items()
            }
            name = f"{name} (τ fitted on {args.fit_on})"
        for split, recs in splits.items():
            if recs:
                print(row(name, split, recs))


if __name__ == "__main__":
    main()
