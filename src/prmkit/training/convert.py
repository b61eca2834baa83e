"""Human-labelled step data -> stepwise training records.

Each source marks the earliest wrong step; :meth:`~prmkit.types.StepwiseExample.from_first_error`
turns that into per-step labels. ``after_error="truncate"`` (default) keeps the
steps up to and including the first error, whose later labels are unknown.

* ProcessBench-style files: ``problem``, ``steps``, ``label`` (0-based, -1 = none), ``final_answer_correct``
  (read by :func:`~prmkit.data.load_processbench` with ``strict=False``).
* Mr-Ben (``math.json``): question UUID -> three solutions with ``Model_Solution_Steps``
  ("Step k: ..."), ``Model_Solution_Correctness`` and a 1-based ``Model_Solution_First_Error_Step``.
  Each wrong solution also carries its annotators' rewrites of the first wrong step
  (``Model_Solution_Rectified_First_Error_Step``); ``rectified=True`` adds each rewrite after
  the correct steps before it as an all-correct example: a minimal pair with the error.
* BIG-Bench-Mistake (``*.jsonl``): ``input``, ``steps``, ``mistake_index`` (0-based or null), ``answer``, ``target``.
* Candidate sets with graded answers (``candidates``: any file :func:`~prmkit.data.load_candidates` reads):
  outcome labels only. A right answer labels every step correct; a wrong one labels its last step
  wrong and leaves the rest unlabelled (:func:`candidate_examples`).
* GSM8K's example model solutions (``gsm8k-reference``: ``example_model_solutions.jsonl``, whose steps
  carry calculator annotations): a wrong solution's first error is its first step computing a value the
  reference solution never reaches (:func:`gsm8k_reference_examples`).

>>> ex = big_bench_mistake_record({"input": "2+2 =", "steps": ["2+2=5.", "So 5"],
...     "mistake_index": 0, "answer": "5", "target": "4"})
>>> ex.labels, ex.outcome
((0.0,), False)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from prmkit.data import CandidateSet, load_candidates, load_processbench, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.training._gsm8k_reference import ReferenceLabels, gsm8k_reference_examples
from prmkit.types import UNLABELLED, StepwiseExample

__all__ = [
    "SOURCES",
    "ReferenceLabels",
    "big_bench_mistake_record",
    "candidate_examples",
    "convert",
    "gsm8k_reference_examples",
    "mr_ben_record",
    "mr_ben_rectified",
    "paragraph_steps",
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
    return StepwiseExample.from_first_error(prompt, steps, first, outcome=correctness == "correct", after_error=after_error, id=sid)


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
    return StepwiseExample.from_first_error(problem, steps, -1 if mistake is None else mistake, outcome=outcome, after_error=after_error)


_DISPLAY = re.compile(r"^\s*(\\\[|\$\$|\\begin\{)")
_BULLET = re.compile(r"^\s*[-*+]\s")
_NUMBERED = re.compile(r"^\s*(\d+[.)]|#+)\s")


def paragraph_steps(steps: Sequence[str]) -> tuple[str, ...]:
    r"""Blank-line pieces -> paragraph steps, as ProcessBench segments model solutions.

    A piece joins the step before it (on a newline) when it opens with display math or a
    bullet, or when the step before it ends with a colon, unless the piece opens a numbered
    item or a heading: a lead-in with its formula or bullets is one step, and each numbered
    part of a solution is a step of its own.

    >>> paragraph_steps(["First, add:", "\\[ 2 + 3 = 5 \\]", "So we have:", "- a", "- b", "Steps:", "1. Add.", "2. Stop."])
    ('First, add:\n\\[ 2 + 3 = 5 \\]', 'So we have:\n- a\n- b', 'Steps:', '1. Add.', '2. Stop.')
    """
    out: list[str] = []
    for piece in steps:
        lead_in = bool(out) and out[-1].rstrip().endswith(":") and not _NUMBERED.match(piece)
        if out and (_DISPLAY.match(piece) or _BULLET.match(piece) or lead_in):
            out[-1] = f"{out[-1]}\n{piece}"
        else:
            out.append(piece)
    return tuple(out)


def candidate_examples(
    cset: CandidateSet, *, exclude_problems: Iterable[str] = (), paragraphs: bool = True
) -> list[StepwiseExample]:
    """Outcome-labelled examples from a candidate set whose answers are graded (``correct``).

    A right final answer labels every step correct: the usual outcome-to-process assumption,
    wrong where a flawed process reaches the right answer (ProcessBench finds that in 2 % of
    its GSM8K and 9 % of its MATH cases). A wrong answer labels only the last step wrong,
    since every prefix that ends in it is wrong, and leaves the earlier steps unlabelled
    (:data:`~prmkit.types.UNLABELLED`): the first error is unknown. ``outcome`` is
    the grade. Problems whose text is in ``exclude_problems`` (after stripping) are dropped,
    so an evaluation set's problems stay out of training. ``paragraphs`` re-segments the
    candidates' steps with :func:`paragraph_steps`. Ids are ``<problem id>/<k>``, ``k`` the
    candidate's position; ungraded candidates (``correct`` is null) are errors.

    >>> from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
    >>> from prmkit.answers import as_answer
    >>> cs = CandidateSet((CandidateProblem("p0", "2+3?", (Candidate(("2+3=6.", "So 6."), as_answer("6"), False),
    ...                                                    Candidate(("2+3=5.",), as_answer("5"), True))),))
    >>> [(ex.id, ex.to_record()["labels"]) for ex in candidate_examples(cs)]
    [('p0/0', [None, 0.0]), ('p0/1', [1.0])]
    """
    skip = {p.strip() for p in exclude_problems}
    out: list[StepwiseExample] = []
    for prob in cset.problems:
        if prob.problem.strip() in skip:
            continue
        for k, cand in enumerate(prob.candidates):
            if cand.correct is None:
                raise DataFormatError("the candidate is not graded; outcome labels need 'correct'",
                                      path=cset.source or None, field=f"problems[{prob.id}].candidates[{k}].correct")
            steps = paragraph_steps(cand.steps) if paragraphs else cand.steps
            if not steps:
                raise DataFormatError("the candidate has no steps", field=f"problems[{prob.id}].candidates[{k}]",
                                      path=cset.source or None)
            n = len(steps)
            labels = (1.0,) * n if cand.correct else (UNLABELLED,) * (n - 1) + (0.0,)
            out.append(StepwiseExample(prob.problem, steps, labels, cand.correct, f"{prob.id}/{k}"))
    return out


SOURCES = ("processbench", "mr-ben", "big-bench-mistake", "candidates", "gsm8k-reference")
"""The names :func:`convert` accepts (also the CLI values)."""


def convert(
    source: Literal["processbench", "mr-ben", "big-bench-mistake", "candidates", "gsm8k-reference"],
    path: str | os.PathLike[str],
    *,
    after_error: AfterError = "truncate",
    rectified: bool = False,
    exclude_problems: Iterable[str] = (),
) -> list[StepwiseExample]:
    """Read one file of a labelled source as stepwise examples. ``rectified`` (Mr-Ben only)
    adds the annotators' corrected first steps (:func:`mr_ben_rectified`) after the solutions.
    ``candidates`` reads a graded candidate set (:func:`candidate_examples`, which
    ``exclude_problems`` is passed to) and ``gsm8k-reference`` GSM8K's example model solutions with
    first errors located by the reference's values (which take ``exclude_problems`` too; the other
    sources refuse it).

    >>> from pathlib import Path
    >>> p = Path(__file__).parents[3] / ".." / "shared" / "data" / "mr_ben" / "math.json"
    >>> exs = convert("mr-ben", p) if p.exists() else []
    >>> len(exs) in (0, 918)
    True
    """
    p = str(path)
    if rectified and source != "mr-ben":
        raise DataFormatError("only Mr-Ben has rectified steps", field="rectified", value=source, path=p)
    exclude = tuple(exclude_problems)
    if exclude and source not in ("candidates", "gsm8k-reference"):
        raise DataFormatError("only candidate sets and gsm8k-reference take excluded problems",
                              field="exclude_problems", value=source, path=p)
    if source == "gsm8k-reference":
        return gsm8k_reference_examples(p, exclude_problems=exclude).examples
    if source == "candidates":
        return candidate_examples(load_candidates(p), exclude_problems=exclude)
    out: list[StepwiseExample] = []
    if source == "processbench":
        out.extend(case.example(after_error) for case in load_processbench(p, strict=False))
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
