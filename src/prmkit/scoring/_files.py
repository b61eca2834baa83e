"""Scoring a JSON Lines file of solutions, resumably: what ``prmkit score`` runs.

Input: one object per line with ``problem`` (str), ``steps`` (list of str) and
optionally ``id``; other fields are carried through. Output: the input object
plus the result's record (:func:`prmkit.types.to_record`: ``step_scores`` and
``tokens``, or ``failure``). A record without ``id`` gets ``line-<n>``.
Re-running with the same output skips the records already there whose
content key (the input record and the scorer's identity) still matches; a
record whose input changed under the same id, or that was scored by another
PRM, or that has no key (written by an older prmkit) is scored again, and its
old line is dropped. One run at a time holds the output (``<output>.lock``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from prmkit.data import (
    CONTENT_KEY,
    JsonlAppender,
    content_key,
    lock_output,
    read_jsonl,
    rewrite_jsonl,
)
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
    """What :func:`score_file` did: solutions scored (``failed`` of them with a failure), skipped
    (already in the output), and ``recomputed`` (scored again: their stored line was stale)."""

    scored: int
    failed: int
    skipped: int
    recomputed: int = 0


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
    """Score ``records`` (from :func:`read_score_inputs`) into ``output``, skipping those already there.

    ``progress(n)`` is called with the number of records done (skipped ones first, then each batch).

    >>> import os, tempfile
    >>> from prmkit.scoring import load_prm
    >>> out = os.path.join(tempfile.mkdtemp(), "scored.jsonl")
    >>> score_file(load_prm("arith"), [{"id": "a", "problem": "?", "steps": ["2 + 2 = 5"]}], out)
    ScoreFileStats(scored=1, failed=0, skipped=0, recomputed=0)
    >>> open(out).read()
    '{"id": "a", "problem": "?", "steps": ["2 + 2 = 5"], "step_scores": [0.0], "tokens": 0, "content_key": "dc3cef35dc2508e4"}\\n'
    >>> score_file(load_prm("arith"), [{"id": "a", "problem": "?", "steps": ["2 + 2 = 4"]}], out)
    ScoreFileStats(scored=1, failed=0, skipped=0, recomputed=1)
    """
    scored = failed = 0
    keys = {r["id"]: content_key(scorer.identity, r) for r in records}
    with lock_output(output, folder=False):
        JsonlAppender(output).close()  # drops a half-written last line left by a killed run
        kept: list[dict[str, Any]] = []
        done: set[Any] = set()
        stale: set[Any] = set()
        lines = 0
        for _, obj in read_jsonl(output):
            lines += 1
            case_id = obj.get("id")
            if case_id in keys and case_id in done:
                continue  # a duplicate left by a race before locks
            if case_id in keys and obj.get(CONTENT_KEY) != keys[case_id]:
                stale.add(case_id)  # its input or the PRM changed, or it has no key: scored again
                continue
            kept.append(obj)  # lines of ids not in this input are kept as they are
            done.add(case_id)
        recomputed = len(stale - done)
        if lines != len(kept):
            rewrite_jsonl(output, kept)
        with JsonlAppender(output) as sink:
            pending = [r for r in records if r["id"] not in done]
            if progress is not None:
                progress(len(records) - len(pending))
            for start in range(0, len(pending), batch_size):
                batch = pending[start : start + batch_size]
                sols = [Solution(r["problem"], tuple(r["steps"]), r["id"]) for r in batch]
                for rec, result in zip(batch, check_batch(sols, scorer.score(sols)), strict=True):
                    failed += isinstance(result, ScoreFailure)
                    sink.write({**rec, **to_record(result), CONTENT_KEY: keys[rec["id"]]})
                    scored += 1
                if progress is not None:
                    progress(len(batch))
    return ScoreFileStats(
        scored=scored, failed=failed, skipped=len(records) - len(pending), recomputed=recomputed
    )
