"""Fit the PRM calibration adaptive search needs, on Monte Carlo rollouts (``prmkit search-calibrate``).

Each labelled prefix of a Monte Carlo labelling job (``mc`` per step: the
fraction of its ``k`` rollouts that reached the right answer) becomes one
point: the PRM's score of the prefix (the step's score; PRMs are causal)
against ``mc * k`` successes in ``k`` trials. :meth:`Calibration.fit` makes the
monotone map and its lower bound.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prmkit.data import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.scoring import Scorer
from prmkit.search.adaptive import Calibration
from prmkit.types import Solution, StepScores

__all__ = ["calibration_points", "fit_calibration"]


def calibration_points(path: str | os.PathLike[str]) -> list[tuple[Solution, list[float], int]]:
    """(solution, Monte Carlo value per step, rollouts per prefix) of each record of a labelled JSONL file."""
    out = []
    for line, rec in read_jsonl(path):
        mc, steps = rec.get("mc"), rec.get("completions")
        k = (rec.get("extra") or {}).get("k")
        if not isinstance(mc, list) or not isinstance(steps, list) or not isinstance(k, int):
            raise DataFormatError("expected a Monte Carlo record (completions, mc, extra.k)", path=str(path),
                                  line=line)
        if len(mc) != len(steps):
            raise DataFormatError(f"{len(mc)} mc values for {len(steps)} steps", path=str(path), line=line,
                                  field="mc")
        out.append((Solution(str(rec["prompt"]), tuple(steps), id=str(rec.get("id", line))), mc, k))
    return out


def fit_calibration(points: Sequence[tuple[Solution, list[float], int]], scorer: Scorer,
                    *, batch_size: int = 8) -> Calibration:
    """Score every labelled solution once and fit the calibration on (step score, successes, trials)."""
    scores, wins, trials = [], [], []
    for at in range(0, len(points), batch_size):
        chunk = points[at : at + batch_size]
        for (_, mc, k), res in zip(chunk, scorer.score([s for s, _, _ in chunk]), strict=True):
            if not isinstance(res, StepScores):
                continue
            for s, v in zip(res.scores, mc, strict=True):
                if v is None:
                    continue
                scores.append(s)
                wins.append(round(v * k))
                trials.append(k)
    return Calibration.fit(scores, successes=wins, trials=trials)
