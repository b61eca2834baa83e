"""The files of a resumable benchmark run: the PRM manifest, per-case JSON Lines, the summary.

A run directory belongs to one PRM (``run.json``). Cases are scored in batches
and each result is appended as one JSON line as soon as it comes back, with
the content key of what produced it (the case's fields, the PRM, the options
that change scores). A rerun reads the lines back (a half-written last line is
dropped), keeps a line only if its key matches the case as it is now, and
scores the rest: a case whose steps or label changed under the same id is
recomputed, and so is a line written before keys existed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from prmkit.data import CONTENT_KEY, JsonlAppender, json_utf8, read_jsonl, rewrite_jsonl
from prmkit.errors import ConfigError, DataFormatError
from prmkit.scoring import Scorer, check_batch
from prmkit.types import ScoreFailure, Solution, StepScores, from_record

__all__ = ["Case", "Resumed", "claim_dir", "fsync", "score_resumably", "write_json"]


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
        try:
            stored = json.loads(manifest.read_text(encoding="utf-8")).get("prm")
        except (ValueError, AttributeError) as e:  # not JSON, not UTF-8, not an object
            raise DataFormatError(
                f"damaged run manifest ({e}); restore it as {{\"prm\": \"<the PRM>\"}} or use a fresh output directory",
                path=str(manifest),
            ) from None
        if stored != identity:
            raise ConfigError(
                f"{out} holds results of PRM {stored!r}, not {identity!r}; use another output directory"
            )
        return
    write_json(manifest, {"prm": identity})


@dataclass(frozen=True)
class Resumed:
    """What a resumable scoring pass did: every case's step scores (None: failed), in data order;
    how many cases were read back, and how many stored lines were recomputed because their
    case changed since (``changed``) or they carry no content key (``unkeyed``)."""

    scores: list[list[float] | None]
    reused: int
    changed: int
    unkeyed: int


def score_resumably(
    scorer: Scorer,
    cases: Sequence[Case],
    path: Path,
    solution: Callable[[Any], Solution],
    record: Callable[[Any, StepScores | ScoreFailure], dict[str, Any]],
    key: Callable[[Any], str],
    batch_size: int,
    progress: Callable[[int, int], None] | None = None,
) -> Resumed:
    """Score the cases not yet in ``path`` (or stored under another content key).

    ``solution(case)`` is what the scorer reads; ``record(case, result)`` is the
    line written for it (with ``id`` and the result's record; the content key
    ``key(case)`` is added). Stale lines are dropped from ``path`` (rewritten
    atomically) before the new ones are appended. ``progress(done, total)`` is
    called first and after every batch.
    """
    by_id = {c.id: c for c in cases}
    keys = {c.id: key(c) for c in cases}
    JsonlAppender(path).close()  # drops a half-written last line left by a killed run
    done, kept, changed, unkeyed, duplicates = _read_done(path, by_id, keys)
    if changed or unkeyed or duplicates:
        rewrite_jsonl(path, kept)
    with JsonlAppender(path, fsync=False) as sink:  # flushed per case, fsynced per batch
        pending = [c for c in cases if c.id not in done]
        if progress is not None:
            progress(len(cases) - len(pending), len(cases))
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            sols = [solution(c) for c in batch]
            for case, result in zip(batch, check_batch(sols, scorer.score(sols)), strict=True):
                rec = {**record(case, result), CONTENT_KEY: keys[case.id]}
                sink.write(rec)
                done[case.id] = rec["step_scores"]
            fsync(path)
            if progress is not None:
                progress(len(cases) - len(pending) + start + len(batch), len(cases))
    return Resumed([done[c.id] for c in cases], len(cases) - len(pending), changed, unkeyed)


def _read_done(
    path: Path, by_id: Mapping[str | None, Case], keys: Mapping[str | None, str]
) -> tuple[dict[str | None, list[float] | None], list[dict[str, Any]], int, int, int]:
    """The stored scores still valid, the lines that hold them, and the counts of changed, unkeyed
    and duplicate lines (a duplicate of a valid line is dropped; it adds nothing)."""
    done: dict[str | None, list[float] | None] = {}
    kept: list[dict[str, Any]] = []
    changed = unkeyed = duplicates = 0
    if not path.exists():
        return done, kept, 0, 0, 0
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
        if case_id in done:  # two writers once raced (before locks): keep the first valid line
            duplicates += 1
            continue
        stored_key = obj.get(CONTENT_KEY)
        if stored_key is None:
            unkeyed += 1
            continue
        if stored_key != keys[case_id]:
            changed += 1
            continue
        try:
            result = from_record(obj, id=case_id)
        except ValueError as e:
            raise DataFormatError(
                f"neither step_scores nor failure ({e})", field="step_scores", **where
            ) from None
        if isinstance(result, StepScores) and len(result.scores) != len(by_id[case_id].steps):
            raise DataFormatError(
                f"expected {len(by_id[case_id].steps)} step scores for this content key (damaged file?)",
                field="step_scores",
                value=obj["step_scores"],
                **where,
            )
        done[case_id] = list(result.scores) if isinstance(result, StepScores) else None
        kept.append(obj)
    return done, kept, changed, unkeyed, duplicates


def fsync(path: Path) -> None:
    with open(path, "ab") as fh:
        os.fsync(fh.fileno())


def write_json(path: Path, obj: Mapping[str, Any]) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(json_utf8(obj, indent=2) + b"\n")
    os.replace(tmp, path)
