"""Readers for public candidate files (see :mod:`prmkit.data.candidates`)."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from prmkit.answers import Answer, as_answer, extract_answer
from prmkit.data._candidate_types import Candidate, CandidateProblem
from prmkit.data._io import read_jsonl
from prmkit.errors import DataFormatError
from prmkit.steps import split_steps

GSM8K_EXAMPLE_MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
"""The four solutions per problem of ``example_model_solutions.jsonl``, in file order."""


class _MathCot(BaseModel):
    model_config = ConfigDict(extra="allow")

    idx: int | str
    question: str
    gt: str
    response: list[str]
    pred: list[str | None]
    score: list[bool]
    pred_score: list[list[float]] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> _MathCot:
        n = len(self.response)
        for name in ("pred", "score", "pred_score"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"'{name}' has {len(value)} entries for {n} responses")
        if self.pred_score is not None and any(len(s) != 1 for s in self.pred_score):
            raise ValueError("each 'pred_score' entry must hold exactly one score")
        if self.pred_score is not None and any(math.isinf(s[0]) for s in self.pred_score):
            raise ValueError("a 'pred_score' is infinite: a score is a finite number, or NaN for unscored")
        return self


def _error(e: ValidationError, path: str, line: int) -> DataFormatError:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or None
    return DataFormatError(
        err["msg"].removeprefix("Value error, "), path=path, line=line, field=loc
    )


def read_math_cot(path: str) -> list[CandidateProblem]:
    """Qwen2.5-Math evaluation output: answers, correctness and one outcome-RM score per response."""
    out = []
    for line, obj in read_jsonl(path):
        if "response" not in obj and "code" in obj:
            obj = {**obj, "response": obj["code"]}
        try:
            rec = _MathCot.model_validate(obj)
        except ValidationError as e:
            raise _error(e, path, line) from None
        cands = []
        for j, text in enumerate(rec.response):
            scores = tuple(rec.pred_score[j]) if rec.pred_score is not None else None
            cands.append(
                Candidate(split_steps(text), as_answer(rec.pred[j]), bool(rec.score[j]), scores)
            )
        out.append(CandidateProblem(str(rec.idx), rec.question, tuple(cands), rec.gt))
    return out


class _Gsm8kSolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    solution: str
    is_correct: bool


class _Gsm8kExample(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    question: str
    ground_truth: str
    solutions: dict[str, _Gsm8kSolution]


def read_gsm8k_examples(path: str) -> list[CandidateProblem]:
    """GSM8K example model solutions: 4 solutions per test problem, one step per line, ``A: x`` answers."""
    out = []
    for n, (line, obj) in enumerate(read_jsonl(path)):
        missing = [m for m in GSM8K_EXAMPLE_MODELS if m not in obj]
        if missing:
            raise DataFormatError("missing solution", path=path, line=line, field=missing[0])
        body = {k: v for k, v in obj.items() if k not in GSM8K_EXAMPLE_MODELS}
        try:
            rec = _Gsm8kExample.model_validate(
                {**body, "solutions": {m: obj[m] for m in GSM8K_EXAMPLE_MODELS}}
            )
        except ValidationError as e:
            raise _error(e, path, line) from None
        ref = extract_answer(rec.ground_truth, "gsm8k")
        cands = []
        for m in GSM8K_EXAMPLE_MODELS:
            sol = rec.solutions[m]
            steps = tuple(s.strip() for s in sol.solution.split("\n") if s.strip())
            cands.append(Candidate(steps, extract_answer(sol.solution, "gsm8k"), sol.is_correct))
        reference = ref.text if isinstance(ref, Answer) else rec.ground_truth
        out.append(CandidateProblem(f"gsm8k-test-{n}", rec.question, tuple(cands), reference))
    return out
