"""Candidate sets: problems x N sampled solutions, with answers, correctness and scores.

Loaders: :func:`load_candidates` reads prmkit's own JSONL format (below) and,
with ``format="auto"``, recognises two public files:

* ``math_cot`` — Qwen2.5-Math evaluation output (``math_cot_100.jsonl``):
  ``question``, ``gt``, ``response`` / ``pred`` / ``score`` / ``pred_score``
  lists. ``pred`` is the answer, ``score`` the correctness, ``pred_score`` one
  outcome-RM score per response (kept as a one-step score); responses are
  split into steps on blank lines.
* ``gsm8k_examples`` — OpenAI's ``example_model_solutions.jsonl``: four
  solutions per GSM8K test problem with ``is_correct``; one step per line,
  the answer from the final ``A: x`` line.

prmkit candidate JSONL — one problem per line::

    {"id": "p1", "problem": "What is 2 + 2?", "reference": "4",
     "candidates": [
       {"steps": ["2 + 2 = 4.", "The answer is 4."], "answer": "4", "correct": true,
        "step_scores": [0.91, 0.95], "policy_tokens": 21, "verifier_tokens": 30},
       {"text": "2 + 2 = 5.\\n\\nThe answer is 5."}
     ]}

Problem fields: ``problem`` (required), ``id`` (string or integer; default:
the line number), ``reference`` (the reference final answer, or a reference
solution with ``\\boxed{}`` / ``#### x``), ``candidates`` (a non-empty list).
Candidate fields: exactly one of ``steps`` (list of strings) or ``text`` (split
into steps on blank lines); ``answer`` (absent or null: extracted from the
text; ``""``: the candidate has no answer); ``correct`` (true/false; absent:
graded against ``reference``); ``step_scores`` (one number per step, or a
single outcome score; ``NaN`` marks a step left unscored, which makes the
candidate unscored for best-of-N; ``Infinity`` is refused); ``step_labels`` (one label per step: 1 good, 0 bad, a
fraction in [0, 1], or null; read by the ``lessons`` diagnostics); ``policy_tokens`` / ``verifier_tokens`` (token counts
for compute accounting). Unknown fields are errors. A malformed record raises
:class:`~prmkit.errors.DataFormatError` naming the file, line, field and value.

>>> import json, os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "c.jsonl")
>>> _ = open(p, "w").write(json.dumps({"problem": "1+1?", "reference": "2",
...     "candidates": [{"text": "1+1=2\\n\\nThe answer is 2."}, {"steps": ["2"], "answer": ""}]}))
>>> cs = load_candidates(p)
>>> [c.answer.ok for c in cs.problems[0].candidates], cs.problems[0].candidates[0].steps
([True, False], ('1+1=2', 'The answer is 2.'))
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from prmkit.answers import Answer, AnswerStyle, as_answer, extract_answer
from prmkit.data._candidate_types import Candidate, CandidateProblem, CandidateSet
from prmkit.data._candidates_formats import read_gsm8k_examples, read_math_cot
from prmkit.data._io import JsonlAppender, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.steps import split_steps

__all__ = [
    "Candidate",
    "CandidateFormat",
    "CandidateProblem",
    "CandidateSet",
    "load_candidates",
    "write_candidates",
]

CandidateFormat = Literal["auto", "prmkit", "math_cot", "gsm8k_examples"]


class _CandidateRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    steps: list[str] | None = None
    text: str | None = None
    answer: str | None = None
    correct: bool | None = None
    step_scores: list[float] | None = Field(default=None)
    step_labels: list[Annotated[float, Field(ge=0.0, le=1.0)] | None] | None = Field(default=None)
    policy_tokens: int | None = Field(default=None, ge=0)
    verifier_tokens: int | None = Field(default=None, ge=0)

    @field_validator("step_scores")
    @classmethod
    def _finite_or_nan(cls, scores: list[float] | None) -> list[float] | None:
        bad = next((i for i, s in enumerate(scores or ()) if math.isinf(s)), None)
        if bad is not None:
            raise ValueError(
                f"step_scores[{bad}] is {scores[bad]}: a step score is a finite number, or NaN for unscored"  # type: ignore[index]
            )
        return scores

    @model_validator(mode="after")
    def _one_text(self) -> _CandidateRecord:
        if (self.steps is None) == (self.text is None):
            raise ValueError("give exactly one of 'steps' or 'text'")
        n = len(self.steps) if self.steps is not None else len(split_steps(self.text or ""))
        if self.step_scores is not None and len(self.step_scores) not in (n, 1):
            raise ValueError(
                f"'step_scores' has {len(self.step_scores)} scores for {n} steps (expected {n} or 1)"
            )
        if self.step_labels is not None and len(self.step_labels) != n:
            raise ValueError(f"'step_labels' has {len(self.step_labels)} labels for {n} steps")
        return self


class _ProblemRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str | int | None = None
    problem: str
    reference: str | None = None
    candidates: list[_CandidateRecord] = Field(min_length=1)


def _validation_error(
    e: ValidationError, path: str, line: int, obj: dict[str, Any]
) -> DataFormatError:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    value: Any = obj
    for part in err["loc"]:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    more = f" (and {len(e.errors()) - 1} more problems)" if len(e.errors()) > 1 else ""
    msg = err["msg"].removeprefix("Value error, ")
    return DataFormatError(
        msg + more, path=path, line=line, field=loc or None, value=value if loc else None
    )


def _read_prmkit(path: str, style: AnswerStyle) -> list[CandidateProblem]:
    out = []
    for line, obj in read_jsonl(path):
        try:
            rec = _ProblemRecord.model_validate(obj)
        except ValidationError as e:
            raise _validation_error(e, path, line, obj) from None
        cands = []
        for c in rec.candidates:
            steps = tuple(c.steps) if c.steps is not None else split_steps(c.text or "")
            text = "\n\n".join(steps) if c.text is None else c.text
            answer = extract_answer(text, style) if c.answer is None else as_answer(c.answer)
            scores = tuple(float(s) for s in c.step_scores) if c.step_scores is not None else None
            labels = tuple(c.step_labels) if c.step_labels is not None else None
            cands.append(
                Candidate(steps, answer, c.correct, scores, c.policy_tokens, c.verifier_tokens,
                          step_labels=labels)
            )
        pid = str(rec.id) if rec.id is not None else str(line)
        out.append(CandidateProblem(pid, rec.problem, tuple(cands), rec.reference))
    return out


def _detect(path: str) -> CandidateFormat:
    for _line, obj in read_jsonl(path):
        if "candidates" in obj:
            return "prmkit"
        if "pred" in obj and ("response" in obj or "code" in obj):
            return "math_cot"
        if "ground_truth" in obj and "6b_finetuning" in obj:
            return "gsm8k_examples"
        raise DataFormatError(
            "cannot tell the candidate format; expected a prmkit record with 'candidates' "
            "(see docs/candidates.md), a Qwen2.5-Math 'pred'/'response' record or a GSM8K example-solutions record",
            path=path,
            line=_line,
            value=sorted(obj)[:8],
        )
    raise DataFormatError("no records", path=path)


def load_candidates(
    path: str | os.PathLike[str],
    format: CandidateFormat = "auto",
    *,
    answer_style: AnswerStyle = "auto",
) -> CandidateSet:
    """Read a candidate set. ``answer_style`` is used where answers are extracted from text."""
    p = str(path)
    fmt = _detect(p) if format == "auto" else format
    if fmt == "prmkit":
        problems = _read_prmkit(p, answer_style)
    elif fmt == "math_cot":
        problems = read_math_cot(p)
    elif fmt == "gsm8k_examples":
        problems = read_gsm8k_examples(p)
    else:
        raise DataFormatError(f"unknown candidate format {fmt!r}", path=p)
    if not problems:
        raise DataFormatError("no records", path=p)
    return CandidateSet(tuple(problems), source=p)


def _record(p: CandidateProblem) -> dict[str, Any]:
    cands = []
    for c in p.candidates:
        rec: dict[str, Any] = {
            "steps": list(c.steps),
            "answer": c.answer.text if isinstance(c.answer, Answer) else "",
        }
        for name in ("correct", "policy_tokens", "verifier_tokens"):
            if getattr(c, name) is not None:
                rec[name] = getattr(c, name)
        if c.step_scores is not None:
            rec["step_scores"] = list(c.step_scores)
        if c.step_labels is not None:
            rec["step_labels"] = list(c.step_labels)
        cands.append(rec)
    out: dict[str, Any] = {"id": p.id, "problem": p.problem}
    if p.reference is not None:
        out["reference"] = p.reference
    out["candidates"] = cands
    return out


def write_candidates(
    cset: CandidateSet | Sequence[CandidateProblem], path: str | os.PathLike[str]
) -> None:
    """Write problems in prmkit's candidate JSONL format (e.g. after scoring them once).

    Answers are written as extracted; a missing answer is written as ``""``.
    """
    probs = cset.problems if isinstance(cset, CandidateSet) else cset
    if os.path.exists(path):
        os.remove(path)
    with JsonlAppender(path, fsync=False) as w:
        for p in probs:
            w.write(_record(p))
