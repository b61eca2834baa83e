"""The append-only store behind a resumable job.

A job directory holds these files:

``job.json``
    The job's fingerprint (the client's configuration: method, seed, sampling,
    grader, policy). A restart with a different fingerprint is refused: its
    rollouts would not be the ones the stored results were made from.
``rollouts.jsonl``
    One line per finished rollout batch: the task id, the prefix key, and the
    graded rollouts with their seeds. Written (and fsynced) as each batch
    finishes, so a killed job loses only the batch in flight.
``scores.jsonl``
    One line per prefix the job's scorer scored (plans that ask for step
    scores: a test-time search): the task id, the prefix key, and the step
    scores with the tokens the scorer computed, or the failure. A resumed job
    reads the scores its decisions were made on.
``tasks.jsonl``
    One line per task the job was given: its id and the content key of what
    the client made of it (problem, solution steps, reference). A rerun whose
    task has the same id but other content is refused: its stored rollouts and
    result belong to the old task.
``.prmkit.lock``
    Held (``flock``) by the one process writing the job; a second is refused.
``results.jsonl`` (the name is the client's: labelling jobs write ``labels.jsonl``)
    One line per finished task: ``{"task": id, <key>: [records]}``, the
    client's JSON records of its result under the client's key, plus
    ``"failed": {"reason", "detail"}`` for a task that could not be run.

Reading tolerates a half-written last line (a kill mid-write) and drops it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from prmkit.data import JsonlAppender, lock_output, read_jsonl
from prmkit.errors import ConfigError, DataFormatError
from prmkit.runtime._plans import Probe, Rollout
from prmkit.types import ScoreFailure, ScoreResult, StepScores

__all__ = ["RolloutStore"]


class RolloutStore:
    """Rollouts and finished results of one job; rollouts keyed by (task id, prefix key, rollout index).

    >>> import tempfile
    >>> st = RolloutStore(tempfile.mkdtemp(), fingerprint={"seed": 0})
    >>> st.missing("t1", Probe((), 0, 2))
    [0, 1]
    >>> st.add("t1", Probe((), 0, 2).key, [(Rollout(0, True, 4, "x"), 11), (Rollout(1, False, 4, "y"), 12)])
    >>> [r.correct for r in st.get("t1", Probe((), 0, 2))]
    [True, False]
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        fingerprint: Mapping[str, Any] | None,
        results_file: str = "results.jsonl",
        results_key: str = "results",
    ) -> None:
        """Open (creating if needed) the job in ``directory``; ``fingerprint=None`` opens it read-only.

        Finished tasks are recorded in ``results_file``, their records under ``results_key``.
        """
        self.directory = Path(directory)
        self.results_file = results_file
        self.results_key = results_key
        self._rollouts: dict[tuple[str, str], dict[int, Rollout]] = {}
        self._seeds: dict[tuple[str, str, int], int] = {}
        self._results: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, dict[str, str]] = {}
        self._scores: dict[tuple[str, str], ScoreResult] = {}
        self._rollout_out: JsonlAppender | None = None
        self._result_out: JsonlAppender | None = None
        self._score_out: JsonlAppender | None = None
        self._lock: ExitStack | None = None
        if fingerprint is None:
            if not (self.directory / "rollouts.jsonl").exists():
                raise DataFormatError("no rollouts.jsonl: not a job directory", path=str(self.directory))
            self._load(repair=False)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = ExitStack()
        self._lock.enter_context(lock_output(self.directory, folder=True))
        try:
            self._check_fingerprint(dict(fingerprint))
            self._load(repair=True)
            self._rollout_out = JsonlAppender(self.directory / "rollouts.jsonl")
            self._result_out = JsonlAppender(self.directory / results_file)
            self._score_out = JsonlAppender(self.directory / "scores.jsonl")
        except BaseException:
            self.close()
            raise

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The job's configuration as recorded in ``job.json``."""
        return dict(json.loads((self.directory / "job.json").read_text(encoding="utf-8")))

    # -- fingerprint ---------------------------------------------------------------------------
    def _check_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        path = self.directory / "job.json"
        canon = json.loads(json.dumps(fingerprint, sort_keys=True))
        if path.exists():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as e:  # not JSON, not UTF-8
                raise DataFormatError(f"damaged job fingerprint ({e}); use a new directory", path=str(path)) from None
            if old != canon:
                diff = sorted(k for k in set(old) | set(canon) if old.get(k) != canon.get(k))
                raise ConfigError(
                    f"{path}: this directory holds a job with a different configuration "
                    f"(differs in: {', '.join(diff)}); use a new directory or the same settings"
                )
            return
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(canon, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def _load(self, *, repair: bool) -> None:
        if repair:
            for name in ("rollouts.jsonl", "scores.jsonl", self.results_file):
                _drop_partial_tail(self.directory / name)
        for name, read in (("rollouts.jsonl", self._read_rollouts), ("scores.jsonl", self._read_scores),
                           (self.results_file, self._read_result)):
            path, line = self.directory / name, 0
            if not path.exists():
                continue
            try:
                for at, rec in _complete_lines(path, repair):
                    line = at  # named by the error below
                    read(rec)
            except DataFormatError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as e:  # a line edited or damaged by hand
                raise DataFormatError(
                    f"damaged job record ({type(e).__name__}: {e}); use a new directory", path=str(path), line=line
                ) from None

    def _read_rollouts(self, rec: dict[str, Any]) -> None:
        slot = self._rollouts.setdefault((rec["task"], rec["prefix"]), {})
        for r in rec["rollouts"]:
            self._seeds[(rec["task"], rec["prefix"], int(r["i"]))] = int(r["seed"])
            slot[int(r["i"])] = Rollout(
                int(r["i"]), bool(r["correct"]), int(r["n_tokens"]), r["text"], r["finish"],
                int(r.get("prompt_tokens", 0)),
            )

    def _read_scores(self, rec: dict[str, Any]) -> None:
        if "failed" in rec:
            f = rec["failed"]
            self._scores[(rec["task"], rec["prefix"])] = ScoreFailure(f["reason"], f["detail"])
        else:
            self._scores[(rec["task"], rec["prefix"])] = StepScores(
                tuple(float(x) for x in rec["scores"]), int(rec["tokens"])
            )

    def _read_result(self, rec: dict[str, Any]) -> None:
        self._results[rec["task"]] = list(rec[self.results_key])
        if "failed" in rec:
            self._failures[rec["task"]] = rec["failed"]

    # -- rollouts ------------------------------------------------------------------------------
    def missing(self, task_id: str, probe: Probe) -> list[int]:
        """Rollout indices of ``probe`` not yet in the store."""
        have = self._rollouts.get((task_id, probe.key), {})
        return [i for i in probe.indices if i not in have]

    def get(self, task_id: str, probe: Probe) -> list[Rollout]:
        """The stored rollouts of ``probe``, in index order (KeyError if one is missing)."""
        have = self._rollouts[(task_id, probe.key)]
        return [have[i] for i in probe.indices]

    def seed(self, task_id: str, prefix: str, index: int) -> int | None:
        """The seed a stored rollout was sampled with (None if it is not stored)."""
        return self._seeds.get((task_id, prefix, index))

    def lookup(self, task_id: str, prefix: str, index: int) -> Rollout | None:
        """One stored rollout, or None."""
        return self._rollouts.get((task_id, prefix), {}).get(index)

    def add(self, task_id: str, prefix: str, rollouts: Iterable[tuple[Rollout, int]]) -> None:
        """Record a finished batch of ``(rollout, seed)`` for one prefix; fsynced before returning."""
        if self._rollout_out is None:
            raise PermissionError(f"{self.directory}: store opened read-only")
        items = list(rollouts)
        slot = self._rollouts.setdefault((task_id, prefix), {})
        fresh = [(r, s) for r, s in items if r.index not in slot]
        if not fresh:
            return
        self._rollout_out.write(
            {
                "task": task_id,
                "prefix": prefix,
                "rollouts": [
                    {
                        "i": r.index,
                        "seed": s,
                        "correct": r.correct,
                        "n_tokens": r.n_tokens,
                        "finish": r.finish_reason,
                        "prompt_tokens": r.prompt_tokens,
                        "text": r.text,
                    }
                    for r, s in fresh
                ],
            }
        )
        for r, seed in fresh:
            slot[r.index] = r
            self._seeds[(task_id, prefix, r.index)] = seed

    @property
    def n_rollouts(self) -> int:
        """Rollouts stored so far."""
        return sum(len(v) for v in self._rollouts.values())

    # -- step scores ---------------------------------------------------------------------------
    def scores(self, task_id: str, prefix: str) -> ScoreResult | None:
        """The stored step scores (or failure) of one prefix, or None if it was never scored."""
        return self._scores.get((task_id, prefix))

    def add_scores(self, task_id: str, prefix: str, result: ScoreResult) -> None:
        """Record the scorer's answer for one prefix; fsynced before returning.

        Scores are written with ``repr`` precision (JSON floats round-trip exactly; NaN is written
        as ``NaN``), so a resumed job reads back the very numbers its decisions were made on.
        """
        if self._score_out is None:
            raise PermissionError(f"{self.directory}: store opened read-only")
        if (task_id, prefix) in self._scores:
            return
        if isinstance(result, ScoreFailure):
            rec: dict[str, Any] = {"task": task_id, "prefix": prefix,
                                   "failed": {"reason": result.reason, "detail": result.detail}}
        else:
            rec = {"task": task_id, "prefix": prefix, "scores": list(result.scores), "tokens": result.tokens}
        self._score_out.write(rec)
        self._scores[(task_id, prefix)] = result

    # -- results -------------------------------------------------------------------------------
    def result(self, task_id: str) -> list[dict[str, Any]] | None:
        """The records of a finished task (none for a failed one), or None if it is not finished."""
        return self._results.get(task_id)

    def add_result(self, task_id: str, records: list[dict[str, Any]]) -> None:
        """Record a finished task's result as JSON records."""
        if self._result_out is None:
            raise PermissionError(f"{self.directory}: store opened read-only")
        self._result_out.write({"task": task_id, self.results_key: records})
        self._results[task_id] = records

    def add_failure(self, task_id: str, reason: str, detail: str) -> None:
        """Record a task that cannot be run (it counts as finished: a rerun does not retry it)."""
        if self._result_out is None:
            raise PermissionError(f"{self.directory}: store opened read-only")
        failed = {"reason": reason, "detail": detail}
        self._result_out.write({"task": task_id, self.results_key: [], "failed": failed})
        self._results[task_id] = []
        self._failures[task_id] = failed

    def finished(self) -> list[str]:
        """Ids of the finished (and failed) tasks, in the order they finished."""
        return list(self._results)

    def failure(self, task_id: str) -> dict[str, str] | None:
        """``{"reason", "detail"}`` of a failed task, else None."""
        return self._failures.get(task_id)

    def close(self) -> None:
        for out in (self._rollout_out, self._result_out, self._score_out):
            if out is not None:
                out.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def claim_tasks(self, keys: Mapping[str, str]) -> None:
        """Record the content key of each task (``tasks.jsonl``); refuse tasks whose content changed.

        ``keys`` maps a task id to :func:`prmkit.data.content_key` of everything
        the client's plan reads. A task stored under another key raises a
        :class:`~prmkit.errors.ConfigError` naming the directory and the ids (a
        job written before task keys existed has none, and its ids are trusted).
        """
        if self._rollout_out is None:
            raise ConfigError(f"{self.directory}: the job store is open read-only")
        path = self.directory / "tasks.jsonl"
        _drop_partial_tail(path)
        stored = {rec["task"]: rec["key"] for _, rec in read_jsonl(path)} if path.exists() else {}
        changed = sorted(t for t, k in keys.items() if t in stored and stored[t] != k)
        if changed:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            raise ConfigError(
                f"{self.directory}: {len(changed)} tasks changed since the last run under the same id "
                f"({shown}): the stored rollouts and results belong to the old ones; use a new directory "
                "or give the changed tasks new ids"
            )
        with JsonlAppender(path) as out:
            for t, k in keys.items():
                if t not in stored:
                    out.write({"task": t, "key": k})


def _complete_lines(path: Path, repaired: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of a JSONL file; read-only access skips a half-written last line instead of repairing it."""
    if repaired:
        yield from read_jsonl(path)
        return
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.endswith("\n") and line.strip():
                yield lineno, json.loads(line)


def _drop_partial_tail(path: Path) -> None:
    """Open-for-append repairs a half-written last line; do it before reading as well."""
    if path.exists():
        JsonlAppender(path).close()
