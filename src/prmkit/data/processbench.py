"""Reading ProcessBench splits: the official JSON arrays, or JSON Lines with the same records."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prmkit.data._io import read_json_records
from prmkit.errors import DataFormatError
from prmkit.types import Solution

__all__ = ["ProcessBenchCase", "load_processbench"]


@dataclass(frozen=True)
class ProcessBenchCase:
    """One ProcessBench case: a solution and the index of its earliest wrong step (-1: none).

    >>> c = ProcessBenchCase("gsm8k-0", "1+1?", ("1+1=3",), 0)
    >>> c.solution().steps, c.has_error
    (('1+1=3',), True)
    """

    id: str
    problem: str
    steps: tuple[str, ...]
    label: int
    generator: str | None = None
    final_answer_correct: bool | None = None
    split: str = ""

    @property
    def has_error(self) -> bool:
        return self.label != -1

    def solution(self) -> Solution:
        """The case as a :class:`~prmkit.types.Solution`; steps exactly as given."""
        return Solution(self.problem, self.steps, self.id)


class _Record(BaseModel):
    """The official record; no other field is allowed (``steps-merge`` is an extra copy some mirrors add)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    id: str
    generator: str
    problem: str
    steps: list[str]
    final_answer_correct: bool
    label: int
    steps_merge: Any = Field(default=None, alias="steps-merge")


def load_processbench(
    path: str | os.PathLike[str], split: str | None = None
) -> list[ProcessBenchCase]:
    """Read one ProcessBench split (``gsm8k``, ``math``, ``olympiadbench``, ``omnimath``).

    The file is the official JSON array or JSON Lines with the same records.
    Every record is validated; an error names the file, the record (JSON
    array, 0-based) or line (JSON Lines, 1-based), the field and the value.
    ``split`` defaults to the file name without its extension.

    >>> import json, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "toy.json")
    >>> rec = {"id": "toy-0", "generator": "g", "problem": "1+1?", "steps": ["1+1=2"],
    ...        "final_answer_correct": True, "label": -1}
    >>> _ = open(p, "w").write(json.dumps([rec]))
    >>> [(c.split, c.id, c.label) for c in load_processbench(p)]
    [('toy', 'toy-0', -1)]
    """
    p = str(path)
    name = split if split is not None else Path(p).name.split(".")[0]
    is_array = _starts_with_bracket(p)
    cases: list[ProcessBenchCase] = []
    seen: dict[str, int] = {}
    for pos, obj in read_json_records(p):
        where: dict[str, Any] = {"path": p, "record": pos} if is_array else {"path": p, "line": pos}
        rec = _validate(obj, where)
        if rec.id in seen:
            raise DataFormatError(
                f"duplicate id (first seen at position {seen[rec.id]})",
                field="id",
                value=rec.id,
                **where,
            )
        seen[rec.id] = pos
        cases.append(
            ProcessBenchCase(
                id=rec.id,
                problem=rec.problem,
                steps=tuple(rec.steps),
                label=rec.label,
                generator=rec.generator,
                final_answer_correct=rec.final_answer_correct,
                split=name,
            )
        )
    if not cases:
        raise DataFormatError("no records", path=p)
    return cases


def _validate(obj: dict[str, Any], where: dict[str, Any]) -> _Record:
    try:
        rec = _Record.model_validate(obj)
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(x) for x in err["loc"]]
        field = loc[0] + "".join(f"[{x}]" for x in loc[1:]) if loc else None
        value = (
            None
            if err["type"] in ("missing", "extra_forbidden") and not loc[1:]
            else err.get("input")
        )
        if err["type"] == "extra_forbidden":
            msg = "unknown field (allowed: id, generator, problem, steps, final_answer_correct, label, steps-merge)"
        else:
            msg = err["msg"][0].lower() + err["msg"][1:]
        more = len(e.errors()) - 1
        raise DataFormatError(
            msg + (f" ({more} more problem(s) in this record)" if more else ""),
            field=field,
            value=value,
            **where,
        ) from None
    if not rec.steps:
        raise DataFormatError("steps is empty", field="steps", value=rec.steps, **where)
    if not -1 <= rec.label < len(rec.steps):
        raise DataFormatError(
            f"label must be -1 or a step index in [0, {len(rec.steps)})",
            field="label",
            value=rec.label,
            **where,
        )
    return rec


def _starts_with_bracket(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            while chunk := fh.read(4096):
                stripped = chunk.lstrip()
                if stripped:
                    return stripped[0] == "["
    except (FileNotFoundError, UnicodeDecodeError):
        return False
    return False
