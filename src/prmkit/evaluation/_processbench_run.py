"""The resumable ProcessBench runner: score every case once, append results, summarise.

Layout of ``out_dir``::

    run.json          the PRM identity the results belong to
    <split>.jsonl     one object per case, appended as cases are scored
    summary.json      per-split metrics, the threshold, both averages

A killed run is restarted with the same call: finished cases are read back and
skipped (a half-written last line is dropped first). A stored case counts as
finished only if its content key (the case's fields and the PRM) matches the
data as it is now; a case whose steps or label changed is scored again, and
``ProcessBenchReport.recomputed`` says how many were. One run at a time holds
``out_dir`` (a lock; a second is refused). The ``pred`` stored with
a case is its prediction at the ``threshold`` stored next to it; the summary
always recomputes predictions from the stored ``step_scores`` at the final
threshold (fixed, or fitted on one split).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prmkit.data import check_output_dir, child_path, content_key, lock_output, read_jsonl
from prmkit.data.processbench import ProcessBenchCase, load_processbench
from prmkit.errors import ConfigError
from prmkit.evaluation._processbench_metrics import (
    SplitMetrics,
    mean_f1,
    predict_first_error,
    weighted_f1,
)
from prmkit.evaluation._processbench_thresholds import fit_threshold, metrics_at_thresholds
from prmkit.evaluation._run_files import Resumed, claim_dir, score_resumably, write_json
from prmkit.scoring import Scorer
from prmkit.types import ScoreFailure, StepScores, to_record

__all__ = ["AVERAGES_NOTE", "ProcessBenchReport", "SweepRow", "run_processbench"]

AVERAGES_NOTE = (
    "mean_f1 is the unweighted mean of the split F1s (the ProcessBench paper's 'Average'); "
    "weighted_f1 weights each split by its number of cases and is not comparable with the paper's tables"
)

Progress = Callable[[str, int, int], None]
"""``progress(split, n_done, n_total)``, called when a split starts and after every batch."""


@dataclass(frozen=True)
class SweepRow:
    """F1 of every split, and both averages, at one threshold."""

    threshold: float
    f1: dict[str, float]
    mean_f1: float
    weighted_f1: float


@dataclass(frozen=True)
class ProcessBenchReport:
    """What ``summary.json`` holds. Accuracies and F1 are fractions in [0, 1]."""

    prm: str
    threshold: float
    fit_on: str | None
    splits: dict[str, SplitMetrics]
    mean_f1: float
    weighted_f1: float
    sweep: tuple[SweepRow, ...] = field(default=())
    recomputed: int = 0
    """Stored cases scored again because their content changed (or, written by an
    older prmkit, they had no content key); not part of ``summary.json``."""
    judge: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per split judged by a generative judge: cases, mean prompt and generated tokens and seconds per case,
    and the share of samples whose verdict did not parse (read from the stored cases)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "prm": self.prm,
            "threshold": self.threshold,
            "threshold_mode": "fixed" if self.fit_on is None else "fit",
            "fit_on": self.fit_on,
            "splits": {name: m.to_dict() for name, m in self.splits.items()},
            "mean_f1": self.mean_f1,
            "weighted_f1": self.weighted_f1,
            "averages": AVERAGES_NOTE,
        }
        if self.judge:
            out["judge"] = self.judge
        if self.sweep:
            out["sweep"] = [
                {
                    "threshold": r.threshold,
                    "f1": r.f1,
                    "mean_f1": r.mean_f1,
                    "weighted_f1": r.weighted_f1,
                }
                for r in self.sweep
            ]
        return out


def run_processbench(
    scorer: Scorer,
    splits: Mapping[str, str | os.PathLike[str] | Sequence[ProcessBenchCase]],
    out_dir: str | os.PathLike[str],
    *,
    threshold: float = 0.5,
    fit_on: str | None = None,
    grid: Sequence[float] = (),
    sweep: Sequence[float] = (),
    batch_size: int = 8,
    progress: Progress | None = None,
) -> ProcessBenchReport:
    """Score ProcessBench splits with ``scorer``, resumably, and write ``out_dir/summary.json``.

    ``splits`` maps a split name to a data file (see :func:`prmkit.data.load_processbench`)
    or to loaded cases. ``threshold`` is used as is unless ``fit_on`` names a
    split: then the threshold maximising F1 on that split (candidates: the
    midpoints of its distinct scores, plus ``grid``) is applied to every split
    (the paper's protocol). ``sweep`` adds an F1-vs-threshold table.

    >>> import tempfile
    >>> from prmkit.scoring.arith import ArithVerifier
    >>> case = ProcessBenchCase("t-0", "?", ("2 + 2 = 4", "4 * 3 = 13"), 1)
    >>> report = run_processbench(ArithVerifier(), {"toy": [case]}, tempfile.mkdtemp())
    >>> report.splits["toy"].error_acc, report.mean_f1
    (1.0, 0.0)
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    if fit_on is not None and fit_on not in splits:
        raise ConfigError(f"fit_on={fit_on!r} is not one of the splits: {', '.join(splits)}")
    for name in splits:  # a split name becomes a file name: it must stay inside out_dir
        child_path(out_dir, name, what="split")
    out = check_output_dir(out_dir)
    data = {name: _cases(name, src) for name, src in splits.items()}  # validate everything first
    with lock_output(out, folder=True):
        return _run(scorer, data, out, threshold, fit_on, grid, sweep, batch_size, progress)


def _run(
    scorer: Scorer,
    data: dict[str, list[ProcessBenchCase]],
    out: Path,
    threshold: float,
    fit_on: str | None,
    grid: Sequence[float],
    sweep: Sequence[float],
    batch_size: int,
    progress: Progress | None,
) -> ProcessBenchReport:
    claim_dir(out, scorer.identity)
    order = sorted(data, key=lambda name: name != fit_on)
    scores: dict[str, list[list[float] | None]] = {}
    recomputed = 0
    for name in order:
        done = _score_split(
            scorer, name, data[name], out / f"{name}.jsonl", threshold, batch_size, progress
        )
        scores[name] = done.scores
        recomputed += done.changed + done.unkeyed
    labels = {name: [c.label for c in cases] for name, cases in data.items()}
    tau = (
        threshold
        if fit_on is None
        else fit_threshold(labels[fit_on], scores[fit_on], grid, threshold)[0]
    )
    metrics = {name: metrics_at_thresholds(labels[name], scores[name], [tau])[0] for name in data}
    rows = []
    for t in sweep:
        at = {name: metrics_at_thresholds(labels[name], scores[name], [t])[0] for name in data}
        rows.append(
            SweepRow(float(t), {n: m.f1 for n, m in at.items()}, mean_f1(at), weighted_f1(at))
        )
    judged = {name: _judge_stats(out / f"{name}.jsonl") for name in data}
    report = ProcessBenchReport(
        scorer.identity, tau, fit_on, metrics, mean_f1(metrics), weighted_f1(metrics), tuple(rows),
        recomputed,
        {name: stats for name, stats in judged.items() if stats},
    )
    write_json(out / "summary.json", report.to_dict())
    return report


def _cases(
    name: str, src: str | os.PathLike[str] | Sequence[ProcessBenchCase]
) -> list[ProcessBenchCase]:
    if isinstance(src, (str, os.PathLike)):
        return load_processbench(src, split=name)
    return list(src)


def _score_split(
    scorer: Scorer,
    name: str,
    cases: list[ProcessBenchCase],
    path: Path,
    threshold: float,
    batch_size: int,
    progress: Progress | None,
) -> Resumed:
    """Score the cases not yet in ``path`` (or changed since); every case's step scores come back in data order."""
    return score_resumably(
        scorer,
        cases,
        path,
        lambda case: case.solution(),
        lambda case, result: _record(name, case, result, threshold),
        lambda case: content_key(scorer.identity, asdict(case)),
        batch_size,
        None if progress is None else lambda done, total: progress(name, done, total),
    )


def _record(
    split: str, case: ProcessBenchCase, result: StepScores | ScoreFailure, threshold: float
) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": case.id, "split": split, "label": case.label}
    if isinstance(result, ScoreFailure):
        rec.update(pred=None, step_scores=None)
    else:
        rec["pred"] = predict_first_error(result.scores, threshold)
    rec.update(to_record(result))
    rec.update(
        threshold=threshold,
        generator=case.generator,
        final_answer_correct=case.final_answer_correct,
    )
    return rec


def _judge_stats(path: Path) -> dict[str, float]:
    """Mean judge tokens and seconds per case, and the unparsed share of samples, over a split's cases."""
    judged = [obj["judge"] for _, obj in read_jsonl(path) if isinstance(obj.get("judge"), dict)]
    if not judged:
        return {}
    samples = sum(len(j["verdicts"]) for j in judged)
    unparsed = sum(str(v).startswith("error:") for j in judged for v in j["verdicts"])
    return {
        "cases": len(judged),
        "prompt_tokens_per_case": sum(j["prompt_tokens"] for j in judged) / len(judged),
        "generated_tokens_per_case": sum(j["generated_tokens"] for j in judged) / len(judged),
        "seconds_per_case": sum(j["seconds"] for j in judged) / len(judged),
        "unparsed_samples": unparsed / samples if samples else 0.0,
    }
