"""``prmkit eval calibration``'s run: score a labelled stepwise file, fit on one part, report on the other."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from prmkit.data import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.evaluation.calibration import CalibrationMetrics, calibration_metrics, reliability
from prmkit.scoring import Scorer, fit_calibrator
from prmkit.scoring.calibration import save_calibrator
from prmkit.types import Solution, StepScores

__all__ = ["CalibrationReport", "LabelledSteps", "read_labelled", "run_calibration"]

Target = Literal["labels", "mc"]


@dataclass(frozen=True)
class LabelledSteps:
    """One solution of a stepwise file and the target of each step (None: unknown)."""

    solution: Solution
    targets: tuple[float | None, ...]


def read_labelled(path: str | os.PathLike[str], target: Target) -> list[LabelledSteps]:
    """Read TRL stepwise records (``prompt``, ``completions``, ``labels``, optional ``mc``); ``.gz`` is read too.

    ``target="mc"`` reads each step's Monte Carlo value, ``"labels"`` its label;
    null entries are steps without a target.
    """
    out = []
    for line, rec in read_jsonl(path):
        steps, values = rec.get("completions"), rec.get(target)
        if not isinstance(steps, list) or not steps:
            raise DataFormatError("expected a non-empty list of steps", path=str(path), line=line,
                                  field="completions")
        if not isinstance(values, list) or len(values) != len(steps):
            raise DataFormatError(f"expected one value per step ({len(steps)})", path=str(path), line=line,
                                  field=target, value=values)
        for v in values:
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1):
                raise DataFormatError("a step target must be a number in [0, 1] or null", path=str(path),
                                      line=line, field=target, value=v)
        sol = Solution(str(rec.get("prompt", "")), tuple(map(str, steps)), id=str(rec.get("id", f"line-{line}")))
        out.append(LabelledSteps(sol, tuple(None if v is None else float(v) for v in values)))
    return out


@dataclass(frozen=True)
class CalibrationReport:
    """Metrics on the held-out part before and (with a calibrator) after calibration."""

    prm: str
    target: Target
    fit: str
    n_fit: int
    """Solutions the calibrator was fitted on."""
    n_eval: int
    """Solutions the metrics are computed on."""
    n_failed: int
    """Solutions the PRM could not score (left out of both parts)."""
    before: CalibrationMetrics
    after: CalibrationMetrics | None
    calibrator: dict[str, Any] | None
    reliability: dict[str, list[dict[str, Any]]] = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """Everything, as ``summary.json`` holds it."""
        return {
            "prm": self.prm, "target": self.target, "fit": self.fit, "n_fit": self.n_fit,
            "n_eval": self.n_eval, "n_failed": self.n_failed, "before": self.before.to_json(),
            "after": None if self.after is None else self.after.to_json(), "calibrator": self.calibrator,
            "reliability": self.reliability,
        }


def _flat(items: Sequence[tuple[LabelledSteps, tuple[float, ...]]]) -> tuple[list[float], list[float]]:
    scores, targets = [], []
    for item, sc in items:
        for s, t in zip(sc, item.targets, strict=True):
            if t is not None:
                scores.append(min(max(s, 0.0), 1.0))
                targets.append(t)
    return scores, targets


def run_calibration(
    scorer: Scorer,
    data: Sequence[LabelledSteps],
    out: str | os.PathLike[str],
    *,
    prm: str,
    target: Target = "labels",
    fit: str = "isotonic",
    split: float = 0.5,
    seed: int = 0,
    bins: int = 10,
    batch_size: int = 8,
    progress: Callable[[int], object] | None = None,
) -> CalibrationReport:
    """Score ``data``, fit ``fit`` on a seeded ``split`` share of its solutions, measure the rest.

    Writes ``summary.json``, ``scores.jsonl`` (per solution: part, raw and
    calibrated step scores, targets) and ``calibrator.json`` into ``out``.
    Scores outside [0, 1] are clipped into it.
    """
    scored: list[tuple[LabelledSteps, tuple[float, ...]]] = []
    failed = 0
    for at in range(0, len(data), batch_size):
        chunk = data[at : at + batch_size]
        for item, res in zip(chunk, scorer.score([d.solution for d in chunk]), strict=True):
            if isinstance(res, StepScores):
                scored.append((item, res.scores))
            else:
                failed += 1
        if progress is not None:
            progress(len(chunk))
    perm = np.random.default_rng(seed).permutation(len(scored))
    n_fit = round(split * len(scored)) if fit != "none" else 0
    is_fit = np.zeros(len(scored), dtype=bool)
    is_fit[perm[:n_fit]] = True
    fit_part = [x for x, f in zip(scored, is_fit, strict=True) if f]
    eval_part = [x for x, f in zip(scored, is_fit, strict=True) if not f]
    s_eval, t_eval = _flat(eval_part)
    if not s_eval:
        raise DataFormatError("no scored step with a target in the evaluation part", field=target)
    before = calibration_metrics(s_eval, t_eval, bins)
    rel = {"before": [vars(b) for b in reliability(s_eval, t_eval, bins)]}
    after = cal = None
    if fit != "none":
        s_fit, t_fit = _flat(fit_part)
        if not s_fit:
            raise DataFormatError("no scored step with a target in the fitting part", field=target)
        cal = fit_calibrator(fit, s_fit, t_fit)
        c_eval = cal.apply(s_eval)
        after = calibration_metrics(c_eval, t_eval, bins)
        rel["after"] = [vars(b) for b in reliability(c_eval, t_eval, bins)]
    report = CalibrationReport(prm, target, fit, len(fit_part), len(eval_part), failed, before, after,
                               None if cal is None else cal.to_json(), rel)
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "summary.json").write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    if cal is not None:
        save_calibrator(cal, outdir / "calibrator.json")
    with open(outdir / "scores.jsonl", "w", encoding="utf-8") as fh:
        for (item, sc), f in zip(scored, is_fit, strict=True):
            row = {"id": item.solution.id, "part": "fit" if f else "eval", "scores": list(sc),
                   "calibrated": None if cal is None else cal.apply(sc).tolist(), target: list(item.targets)}
            fh.write(json.dumps(row) + "\n")
    return report
