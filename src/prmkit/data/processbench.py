"""ProcessBench records: the official splits, and ProcessBench-style files of other solutions.

One record per solution, in a JSON array (the official files) or JSON Lines::

    {"id": "gsm8k-0", "generator": "Qwen2-7B-Instruct", "problem": "...", "steps": ["...", "..."],
     "final_answer_correct": false, "label": 1}

``label`` is the index of the earliest wrong step, -1 if none. The official
record has exactly these fields (``steps-merge``, an extra copy some mirrors
add, is allowed) and unique ids; :func:`load_processbench` reads it so by
default. ``strict=False`` reads ProcessBench-style files, such as training's
validation data: ``problem``, ``steps`` and ``label`` are required, ``id``
(string or integer), ``generator`` and ``final_answer_correct`` optional, other
fields ignored. Either way an error names the file, the record (JSON array,
0-based) or line (JSON Lines, 1-based), the field and the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prmkit.data._io import records_with_position
from prmkit.errors import DataFormatError
from prmkit.types import Solution, StepwiseExample

__all__ = ["ProcessBenchCase", "load_processbench", "parse_processbench_record"]


@dataclass(frozen=True)
class ProcessBenchCase:
    """One ProcessBench case: a solution and the index of its earliest wrong step (-1: none).

    ``id`` is None only for a ProcessBench-style record without one.

    >>> c = ProcessBenchCase("gsm8k-0", "1+1?", ("1+1=3",), 0)
    >>> c.solution().steps, c.has_error
    (('1+1=3',), True)
    >>> c.example().labels
    (0.0,)
    """

    id: str | None
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

    def example(self, after_error: Literal["truncate", "zero"] = "truncate") -> StepwiseExample:
        """The case as labelled steps; ``outcome`` is ``final_answer_correct``.

        ``after_error`` is what becomes of the steps after the first error (see
        :meth:`~prmkit.types.StepwiseExample.from_first_error`).
        """
        return StepwiseExample.from_first_error(
            self.problem, self.steps, self.label, outcome=self.final_answer_correct, after_error=after_error, id=self.id
        )


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


class _StyleRecord(BaseModel):
    """A ProcessBench-style record: the solution and its label; the rest optional, other fields ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: str | int | None = None
    generator: str | None = None
    problem: str
    steps: list[str]
    final_answer_correct: bool | None = None
    label: int


def load_processbench(
    path: str | os.PathLike[str], split: str | None = None, *, strict: bool = True
) -> list[ProcessBenchCase]:
    """Read one ProcessBench split (``gsm8k``, ``math``, ``olympiadbench``, ``omnimath``).

    The file is the official JSON array or JSON Lines with the same records.
    ``split`` defaults to the file name without its extension. With ``strict``
    (the default) every record is the official one, ids are unique and the file
    is not empty; ``strict=False`` reads ProcessBench-style records (see the
    module docstring).

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
    cases: list[ProcessBenchCase] = []
    seen: dict[str | None, int] = {}
    for where, obj in records_with_position(p):
        case = parse_processbench_record(obj, strict=strict, split=name, path=p, **where)
        if strict:
            (pos,) = where.values()
            if case.id in seen:
                raise DataFormatError(
                    f"duplicate id (first seen at position {seen[case.id]})",
                    field="id",
                    value=case.id,
                    path=p,
                    **where,
                )
            seen[case.id] = pos
        cases.append(case)
    if strict and not cases:
        raise DataFormatError("no records", path=p)
    return cases


def parse_processbench_record(
    obj: dict[str, Any],
    *,
    strict: bool = True,
    split: str = "",
    path: str | None = None,
    line: int | None = None,
    record: int | None = None,
) -> ProcessBenchCase:
    """Check one decoded record and turn it into a :class:`ProcessBenchCase`.

    ``path`` and ``line`` (JSON Lines) or ``record`` (JSON array) are where it
    was read, for the error.

    >>> parse_processbench_record({"problem": "q", "steps": ["a"], "label": 1}, strict=False, line=4)
    Traceback (most recent call last):
    ...
    prmkit.errors.DataFormatError: line 4: field 'label': label must be -1 or a step index in [0, 1) (got 1)
    """
    where: dict[str, Any] = {"path": path, "line": line, "record": record}
    try:
        rec = (_Record if strict else _StyleRecord).model_validate(obj)
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(x) for x in err["loc"]]
        field = loc[0] + "".join(f"[{x}]" for x in loc[1:]) if loc else None
        value = None if err["type"] in ("missing", "extra_forbidden") and not loc[1:] else err.get("input")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (allowed: id, generator, problem, steps, final_answer_correct, label, steps-merge)"
        else:
            msg = err["msg"][0].lower() + err["msg"][1:]
        more = len(e.errors()) - 1
        raise DataFormatError(
            msg + (f" ({more} more problem(s) in this record)" if more else ""), field=field, value=value, **where
        ) from None
    if not rec.steps:
        raise DataFormatError("steps is empty", field="steps", value=rec.steps, **where)
    if not -1 <= rec.label < len(rec.steps):
        raise DataFormatError(
            f"label must be -1 or a step index in [0, {len(rec.steps)})", field="label", value=rec.label, **where
        )
    return ProcessBenchCase(
        id=None if rec.id is None else str(rec.id),
        problem=rec.problem,
        steps=tuple(rec.steps),
        label=rec.label,
        generator=rec.generator,
        final_answer_correct=rec.final_answer_correct,
        split=split,
    )
