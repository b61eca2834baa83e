"""``prmkit score``: score every step of the solutions in a JSON Lines file, resumably.

Input: one object per line with ``problem`` (str), ``steps`` (list of str) and
optionally ``id``; other fields are carried through. Output: the input object
plus ``step_scores`` (and ``tokens``) or ``failure``. A record without ``id``
gets ``line-<n>``. Re-running with the same output skips the ids already there.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data._io import JsonlAppender, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.scoring import Scorer, check_scores
from prmkit.scoring.config import ScoreFileConfig
from prmkit.types import ScoreFailure, Solution

__all__ = ["ScoreFileStats", "add_parser", "score_file"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    problem: str
    steps: list[str]
    id: str | int | None = None


@dataclass(frozen=True)
class ScoreFileStats:
    scored: int
    failed: int
    skipped: int


def add_parser(subparsers: Any) -> None:
    """Register ``score`` on the top-level subparsers."""
    p = subparsers.add_parser(
        "score",
        help="score every step of solutions in a JSONL file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, ScoreFileConfig)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    cfg = config_from_args(ScoreFileConfig, args)
    records = read_inputs(cfg.input)  # validate the whole file before loading a model
    scorer = cfg.scorer.load()
    with tqdm(total=len(records), desc="score", unit="sol", file=sys.stderr) as bar:
        stats = score_file(
            scorer, records, cfg.output, batch_size=cfg.batch_size, progress=bar.update
        )
    print(
        f"scored {stats.scored} ({stats.failed} failed), skipped {stats.skipped} already in {cfg.output}",
        file=sys.stderr,
    )
    return 0


def read_inputs(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every input record, validated, with ``id`` filled in (``line-<n>`` when absent)."""
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, obj in read_jsonl(path):
        try:
            rec = _Input.model_validate(obj)
        except ValidationError as e:
            err = e.errors()[0]
            loc = [str(x) for x in err["loc"]]
            field = loc[0] + "".join(f"[{x}]" for x in loc[1:]) if loc else None
            value = None if err["type"] == "missing" else err.get("input")
            raise DataFormatError(
                err["msg"][0].lower() + err["msg"][1:],
                path=str(path),
                line=line,
                field=field,
                value=value,
            ) from None
        case_id = str(rec.id) if rec.id is not None else f"line-{line}"
        if case_id in seen:
            raise DataFormatError(
                f"duplicate id (first on line {seen[case_id]})",
                path=str(path),
                line=line,
                field="id",
                value=case_id,
            )
        seen[case_id] = line
        out.append({**obj, "id": case_id})
    return out


def score_file(
    scorer: Scorer,
    records: list[dict[str, Any]],
    output: str | os.PathLike[str],
    *,
    batch_size: int = 8,
    progress: Callable[[int], Any] | None = None,
) -> ScoreFileStats:
    """Score ``records`` (from :func:`read_inputs`) into ``output``, skipping ids already there."""
    scored = failed = 0
    with JsonlAppender(output) as sink:
        done = {obj.get("id") for _, obj in read_jsonl(output)}
        pending = [r for r in records if r["id"] not in done]
        if progress is not None:
            progress(len(records) - len(pending))
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            sols = [Solution(r["problem"], tuple(r["steps"]), r["id"]) for r in batch]
            results = scorer.score(sols)
            if len(results) != len(sols):
                raise AssertionError(
                    f"scorer returned {len(results)} results for {len(sols)} solutions"
                )
            for rec, sol, result in zip(batch, sols, results, strict=True):
                checked = check_scores(sol, result)
                if isinstance(checked, ScoreFailure):
                    failed += 1
                    sink.write(
                        {**rec, "failure": {"reason": checked.reason, "detail": checked.detail}}
                    )
                else:
                    sink.write(
                        {**rec, "step_scores": list(checked.scores), "tokens": checked.tokens}
                    )
                scored += 1
            if progress is not None:
                progress(len(batch))
    return ScoreFileStats(scored=scored, failed=failed, skipped=len(records) - len(pending))
