"""Stepwise training records: TRL's ``prompt`` / ``completions`` / ``labels``, checked at the file boundary.

One JSON object per line::

    {"prompt": "1+1?", "completions": ["1+1=2", "So 2."], "labels": [true, true], "outcome": true}

``labels`` holds one label per completion step: ``true``/``false``/``0``/``1``
for hard-label losses, numbers in [0, 1] for ``soft_bce``, or ``null`` for a
step whose correctness is unknown: it stays in the text the model reads but
carries no loss (in memory: ``nan``). A wrong final answer with an unknown
first error is ``[null, ..., null, false]``: every prefix that ends in the wrong
answer is wrong, whatever came before. ``outcome`` (is the final answer right)
is what the implicit PRM trains on. ``id`` is optional. Errors name the file,
the line, the field and the value.

In memory a record is a :class:`~prmkit.types.StepwiseExample`; files of them
are written by :func:`prmkit.data.write_stepwise`.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

from prmkit.data import parse_processbench_record, records_with_position
from prmkit.errors import DataFormatError
from prmkit.types import UNLABELLED, Solution, StepwiseExample

__all__ = [
    "LabelKind",
    "parse_record",
    "read_first_error_records",
    "read_stepwise",
]

LabelKind = Literal["hard", "soft", "outcome"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: StrictStr
    completions: list[StrictStr]
    labels: list[Any] | None = None
    outcome: StrictBool | None = None
    id: StrictStr | int | None = None
    # accounting written by ``prmkit.labeling`` jobs; read past, never trained on
    first_error: int | None = None
    method: str | None = None
    rollouts: int | None = None
    rollout_tokens: int | None = None
    prompt_tokens: int | None = None
    mc: list[float | None] | None = None
    extra: dict[str, Any] | None = None


def _label(value: Any, kind: LabelKind, where: dict[str, Any], threshold: float | None = None) -> float:
    if value is None:
        return UNLABELLED
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
        raise DataFormatError("a label must be true/false or a number", value=value, **where)
    if kind != "hard" or threshold is not None:
        if not 0.0 <= value <= 1.0:
            raise DataFormatError("a soft label must be in [0, 1]", value=value, **where)
        if threshold is not None and kind == "hard":
            return 1.0 if value > threshold else 0.0
    elif value not in (0, 1):
        raise DataFormatError(
            "hard-label losses need labels true/false/0/1 (use loss 'soft_bce' for soft labels)", value=value, **where
        )
    return float(value)


def parse_record(
    obj: dict[str, Any],
    kind: LabelKind,
    *,
    threshold: float | None = None,
    path: str | None = None,
    line: int | None = None,
    record: int | None = None,
) -> StepwiseExample:
    """Check one decoded JSON object and turn it into a :class:`~prmkit.types.StepwiseExample`.

    With ``threshold``, hard-label kinds accept numbers in [0, 1] and read ``value > threshold`` as 1.
    """
    at: dict[str, Any] = {"path": path, "line": line, "record": record}
    try:
        rec = _Record.model_validate(obj)
    except ValidationError as e:
        err = e.errors()[0]
        loc = err["loc"]
        field = str(loc[0]) + "".join(f"[{x}]" for x in loc[1:]) if loc else None
        value = err.get("input") if err["type"] != "missing" else None
        raise DataFormatError(err["msg"].lower(), **at, field=field, value=value) from None
    labels = None
    if rec.labels is not None:
        if len(rec.labels) != len(rec.completions):
            raise DataFormatError(
                f"{len(rec.labels)} labels for {len(rec.completions)} completions", **at, field="labels"
            )
        labels = tuple(_label(v, kind, {**at, "field": f"labels[{i}]"}, threshold) for i, v in enumerate(rec.labels))
        if labels and all(math.isnan(v) for v in labels) and kind in ("hard", "soft"):
            raise DataFormatError("every step is unlabelled (null): nothing to train on", **at, field="labels")
    elif kind in ("hard", "soft"):
        raise DataFormatError("step labels are required for this loss", **at, field="labels")
    if kind == "outcome" and rec.outcome is None:
        raise DataFormatError(
            "the implicit PRM trains on outcome labels; add 'outcome': true/false", **at, field="outcome"
        )
    return StepwiseExample(
        rec.prompt, tuple(rec.completions), labels, rec.outcome, None if rec.id is None else str(rec.id)
    )


def read_stepwise(
    path: str | os.PathLike[str], kind: LabelKind, *, threshold: float | None = None
) -> list[StepwiseExample]:
    """Read stepwise JSONL (or a JSON array of the same objects), checking labels for ``kind``.

    ``threshold`` turns soft labels into hard ones for the hard kind (see :func:`parse_record`).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.jsonl")
    >>> _ = open(p, "w").write('{"prompt": "q", "completions": ["a"], "labels": [0.25]}\\n')
    >>> read_stepwise(p, "soft")[0].labels
    (0.25,)
    >>> read_stepwise(p, "hard")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    prmkit.errors.DataFormatError: ...t.jsonl:1: field 'labels[0]': hard-label losses need ... (got 0.25)
    """
    p = str(path)
    return [parse_record(obj, kind, threshold=threshold, path=p, **where) for where, obj in records_with_position(p)]


def read_first_error_records(path: str | os.PathLike[str]) -> list[tuple[Solution, int]]:
    """Validation data as ``(solution, first_error)``: ProcessBench records or stepwise JSONL.

    ProcessBench-style records (read by :func:`prmkit.data.parse_processbench_record`)
    carry ``problem``, ``steps`` and ``label`` (the earliest wrong step, -1 if none);
    stepwise records derive it from ``labels``.
    """
    p = str(path)
    out: list[tuple[Solution, int]] = []
    for where, obj in records_with_position(p):
        if "steps" in obj:
            case = parse_processbench_record(obj, strict=False, path=p, line=where.get("line"), record=where.get("record"))
            out.append((case.solution(), case.label))
        else:
            ex = parse_record(obj, "soft", path=p, **where)
            try:
                out.append((ex.solution, ex.first_error))
            except ValueError:
                raise DataFormatError(
                    "validation needs the first error: an unlabelled (null) step comes before any labelled error",
                    path=p, field="labels", value=obj.get("labels"), **where,
                ) from None
    return out
