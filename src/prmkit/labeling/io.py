"""Reading solutions to label (labelled ones are written by :func:`prmkit.data.write_stepwise`).

Input records (JSON Lines, one solution each) take either prmkit's own shape

    {"id": "...", "problem": "...", "steps": ["...", ...], "reference": "72", "correct": false}

(``prompt``/``completions`` are accepted for ``problem``/``steps``; ``correct``
is optional and computed by the job's grader when absent; ``dataset`` is
``"gsm8k"`` or ``"math"``), or a raw GSM8K record ``{"question", "answer"}``,
whose reference solution becomes a step-structured solution (see
:func:`prmkit.labeling.inject.gsm8k_solution`).

>>> import json, tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "s.jsonl")
>>> _ = open(p, "w").write(json.dumps({"question": "1+1?", "answer": "1+1 = 2\\n#### 2"}) + "\\n")
>>> [(t.id, t.solution.steps, t.reference) for t in read_tasks(p)]
[('s-1', ('1+1 = 2', 'The answer is: 2'), '2')]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit.data import read_jsonl, read_problems
from prmkit.errors import DataFormatError
from prmkit.labeling._types import LabelTask
from prmkit.labeling.inject import gsm8k_solution
from prmkit.steps import gsm8k_reference
from prmkit.types import Solution

__all__ = ["read_problems", "read_tasks", "tasks_from_samples"]


def _field(rec: dict[str, Any], names: tuple[str, ...], path: str, line: int, kind: type | tuple[type, ...]) -> Any:
    for name in names:
        if name in rec:
            value = rec[name]
            if not isinstance(value, kind):
                what = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
                raise DataFormatError(f"expected {what}", path=path, line=line, field=name, value=value)
            return value
    raise DataFormatError(f"missing field ({' or '.join(names)})", path=path, line=line)


def read_tasks(path: str | os.PathLike[str]) -> list[LabelTask]:
    """Solutions to label from a JSONL file; errors name the file, line and field."""
    p = str(path)
    stem = Path(p).stem
    tasks = []
    for line, rec in read_jsonl(p):
        if "question" in rec and "answer" in rec and "steps" not in rec:
            try:
                ref = gsm8k_reference(rec["answer"])
            except ValueError as e:
                raise DataFormatError(str(e), path=p, line=line, field="answer") from None
            sol = gsm8k_solution(rec["question"], rec["answer"], id=str(rec.get("id", f"{stem}-{line}")))
            tasks.append(LabelTask(sol, ref, correct=True))
            continue
        problem = _field(rec, ("problem", "prompt"), p, line, str)
        steps = _field(rec, ("steps", "completions"), p, line, list)
        if not steps or not all(isinstance(s, str) and s.strip() for s in steps):
            raise DataFormatError("steps must be non-empty strings", path=p, line=line, field="steps", value=steps)
        reference = str(_field(rec, ("reference", "answer"), p, line, (str, int, float)))
        correct = rec.get("correct")
        if correct is not None and not isinstance(correct, bool):
            raise DataFormatError("expected true/false", path=p, line=line, field="correct", value=correct)
        dataset = rec.get("dataset", "gsm8k")
        if dataset not in ("gsm8k", "math"):
            raise DataFormatError("expected 'gsm8k' or 'math'", path=p, line=line, field="dataset", value=dataset)
        sid = str(rec.get("id", f"{stem}-{line}"))
        tasks.append(LabelTask(Solution(problem, tuple(steps), id=sid), reference, dataset, correct))
    return tasks


def tasks_from_samples(records: Sequence[dict[str, Any]], *, require_answer: bool = True) -> list[LabelTask]:
    """Label tasks of sampled solutions (:func:`prmkit.generation.sample_solutions` records); solutions
    without steps (or, by default, without a stated answer: a policy cut off mid-solution) are left out.

    >>> rec = {"id": "p-s0", "problem": "1+1?", "steps": ["1+1 = 2.", "The answer is: 2"], "reference": "2",
    ...        "dataset": "gsm8k", "correct": True, "answer": "2"}
    >>> [t.id for t in tasks_from_samples([rec, {**rec, "id": "p-s1", "answer": None}])]
    ['p-s0']
    """
    tasks = []
    for rec in records:
        if not rec["steps"] or (require_answer and rec.get("answer") is None):
            continue
        sol = Solution(rec["problem"], tuple(rec["steps"]), id=rec["id"])
        tasks.append(LabelTask(sol, rec["reference"], rec.get("dataset", "gsm8k"), rec.get("correct")))
    return tasks
