"""Human-labelled step data -> stepwise training records.

Each source marks the earliest wrong step; :func:`~prmkit.training.data.first_error_example`
turns that into per-step labels. ``after_error="truncate"`` (default) keeps the
steps up to and including the first error, whose later labels are unknown.

* ProcessBench-style files: ``problem``, ``steps``, ``label`` (0-based, -1 = none), ``final_answer_correct``.
* Mr-Ben (``math.json``): question UUID -> three solutions with ``Model_Solution_Steps``
  ("Step k: ..."), ``Model_Solution_Correctness`` and a 1-based ``Model_Solution_First_Error_Step``.
  Each wrong solution also carries its annotators' rewrites of the first wrong step
  (``Model_Solution_Rectified_First_Error_Step``); ``rectified=True`` adds each rewrite after
  the correct steps before it as an all-correct example: a minimal pair with the error.
* BIG-Bench-Mistake (``*.jsonl``): ``input``, ``steps``, ``mistake_index`` (0-based or null), ``answer``, ``target``.

>>> ex = big_bench_mistake_record({"input": "2+2 =", "steps": ["2+2=5.", "So 5"],
...     "mistake_index": 0, "answer": "5", "target": "4"})
>>> ex.labels, ex.outcome
((0.0,), False)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from prmkit.data._io import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.training.data import StepwiseExample, first_error_example, records_with_position

__all__ = [
    "SOURCES",
    "big_bench_mistake_record",
    "convert",
    "mr_ben_record",
    "mr_ben_rectified",
    "processbench_record",
]

AfterError = Literal["truncate", "zero"]
_STEP_PREFIX = re.compile(r"^\s*Step\s*\$?\d+\$?\s*[:.]\s*")


def _need(obj: dict[str, Any], key: str, tp: type | tuple[type, ...], where: dict[str, Any]) -> Any:
    value = obj.get(key)
    if not isinstance(value, tp) or (isinstance(value, bool) and bool not in (tp if isinstance(tp, tuple) else (tp,))):
        raise DataFormatError(f"expected {getattr(tp, '__name__', tp)}", field=key, value=value, **where)
    return value


def _steps(obj: dict[str, Any], key: str, where: dict[str, Any]) -> list[str]:
    steps = obj.get(key)
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        raise DataFormatError("expected a non-empty list of strings", field=key, value=steps, **where)
    return steps


def processbench_record(obj: dict[str, Any], *, after_error: AfterError = "truncate", **where: Any) -> StepwiseExample:
    """One ProcessBench-style record; ``outcome`` is ``final_answer_correct`` when present."""
    problem = _need(obj, "problem", str, where)
    steps = _steps(obj, "steps", where)
    label = _need(obj, "label", int, where)
    if not -1 <= label < len(steps):
        raise DataFormatError(f"earliest wrong step must be in [-1, {len(steps)})", field="label", value=label, **where)
    outcome = obj.get("final_answer_correct")
    if outcome is not None and not isinstance(outcome, bool):
        raise DataFormatError("expected true/false", field="final_answer_correct", value=outcome, **where)
    sid = obj.get("id")
    return first_error_example(
        problem, steps, label, outcome=outcome, after_error=after_error, id=None if sid is None else str(sid)
    )


def mr_ben_record(
    obj: dict[str, Any], *, after_error: AfterError = "truncate", strip_step_numbers: bool = True, **where: Any
) -> StepwiseExample:
    """One Mr-Ben solution. The prompt is the question followed by its options; ``outcome`` is
    the annotated solution correctness; "Step k:" prefixes are stripped unless asked not to."""
    question = _need(obj, "Question", str, where)
    options = obj.get("Options") or ""
    steps = _steps(obj, "Model_Solution_Steps", where)
    if strip_step_numbers:
        steps = [_STEP_PREFIX.sub("", s, count=1) for s in steps]
    correctness = obj.get("Model_Solution_Correctness")
    if correctness not in ("correct", "incorrect"):
        raise DataFormatError("expected 'correct' or 'incorrect'", field="Model_Solution_Correctness", value=correctness, **where)
    raw = obj.get("Model_Solution_First_Error_Step")
    if correctness == "correct":
        first = -1
    else:
        text = str(raw).strip()
        if not text.isdigit() or not 1 <= int(text) <= len(steps):
            raise DataFormatError(
                f"expected a 1-based step number in [1, {len(steps)}]", field="Model_Solution_First_Error_Step", value=raw, **where
            )
        first = int(text) - 1
    prompt = question.strip() + ("\n" + options.strip() if str(options).strip() else "")
    sid = f"{obj.get('Question_UUID')}/{obj.get('Sampled_Model')}"
    return first_error_example(prompt, steps, first, outcome=correctness == "correct", after_error=after_error, id=sid)


def mr_ben_rectified(obj: dict[str, Any], **where: Any) -> list[StepwiseExample]:
    """The annotators' corrections of one wrong Mr-Ben solution: for each rewrite of its first wrong
    step, the steps before that step and the rewrite, all labelled correct (ids ``<solution>/rectified-<k>``).
    A correct solution gives none."""
    return _rectified(mr_ben_record(obj, **where), obj, where)


def _rectified(original: StepwiseExample, obj: dict[str, Any], where: dict[str, Any]) -> list[StepwiseExample]:
    if original.first_error < 0:
        return []
    raw = obj.get("Model_Solution_Rectified_First_Error_Step")
    rewrites = [raw] if isinstance(raw, str) else raw
    if not isinstance(rewrites, list) or not all(isinstance(r, str) for r in rewrites):
        raise DataFormatError("expected a string or a list of strings", field="Model_Solution_Rectified_First_Error_Step",
                              value=raw, **where)
    prefix = original.completions[: original.first_error]
    steps = (_STEP_PREFIX.sub("", text, count=1).strip() for text in rewrites)
    return [
        StepwiseExample(original.prompt, (*prefix, step), (1.0,) * (len(prefix) + 1), None, f"{original.id}/rectified-{k}")
        for k, step in enumerate(steps)
        if step
    ]


def big_bench_mistake_record(obj: dict[str, Any], *, after_error: AfterError = "truncate", **where: Any) -> StepwiseExample:
    """One BIG-Bench-Mistake trace; ``outcome`` is ``answer == target``."""
    problem = _need(obj, "input", str, where)
    steps = _steps(obj, "steps", where)
    mistake = obj.get("mistake_index")
    if mistake is not None and (isinstance(mistake, bool) or not isinstance(mistake, int) or not 0 <= mistake < len(steps)):
        raise DataFormatError(f"expected null or a step index in [0, {len(steps)})", field="mistake_index", value=mistake, **where)
    answer, target = obj.get("answer"), obj.get("target")
    outcome = None if answer is None or target is None else str(answer).strip() == str(target).strip()
    return first_error_example(problem, steps, -1 if mistake is None else mistake, outcome=outcome, after_error=after_error)


SOURCES = ("processbench", "mr-ben", "big-bench-mistake")
"""The names :func:`convert` accepts (also the CLI values)."""


def convert(
    source: Literal["processbench", "mr-ben", "big-bench-mistake"],
    path: str | os.PathLike[str],
    *,
    after_error: AfterError = "truncate",
    rectified: bool = False,
) -> list[StepwiseExample]:
    """Read one file of a human-labelled source as stepwise examples. ``rectified`` (Mr-Ben only)
    adds the annotators' corrected first steps (:func:`mr_ben_rectified`) after the solutions.

    >>> from pathlib import Path
    >>> p = Path(__file__).parents[3] / ".." / "shared" / "data" / "mr_ben" / "math.json"
    >>> exs = convert("mr-ben", p) if p.exists() else []
    >>> len(exs) in (0, 918)
    True
    """
    p = str(path)
    if rectified and source != "mr-ben":
        raise DataFormatError("only Mr-Ben has rectified steps", field="rectified", value=source, path=p)
    out: list[StepwiseExample] = []
    if source == "processbench":
        for where, obj in records_with_position(p):
            out.append(processbench_record(obj, after_error=after_error, path=p, **where))
    elif source == "big-bench-mistake":
        for line, obj in read_jsonl(p):
            ex = big_bench_mistake_record(obj, after_error=after_error, path=p, line=line)
            out.append(StepwiseExample(ex.prompt, ex.completions, ex.labels, ex.outcome, f"{Path(p).stem}-{line}"))
    elif source == "mr-ben":
        try:
            data = json.loads(Path(p).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataFormatError("file not found", path=p) from None
        if not isinstance(data, dict):
            raise DataFormatError("expected an object mapping question ids to solution lists", path=p)
        n = 0
        extra: list[StepwiseExample] = []
        for qid, sols in data.items():
            if not isinstance(sols, list):
                raise DataFormatError("expected a list of solutions", path=p, field=qid, value=sols)
            for sol in sols:
                out.append(mr_ben_record(sol, after_error=after_error, path=p, record=n))
                if rectified:
                    extra.extend(_rectified(out[-1], sol, {"path": p, "record": n}))
                n += 1
        out.extend(extra)
    else:
        raise DataFormatError(f"unknown source; expected one of {', '.join(SOURCES)}", value=source)
    return out
