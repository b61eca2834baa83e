"""Scoring a JSON Lines file of solutions, resumably: what ``prmkit score`` runs.

Input: one object per line with ``problem`` (str), ``steps`` (list of str) and
optionally ``id``; other fields are carried through. Output: the input object
plus the result's record (:func:`prmkit.types.to_record`: ``step_scores`` and
``tokens``, or ``failure``). A record without ``id`` gets ``line-<n>``.
Re-running with the same output skips the ids already there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from prmkit.data import JsonlAppender, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.scoring._backend import Scorer, check_batch
from prmkit.types import ScoreFailure, Solution, to_record

__all__ = ["ScoreFileStats", "read_score_inputs", "score_file"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    problem: str
    steps: list[str]
    id: str | int | None = None


@dataclass(frozen=True)
class ScoreFileStats:
    """What :func:`score_file` did: solutions scored (``failed`` of them with a failure), and skipped."""

    scored: int
    failed: int
    skipped: int


def read_score_inputs(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every input record of ``path``, validated, with ``id`` filled in (``line-<n>`` when absent).

    A bad record is a :class:`~prmkit.errors.DataFormatError` naming the file, line and field.
    """
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
    """Score ``records`` (from :func:`read_score_inputs`) into ``output``, skipping ids already there.

    ``progress(n)`` is called with the number of records done (skipped ones first, then each batch).

    >>> import os, tempfile
    >>> from prmkit.scoring import load_prm
    >>> out = os.path.join(tempfile.mkdtemp(), "scored.jsonl")
    >>> score_file(load_prm("arith"), [{"id": "a", "problem": "?", "steps": ["2 + 2 = 5"]}], out)
    ScoreFileStats(scored=1, failed=0, skipped=0)
    >>> open(out).read()
    '{"id": "a", "problem": "?", "steps": ["2 + 2 = 5"], "step_scores": [0.0], "tokens": 0}\\n'
    """
    scored = failed = 0
    with JsonlAppender(output) as sink:
        done = {obj.get("id") for _, obj in read_jsonl(output)}
        pending = [r for r in records if r["id"] not in done]
        if progress is not None:
            progress(len(records) - len(pending))
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            sols = [Solution(r["problem"], tuple(r["steps"]), r["id"]) for r in batch]
            for rec, result in zip(batch, check_batch(sols, scorer.score(sols)), strict=True):
                failed += isinstance(result, ScoreFailure)
                sink.write({**rec, **to_record(result)})
                scored += 1
            if progress is not None:
                progress(len(batch))
    return ScoreFileStats(scored=scored, failed=failed, skipped=len(records) - len(pending))
