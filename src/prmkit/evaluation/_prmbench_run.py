"""The resumable PRMBench runner: score every case once, append results, summarise.

Layout of ``out_dir``::

    run.json          the PRM identity the results belong to
    cases.jsonl       one object per case, appended as cases are scored
    summary.json      PRMScore overall, per category and per group; the threshold

A killed run is restarted with the same call and scores only the cases not in
``cases.jsonl`` under the same content key (the case's fields, the PRM and
``strip_numbers``): a case whose steps or error steps changed is scored again
(``PRMBenchReport.recomputed``). One run at a time holds ``out_dir`` (a lock). The ``validity_labels`` stored with a case are its step
predictions at the ``threshold`` stored next to it; the summary always
recomputes them from the stored ``step_scores`` at the final threshold (fixed,
or fitted on one pool).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prmkit.data import check_output_dir, content_key, lock_output
from prmkit.data.prmbench import PRMBenchCase, load_prmbench
from prmkit.errors import ConfigError
from prmkit.evaluation._prmbench_metrics import (
    PRMBENCH_GROUPS,
    Confusion,
    confusion_at_thresholds,
    prmscore,
    ratio,
)
from prmkit.evaluation._processbench_thresholds import candidate_thresholds
from prmkit.evaluation._run_files import Resumed, claim_dir, score_resumably, write_json
from prmkit.scoring import Scorer
from prmkit.types import ScoreFailure, StepScores, to_record

__all__ = ["OVERALL", "PRMBenchReport", "PRMBenchSweepRow", "PoolResult", "run_prmbench"]

OVERALL = "overall"
"""The pool of every case but the unmodified ``correct`` copies: what the overall PRMScore is computed on."""

Scores = Sequence[float] | None


@dataclass(frozen=True)
class PoolResult:
    """PRMBench numbers of one pool of cases (a category, or all of them) at one threshold.

    ``prmscore`` is None for the ``correct`` copies, which are not a PRMBench
    category. ``first_error_acc`` is the fraction of cases whose first wrong
    step is predicted wrong (-1: no such case).
    """

    n: int
    n_failed: int
    counts: Confusion
    prmscore: float | None
    first_error_acc: float

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "n_failed": self.n_failed, "prmscore": self.prmscore,
                "first_error_acc": self.first_error_acc, **self.counts.to_dict()}


@dataclass(frozen=True)
class PRMBenchSweepRow:
    """PRMScore overall and per category at one threshold."""

    threshold: float
    prmscore: float
    categories: dict[str, float | None]


@dataclass(frozen=True)
class PRMBenchReport:
    """What ``summary.json`` holds. Ratios are fractions in [0, 1], -1 where undefined."""

    prm: str
    threshold: float
    fit_on: str | None
    overall: PoolResult
    categories: dict[str, PoolResult]
    groups: dict[str, float]
    sweep: tuple[PRMBenchSweepRow, ...] = field(default=())
    recomputed: int = 0
    """Stored cases scored again because their content changed (or had no content key)."""

    @property
    def prmscore(self) -> float:
        """The overall PRMScore (pooled over every modified case)."""
        assert self.overall.prmscore is not None
        return self.overall.prmscore

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "prm": self.prm,
            "threshold": self.threshold,
            "threshold_mode": "fixed" if self.fit_on is None else "fit",
            "fit_on": self.fit_on,
            "prmscore": self.prmscore,
            "overall": self.overall.to_dict(),
            "categories": {name: r.to_dict() for name, r in self.categories.items()},
            "groups": self.groups,
        }
        if self.sweep:
            out["sweep"] = [{"threshold": r.threshold, "prmscore": r.prmscore, "categories": r.categories}
                            for r in self.sweep]
        return out


def run_prmbench(
    scorer: Scorer,
    data: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Sequence[PRMBenchCase],
    out_dir: str | os.PathLike[str],
    *,
    threshold: float = 0.5,
    fit_on: str | None = None,
    grid: Sequence[float] = (),
    sweep: Sequence[float] = (),
    strip_numbers: bool = True,
    batch_size: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> PRMBenchReport:
    """Score PRMBench cases with ``scorer``, resumably, and write ``out_dir/summary.json``.

    ``data`` is PRMBench files (see :func:`prmkit.data.load_prmbench`) or loaded
    cases. A step is predicted right iff its score is above ``threshold``,
    unless ``fit_on`` names a category (or ``overall``): then the threshold with
    the best PRMScore on that pool (candidates: the midpoints of its distinct
    scores, plus ``grid``) is used everywhere; fitting on the evaluated data
    itself is optimistic. ``sweep`` adds a PRMScore-vs-threshold table.
    ``strip_numbers`` removes leading step numbers before scoring.

    >>> import tempfile
    >>> from prmkit.scoring.arith import ArithVerifier
    >>> case = PRMBenchCase("circular_t", "?", ("1. 2 + 2 = 4", "2. 4 * 3 = 13"), (2,), "circular")
    >>> report = run_prmbench(ArithVerifier(), [case], tempfile.mkdtemp())
    >>> report.prmscore, report.categories["circular"].counts
    (1.0, Confusion(tp=1, fp=0, tn=1, fn=0))
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    cases = _cases(data)
    categories = list(dict.fromkeys(c.classification for c in cases))
    if fit_on is not None and fit_on not in [OVERALL, *categories]:
        raise ConfigError(f"fit_on={fit_on!r} is not one of: {', '.join([OVERALL, *categories])}")
    out = check_output_dir(out_dir)
    with lock_output(out, folder=True):
        claim_dir(out, scorer.identity)
        done = score_resumably(
            scorer,
            cases,
            out / "cases.jsonl",
            lambda case: case.solution(strip_numbers),
            lambda case, result: _record(case, result, threshold),
            lambda case: content_key(scorer.identity, asdict(case), {"strip_numbers": strip_numbers}),
            batch_size,
            progress,
        )
        return _report(scorer, cases, categories, done, out, threshold, fit_on, grid, sweep)


def _report(
    scorer: Scorer,
    cases: Sequence[PRMBenchCase],
    categories: Sequence[str],
    done: Resumed,
    out: Path,
    threshold: float,
    fit_on: str | None,
    grid: Sequence[float],
    sweep: Sequence[float],
) -> PRMBenchReport:
    scores = done.scores
    pools = {OVERALL: [i for i, c in enumerate(cases) if c.classification != "correct"]}
    pools.update({name: [i for i, c in enumerate(cases) if c.classification == name] for name in categories})
    tau = threshold
    if fit_on is not None:
        tau = _fit(cases, scores, pools[fit_on], fit_on, grid, threshold)
    results = {name: _pool_result(name, cases, scores, idx, tau) for name, idx in pools.items()}
    overall = results.pop(OVERALL)
    rows = tuple(
        PRMBenchSweepRow(
            float(t),
            prmscore(_counts(cases, scores, pools[OVERALL], t)),
            {n: _score(n, _counts(cases, scores, pools[n], t)) for n in categories},
        )
        for t in sweep
    )
    report = PRMBenchReport(scorer.identity, tau, fit_on, overall, results, _groups(results), rows,
                            done.changed + done.unkeyed)
    write_json(out / "summary.json", report.to_dict())
    return report


def _cases(
    data: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Sequence[PRMBenchCase],
) -> list[PRMBenchCase]:
    items = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    if items and all(isinstance(x, PRMBenchCase) for x in items):
        return items  # type: ignore[return-value]
    return load_prmbench(items)  # type: ignore[arg-type]


def _score(category: str, counts: Confusion) -> float | None:
    return None if category == "correct" else prmscore(counts, category)


def _counts(cases: Sequence[PRMBenchCase], scores: Sequence[Scores], idx: Sequence[int], tau: float) -> Confusion:
    return confusion_at_thresholds([(scores[i], cases[i].error_steps) for i in idx], [tau])[0]


def _fit(
    cases: Sequence[PRMBenchCase], scores: Sequence[Scores], idx: Sequence[int], pool: str,
    grid: Sequence[float], default: float,
) -> float:
    """The candidate threshold with the best PRMScore on the pool (ties: the smallest); ``default`` if none."""
    candidates = candidate_thresholds([scores[i] for i in idx], grid) or [default]
    counts = confusion_at_thresholds([(scores[i], cases[i].error_steps) for i in idx], candidates)
    category = None if pool == OVERALL else pool
    best = max(range(len(candidates)), key=lambda k: (prmscore(counts[k], category), -candidates[k]))
    return candidates[best]


def _pool_result(
    name: str, cases: Sequence[PRMBenchCase], scores: Sequence[Scores], idx: Sequence[int], tau: float
) -> PoolResult:
    first_hits = first_total = 0
    for i in idx:
        s = scores[i]
        first = min(cases[i].error_steps, default=0) - 1
        if s is not None and 0 <= first < len(s):
            first_total += 1
            first_hits += not s[first] > tau
    counts = _counts(cases, scores, idx, tau)
    return PoolResult(
        n=len(idx),
        n_failed=sum(scores[i] is None for i in idx),
        counts=counts,
        prmscore=prmscore(counts) if name == OVERALL else _score(name, counts),
        first_error_acc=ratio(first_hits, first_total),
    )


def _groups(results: dict[str, PoolResult]) -> dict[str, float]:
    """The mean PRMScore of each group whose categories were all evaluated."""
    out = {}
    for group, members in PRMBENCH_GROUPS.items():
        got = [results[m].prmscore for m in members if m in results]
        if len(got) == len(members):
            out[group] = sum(s for s in got if s is not None) / len(members)
    return out


def _record(case: PRMBenchCase, result: StepScores | ScoreFailure, threshold: float) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": case.id, "classification": case.classification,
                           "error_steps": list(case.error_steps)}
    if isinstance(result, ScoreFailure):
        rec.update(validity_labels=None, step_scores=None)
    else:
        rec["validity_labels"] = [s > threshold for s in result.scores]
    rec.update(to_record(result))
    rec.update(threshold=threshold, source=case.source)
    return rec
