"""The files of a resumable benchmark run: the PRM manifest, per-case JSON Lines, the summary.

A run directory belongs to one PRM (``run.json``). Cases are scored in batches
and each result is appended as one JSON line as soon as it comes back; a
rerun reads the lines back (a half-written last line is dropped), checks them
against the data and scores only the cases not there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from prmkit.data import JsonlAppender, json_utf8, read_jsonl
from prmkit.errors import ConfigError, DataFormatError
from prmkit.scoring import Scorer, check_batch
from prmkit.types import ScoreFailure, Solution, StepScores, from_record

__all__ = ["Case", "claim_dir", "fsync", "score_resumably", "write_json"]


class Case(Protocol):
    """What a benchmark case offers the runner: an id, its steps, and itself as a solution."""

    @property
    def id(self) -> str | None: ...
    @property
    def steps(self) -> tuple[str, ...]: ...


def claim_dir(out: Path, identity: str) -> None:
    """Write ``out/run.json`` naming the PRM, or check that the one there names the same PRM."""
    manifest = out / "run.json"
    if manifest.exists():
        stored = json.loads(manifest.read_text(encoding="utf-8")).get("prm")
        if stored != identity:
            raise ConfigError(
                f"{out} holds results of PRM {stored!r}, not {identity!r}; use another output directory"
            )
        return
    write_json(manifest, {"prm": identity})


def score_resumably(
    scorer: Scorer,
    cases: Sequence[Case],
    path: Path,
    solution: Callable[[Any], Solution],
    record: Callable[[Any, StepScores | ScoreFailure], dict[str, Any]],
    batch_size: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[float] | None]:
    """Score the cases not yet in ``path``; return every case's step scores (None: failed), in data order.

    ``solution(case)`` is what the scorer reads; ``record(case, result)`` is the
    line written for it (with ``id`` and the result's record). ``progress(done,
    total)`` is called first and after every batch.
    """
    by_id = {c.id: c for c in cases}
    with JsonlAppender(path, fsync=False) as sink:  # flushed per case, fsynced per batch
        done = _read_done(path, by_id)
        pending = [c for c in cases if c.id not in done]
        if progress is not None:
            progress(len(cases) - len(pending), len(cases))
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            sols = [solution(c) for c in batch]
            for case, result in zip(batch, check_batch(sols, scorer.score(sols)), strict=True):
                rec = record(case, result)
                sink.write(rec)
                done[case.id] = rec["step_scores"]
            fsync(path)
            if progress is not None:
                progress(len(cases) - len(pending) + start + len(batch), len(cases))
    return [done[c.id] for c in cases]


def _read_done(path: Path, by_id: Mapping[str | None, Case]) -> dict[str | None, list[float] | None]:
    done: dict[str | None, list[float] | None] = {}
    for line, obj in read_jsonl(path):
        where: dict[str, Any] = {"path": str(path), "line": line}
        case_id = obj.get("id")
        if not isinstance(case_id, str) or case_id not in by_id:
            raise DataFormatError(
                "stored result for an id that is not in the data",
                field="id",
                value=case_id,
                **where,
            )
        if case_id in done:
            raise DataFormatError(
                "id stored twice; use a fresh output directory", field="id", value=case_id, **where
            )
        try:
            result = from_record(obj, id=case_id)
        except ValueError as e:
            raise DataFormatError(
                f"neither step_scores nor failure ({e})", field="step_scores", **where
            ) from None
        if isinstance(result, StepScores) and len(result.scores) != len(by_id[case_id].steps):
            raise DataFormatError(
                f"expected {len(by_id[case_id].steps)} step scores (stale results from other data?)",
                field="step_scores",
                value=obj["step_scores"],
                **where,
            )
        done[case_id] = list(result.scores) if isinstance(result, StepScores) else None
    return done


def fsync(path: Path) -> None:
    with open(path, "ab") as fh:
        os.fsync(fh.fileno())


def write_json(path: Path, obj: Mapping[str, Any]) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(json_utf8(obj, indent=2) + b"\n")
    os.replace(tmp, path)
