"""Problems to run a policy on: GSM8K, MATH500 or prmkit's own records, with their gold answers.

Accepted JSONL records, one problem each:

* GSM8K: ``{"question", "answer"}``; the reference is the number after ``####``;
* MATH500: ``{"problem", "answer"[, "unique_id"]}``, posed in the ``math`` format;
* prmkit's own: ``{"id", "problem", "reference"[, "dataset"]}``.

A record without an id is ``<folder>-<stem>-<index>`` (0-based), e.g. ``gsm8k-test-0``;
errors name the file, line and field.

>>> import json, tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "test.jsonl")
>>> _ = open(p, "w").write(json.dumps({"problem": "1+1?", "answer": "2", "unique_id": "t/1"}) + "\\n")
>>> read_problems(p)
[Problem(id='t/1', problem='1+1?', reference='2', dataset='math')]
"""

from __future__ import annotations

import os
from pathlib import Path

from prmkit.data._io import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.steps import gsm8k_reference
from prmkit.types import Problem

__all__ = ["read_problems"]


def read_problems(path: str | os.PathLike[str]) -> list[Problem]:
    """The problems of a JSONL file, in file order (see the module docstring for the shapes)."""
    p = Path(path)
    stem = f"{p.parent.name}-{p.stem}" if p.parent.name else p.stem
    problems = []
    for line, rec in read_jsonl(p):
        pid = str(rec.get("id", rec.get("unique_id", f"{stem}-{line - 1}")))
        if "question" in rec:
            try:
                ref = gsm8k_reference(str(rec.get("answer", "")))
            except ValueError as e:
                raise DataFormatError(str(e), path=str(p), line=line, field="answer") from None
            problems.append(Problem(pid, str(rec["question"]), ref))
        elif "problem" in rec and "reference" in rec:
            dataset = rec.get("dataset", "gsm8k")
            if dataset not in ("gsm8k", "math"):
                raise DataFormatError("expected 'gsm8k' or 'math'", path=str(p), line=line, field="dataset",
                                      value=dataset)
            problems.append(Problem(pid, str(rec["problem"]), str(rec["reference"]), dataset))
        elif "problem" in rec and "answer" in rec:
            problems.append(Problem(pid, str(rec["problem"]), str(rec["answer"]), "math"))
        else:
            raise DataFormatError("expected question/answer, problem/answer or problem/reference",
                                  path=str(p), line=line)
    ids = [q.id for q in problems]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DataFormatError("problem ids must be unique", path=str(p), field="id", value=dup)
    return problems
