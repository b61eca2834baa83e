"""Writing stepwise-supervision records: TRL's ``prompt`` / ``completions`` / ``labels``, one JSON object a line.

Every file of labelled steps prmkit writes goes through :func:`write_stepwise`:
training data (:class:`~prmkit.types.StepwiseExample`), labelling output with
its rollout accounting (``prmkit.labeling.LabelledSolution``) and a labelled
dataset's gzipped export. A label of unknown correctness is written as
``null``. Training reads them back with ``prmkit.training.read_stepwise``.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Protocol

from prmkit.data._io import json_utf8

__all__ = ["StepwiseRecord", "write_stepwise"]


class StepwiseRecord(Protocol):
    """Anything that is one stepwise record (a :class:`~prmkit.types.StepwiseExample`, a labelled solution)."""

    def to_record(self) -> dict[str, Any]: ...


def write_stepwise(records: Iterable[StepwiseRecord], path: str | os.PathLike[str]) -> int:
    """Write records as JSON Lines, gzipped when ``path`` ends in ``.gz``; returns how many.

    The file is written to a temporary name and renamed into place, so a killed
    run leaves the old file or the new one. The bytes depend on the records
    alone (a gzip file carries no time stamp), so writing the same records again
    does not churn a repository.

    >>> import os, tempfile
    >>> from prmkit.types import StepwiseExample
    >>> p = os.path.join(tempfile.mkdtemp(), "train.jsonl")
    >>> write_stepwise([StepwiseExample("1+1?", ("1+1=2",), (1.0,))], p)
    1
    >>> open(p).read()
    '{"prompt": "1+1?", "completions": ["1+1=2"], "labels": [1.0]}\\n'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as raw:
        if target.suffix == ".gz":
            # mtime=0 and the target's name in the header: the same records give the same bytes.
            with gzip.GzipFile(filename=str(target), fileobj=raw, mode="wb", mtime=0) as gz:
                n = _write_lines(records, gz)
        else:
            n = _write_lines(records, raw)
    os.replace(tmp, target)
    return n


def _write_lines(records: Iterable[StepwiseRecord], out: IO[bytes] | gzip.GzipFile) -> int:
    n = 0
    for rec in records:
        out.write(json_utf8(rec.to_record()) + b"\n")
        n += 1
    return n
