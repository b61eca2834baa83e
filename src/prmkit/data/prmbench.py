"""PRMBench records (arXiv 2501.03124): solutions with planted errors, one error category a file.

PRMBench ships 25 JSON Lines files (``ssmisya/PRMBench``,
``mr_eval/tasks/prmtest_classified/data/``), one object a line::

    {"original_question": "...", "modified_question": "...", "original_process": ["1. ...", ...],
     "modified_process": ["1. ...", ...], "modified_steps": [3, 4], "error_steps": [3],
     "reason": "...", "idx": "prm_test_p1_0", "question": "...", "classification": "circular"}

``error_steps`` and ``modified_steps`` are 1-based step numbers of
``modified_process``; a number past the last step (151 of PRMBench's error
steps) names no step and is kept but ignored, as in the benchmark's evaluator; ``multi_solutions`` records also carry ``ground_truth``
and ``original_response``. No other field is allowed. The benchmark's task code
(``mr_eval/tasks/prmtest_classified/task.py``) makes one case a record, with id
``{classification}_{idx}``, the modified question and process, and keeps the
first of repeated ids; for each ``redundency`` record it also emits the
unmodified solution once, as a case of class ``correct`` with no error step.
:func:`load_prmbench` does the same.

Some steps start with their number (``"3. ..."``). PRMBench's model wrappers
strip it before scoring (``remove_step_prefix``: a leading ``Step N.`` or
``N.``, after stripping whitespace); :meth:`PRMBenchCase.solution` does too
unless told not to.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from prmkit.data._io import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.types import Solution, StepwiseExample

__all__ = [
    "PRMBENCH_CATEGORIES",
    "PRMBenchCase",
    "PRMBenchClass",
    "load_prmbench",
    "strip_step_number",
]

PRMBenchClass = Literal[
    "redundency",
    "circular",
    "counterfactual",
    "step_contradiction",
    "domain_inconsistency",
    "confidence",
    "missing_condition",
    "deception",
    "multi_solutions",
]
"""The nine error categories, spelled as in the files (``redundency`` included)."""

PRMBENCH_CATEGORIES: tuple[str, ...] = get_args(PRMBenchClass)
"""The categories in the order of the paper's table (NR, NCL, ES, SC, DC, CI, PS, DR, MS)."""

_STEP_NUMBER = re.compile(r"^(Step\s*\d+\.\s*|\d+\.\s*)", flags=re.IGNORECASE)


def strip_step_number(step: str) -> str:
    """The step without surrounding whitespace and a leading ``N.`` or ``Step N.`` (PRMBench's rule).

    >>> strip_step_number(" 3. So $x=2$."), strip_step_number("Step 2. Add."), strip_step_number("So 3.5")
    ('So $x=2$.', 'Add.', 'So 3.5')
    """
    return _STEP_NUMBER.sub("", step.strip())


@dataclass(frozen=True)
class PRMBenchCase:
    """One PRMBench case: a question, its steps and the 1-based numbers of the wrong steps.

    ``classification`` is a category of :data:`PRMBENCH_CATEGORIES`, or
    ``correct`` for the unmodified copy of a ``redundency`` record.

    >>> c = PRMBenchCase("circular_t", "1+1?", ("1. 1+1=2", "2. So 3."), (2,), "circular")
    >>> c.solution().steps, c.labels
    (('1+1=2', 'So 3.'), (1.0, 0.0))
    """

    id: str
    question: str
    steps: tuple[str, ...]
    error_steps: tuple[int, ...]
    classification: str
    source: str = ""
    """The file the case was read from."""

    @property
    def labels(self) -> tuple[float, ...]:
        """One step label per step: 0.0 for a step in ``error_steps``, else 1.0."""
        wrong = set(self.error_steps)
        return tuple(0.0 if i in wrong else 1.0 for i in range(1, len(self.steps) + 1))

    def solution(self, strip_numbers: bool = True) -> Solution:
        """The case as a :class:`~prmkit.types.Solution`, step numbers stripped (see :func:`strip_step_number`)."""
        steps = tuple(strip_step_number(s) for s in self.steps) if strip_numbers else self.steps
        return Solution(self.question, steps, self.id)

    def example(self, strip_numbers: bool = True) -> StepwiseExample:
        """The case as labelled steps (:attr:`labels`)."""
        sol = self.solution(strip_numbers)
        return StepwiseExample(sol.problem, sol.steps, labels=self.labels, id=self.id)


class _Record(BaseModel):
    """A PRMBench record; no other field is allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    original_question: str
    modified_question: str
    original_process: list[str]
    modified_process: list[str]
    modified_steps: list[int]
    error_steps: list[int]
    reason: str
    idx: str
    question: str
    classification: PRMBenchClass
    ground_truth: str | None = None
    original_response: str | None = None


def _parse_record(obj: dict[str, Any], *, path: str | None = None, line: int | None = None) -> _Record:
    """Check one decoded record; a problem is a :class:`~prmkit.errors.DataFormatError` naming ``path``, ``line``, field.

    >>> _parse_record({"idx": 1}, line=3)
    Traceback (most recent call last):
    ...
    prmkit.errors.DataFormatError: line 3: field 'original_question': field required (9 more problem(s) in this record)
    """
    where: dict[str, Any] = {"path": path, "line": line}
    try:
        rec = _Record.model_validate(obj)
    except ValidationError as e:
        errors = e.errors()
        err = errors[0]
        loc = [str(x) for x in err["loc"]]
        field = loc[0] + "".join(f"[{x}]" for x in loc[1:]) if loc else None
        value = None if err["type"] in ("missing", "extra_forbidden") and not loc[1:] else err.get("input")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field (allowed: {', '.join(_Record.model_fields)})"
        else:
            msg = err["msg"][0].lower() + err["msg"][1:]
        more = len(errors) - 1
        raise DataFormatError(
            msg + (f" ({more} more problem(s) in this record)" if more else ""), field=field, value=value, **where
        ) from None
    for name in ("modified_process", "original_process"):
        if not getattr(rec, name):
            raise DataFormatError(f"{name} is empty", field=name, value=[], **where)
    for name in ("error_steps", "modified_steps"):
        numbers = getattr(rec, name)
        if any(k < 1 for k in numbers):
            raise DataFormatError("step numbers are 1-based", field=name, value=numbers, **where)
        if len(set(numbers)) != len(numbers):
            raise DataFormatError("a step number is repeated", field=name, value=numbers, **where)
    if rec.classification == "multi_solutions" and rec.error_steps:
        raise DataFormatError("multi_solutions cases have no wrong step", field="error_steps",
                              value=rec.error_steps, **where)
    return rec


def load_prmbench(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[PRMBenchCase]:
    """Read PRMBench files into cases, the way the benchmark's task code does (see the module docstring).

    >>> import json, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "toy_redundency.jsonl")
    >>> rec = {"original_question": "q", "modified_question": "q", "original_process": ["1. a"],
    ...        "modified_process": ["1. a", "2. a again"], "modified_steps": [2], "error_steps": [2],
    ...        "reason": "r", "idx": "t0", "question": "q", "classification": "redundency"}
    >>> _ = open(p, "w").write(json.dumps(rec) + "\\n")
    >>> [(c.id, c.labels) for c in load_prmbench(p)]
    [('correct_t0', (1.0,)), ('redundency_t0', (1.0, 0.0))]
    """
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    cases: list[PRMBenchCase] = []
    seen: set[str] = set()
    for path in files:
        p = str(path)
        n_records = 0
        for line, obj in read_jsonl(p):
            rec = _parse_record(obj, path=p, line=line)
            n_records += 1
            if rec.classification == "redundency" and f"correct_{rec.idx}" not in seen:
                seen.add(f"correct_{rec.idx}")
                cases.append(PRMBenchCase(f"correct_{rec.idx}", rec.original_question,
                                          tuple(rec.original_process), (), "correct", p))
            case_id = f"{rec.classification}_{rec.idx}"
            if case_id not in seen:
                seen.add(case_id)
                cases.append(PRMBenchCase(case_id, rec.modified_question, tuple(rec.modified_process),
                                          tuple(rec.error_steps), rec.classification, p))
        if not n_records:
            raise DataFormatError("no records", path=p)
    return cases
