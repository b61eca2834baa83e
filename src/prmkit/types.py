"""The nouns of prmkit. Open this file first.

Glossary
--------
problem
    The question a policy was asked, as plain text (``str``); with its id, gold
    answer and answer format it is a :class:`Problem` (what a policy is run on:
    a search, a labelling job, an RL rollout).
step
    One unit of reasoning in a solution, as plain text (``str``). How a
    solution is cut into steps is the caller's choice (ProcessBench gives its
    steps; Qwen-style policies are split on blank lines); prmkit never re-splits
    steps it was given.
solution
    A problem and the ordered steps written for it (:class:`Solution`).
step scores
    One float per step (:class:`StepScores`), produced by a PRM. For
    probability readouts a score is P(step is correct) in [0, 1]; implicit
    log-ratio PRMs produce unbounded rewards. A scorer returns **exactly** one
    score per step or fails.
step labels
    One label per step: 1.0 = correct, 0.0 = wrong, floats in between for soft
    (Monte Carlo) labels, and :data:`UNLABELLED` (NaN; ``null`` in files) for a
    step whose correctness is unknown. ProcessBench's ``label`` field is a
    different, equivalent encoding: the index of the earliest wrong step, or -1
    if no step is wrong (see :func:`first_error_to_labels`).
stepwise example
    A problem, its steps and their step labels and/or the outcome
    (:class:`StepwiseExample`): TRL's stepwise supervision (``prompt`` /
    ``completions`` / ``labels``), the one in-memory type for labelled steps.
    Labellers return them with their rollout accounting, training reads and
    writes them, and ProcessBench cases convert to them.
judgement
    What a generative judge wrote for one solution (:class:`Judgement`): its
    sampled texts, what each sample's verdict parsed to, tokens and seconds.
    It rides on the step scores or the failure of that solution.
score failure
    A typed, per-solution failure (:class:`ScoreFailure`): the solution is too
    long for the model, has an empty step, and so on. Long runs record the
    failure and go on.

Array names carry their shape letters: ``scores_P_N_S`` is problems x sampled
solutions x steps (ragged).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "UNLABELLED",
    "CodeRun",
    "Dataset",
    "FailureReason",
    "Judgement",
    "Problem",
    "ScoreFailure",
    "ScoreResult",
    "Solution",
    "StepScores",
    "StepwiseExample",
    "first_error_to_labels",
    "from_record",
    "labels_to_first_error",
    "to_record",
]


Dataset = Literal["gsm8k", "math"]
"""The answer format a problem is posed and graded in: a GSM8K number or a MATH ``\\boxed{}`` answer."""


@dataclass(frozen=True)
class Problem:
    """A problem to solve, with its gold answer.

    >>> Problem("gsm8k-train-3", "What is 2 + 3?", "5").dataset
    'gsm8k'
    """

    id: str
    """Unique id (a job keys its rollouts by it); solutions sampled from it are ``{id}-s{j}``."""
    problem: str
    """The problem statement."""
    reference: str
    """The gold final answer."""
    dataset: Dataset = "gsm8k"
    """Which prompt and answer format to use."""


@dataclass(frozen=True)
class Solution:
    """A problem and the steps written for it.

    >>> Solution("1+1?", ("1+1=2", "The answer is 2.")).n_steps
    2
    """

    problem: str
    steps: tuple[str, ...]
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.steps, tuple):
            object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def n_steps(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class CodeRun:
    """One code block a judge wrote and the sandbox ran (GenPRM): which sample and block, the code, the
    sandbox's status (``ok``, ``error``, ``timeout``, ...) and the output the judge was shown (cut short)."""

    sample: int
    block: int
    code: str
    status: str
    output: str

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Judgement:
    """What a generative judge wrote for one solution: every sample's text, what its verdict parsed to
    (``"error: <reason>"`` for a malformed or missing one), the prompt and generated tokens, and seconds.

    >>> j = Judgement(("... \\boxed{1}",), ("1",), prompt_tokens=120, generated_tokens=40, seconds=0.5)
    >>> j.n_failed
    0
    """

    texts: tuple[str, ...]
    verdicts: tuple[str, ...]
    prompt_tokens: int
    generated_tokens: int
    seconds: float
    executions: tuple[CodeRun, ...] = ()
    """The code the judge wrote and the sandbox ran (GenPRM), in order; empty for other judges."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "verdicts", tuple(self.verdicts))
        object.__setattr__(self, "executions", tuple(self.executions))

    @property
    def n_failed(self) -> int:
        """Samples whose verdict did not parse."""
        return sum(v.startswith("error:") for v in self.verdicts)

    def to_record(self) -> dict[str, Any]:
        return {
            "texts": list(self.texts),
            "verdicts": list(self.verdicts),
            "prompt_tokens": self.prompt_tokens,
            "generated_tokens": self.generated_tokens,
            "seconds": self.seconds,
        } | ({"executions": [e.to_record() for e in self.executions]} if self.executions else {})

    @classmethod
    def from_record(cls, rec: Any) -> Judgement:
        """The judgement :meth:`to_record` wrote; a ``ValueError`` naming the field otherwise."""
        try:
            return cls(
                tuple(str(t) for t in rec["texts"]),
                tuple(str(v) for v in rec["verdicts"]),
                int(rec["prompt_tokens"]),
                int(rec["generated_tokens"]),
                float(rec["seconds"]),
                tuple(
                    CodeRun(
                        int(e["sample"]),
                        int(e["block"]),
                        str(e["code"]),
                        str(e["status"]),
                        str(e["output"]),
                    )
                    for e in rec.get("executions", ())
                ),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"field 'judge': expected texts, verdicts, prompt_tokens, generated_tokens, seconds ({e!r})"
            ) from None


@dataclass(frozen=True)
class StepScores:
    """One score per step of one solution.

    ``tokens`` is the number of tokens the PRM read for this solution (0 for
    model-free verifiers; a judge's prompt and generated tokens); it is how the
    verifier's compute is counted. ``judgement`` is what a generative judge wrote.

    >>> StepScores((0.9, 0.2)).scores
    (0.9, 0.2)
    """

    scores: tuple[float, ...]
    tokens: int = 0
    judgement: Judgement | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.scores, tuple):
            object.__setattr__(self, "scores", tuple(float(s) for s in self.scores))

    def __len__(self) -> int:
        return len(self.scores)


FailureReason = Literal[
    "context_length",
    "empty_solution",
    "empty_step",
    "reserved_text",
    "backend_error",
    "verdict_error",
]
"""``verdict_error``: a generative judge wrote no verdict that parses (its texts are in the ``judgement``)."""


@dataclass(frozen=True)
class ScoreFailure:
    """Why one solution got no scores. Returned in place of :class:`StepScores`.

    >>> ScoreFailure("context_length", "4100 tokens > max 4096").ok
    False
    """

    reason: FailureReason
    detail: str
    id: str | None = None
    judgement: Judgement | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return False


ScoreResult = StepScores | ScoreFailure


UNLABELLED = math.nan
"""The label of a step whose correctness is unknown (``null`` in files): read, never trained on."""


def to_record(result: ScoreResult) -> dict[str, Any]:
    """A result as the JSON fields prmkit writes next to a solution: ``step_scores`` and ``tokens``, or
    ``failure`` (``reason`` and ``detail``; the id is the enclosing record's); and ``judge``, a judge's
    :class:`Judgement`, where there is one.

    >>> to_record(StepScores((0.9, 0.2), tokens=30))
    {'step_scores': [0.9, 0.2], 'tokens': 30}
    >>> to_record(ScoreFailure("empty_step", "step 1 is empty", "s1"))
    {'failure': {'reason': 'empty_step', 'detail': 'step 1 is empty'}}
    """
    out: dict[str, Any] = (
        {"failure": {"reason": result.reason, "detail": result.detail}}
        if isinstance(result, ScoreFailure)
        else {"step_scores": list(result.scores), "tokens": result.tokens}
    )
    if result.judgement is not None:
        out["judge"] = result.judgement.to_record()
    return out


def from_record(record: Mapping[str, Any], id: str | None = None) -> ScoreResult:
    """The result :func:`to_record` wrote into ``record`` (other fields are ignored); ``id`` goes to a failure.
    A record holding neither, or malformed fields, is a ``ValueError`` naming the field.

    >>> from_record({"id": "s1", "step_scores": [0.9, 0.2], "tokens": 30})
    StepScores(scores=(0.9, 0.2), tokens=30)
    >>> from_record({"failure": {"reason": "empty_step", "detail": "step 1 is empty"}}, id="s1").reason
    'empty_step'
    """
    failure = record.get("failure")
    if failure is not None:
        if not isinstance(failure, Mapping) or failure.get("reason") not in get_args(FailureReason):
            raise ValueError(
                f"field 'failure': expected {{'reason': one of {get_args(FailureReason)}, 'detail'}}, got {failure!r}"
            )
        return ScoreFailure(
            failure["reason"], str(failure.get("detail", "")), id, _judgement(record)
        )
    scores, tokens = record.get("step_scores"), record.get("tokens", 0)
    if not isinstance(scores, list) or not all(
        isinstance(s, (int, float)) and not isinstance(s, bool) for s in scores
    ):
        raise ValueError(f"field 'step_scores': expected a list of numbers, got {scores!r}")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        raise ValueError(f"field 'tokens': expected an integer >= 0, got {tokens!r}")
    return StepScores(tuple(float(s) for s in scores), tokens=tokens, judgement=_judgement(record))


def _judgement(record: Mapping[str, Any]) -> Judgement | None:
    judge = record.get("judge")
    return None if judge is None else Judgement.from_record(judge)


@dataclass(frozen=True)
class StepwiseExample:
    """A problem, its steps and one label per step and/or the outcome: TRL's stepwise supervision.

    ``labels`` holds one float per step (see *step labels* above), or is None
    when only the outcome is known; ``outcome`` says whether the final answer
    is right (None: unknown).

    >>> ex = StepwiseExample("1+1?", ("1+1=2",), labels=(1.0,))
    >>> ex.first_error
    -1
    >>> StepwiseExample("1+1?", ("1+1=3", "So 3."), labels=(UNLABELLED, 0.0)).to_record()["labels"]
    [None, 0.0]
    """

    prompt: str
    completions: tuple[str, ...]
    labels: tuple[float, ...] | None = None
    outcome: bool | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.completions, tuple):
            object.__setattr__(self, "completions", tuple(self.completions))
        if self.labels is not None and not isinstance(self.labels, tuple):
            object.__setattr__(self, "labels", tuple(float(v) for v in self.labels))

    @classmethod
    def from_first_error(
        cls,
        problem: str,
        steps: Sequence[str],
        first_error: int,
        *,
        outcome: bool | None = None,
        after_error: Literal["truncate", "zero"] = "truncate",
        id: str | None = None,
    ) -> StepwiseExample:
        """An example from an earliest-error label (ProcessBench's ``label``).

        Steps after the first error have unknown correctness: ``truncate`` drops them
        (PRM800K/Lessons practice); ``zero`` labels them wrong.

        >>> StepwiseExample.from_first_error("q", ["a", "b", "c"], 1).labels
        (1.0, 0.0)
        >>> StepwiseExample.from_first_error("q", ["a", "b", "c"], 1, after_error="zero").labels
        (1.0, 0.0, 0.0)
        """
        labels = first_error_to_labels(first_error, len(steps))
        kept = len(steps) if first_error == -1 or after_error == "zero" else first_error + 1
        return cls(problem, tuple(steps[:kept]), labels[:kept], outcome, id)

    @property
    def solution(self) -> Solution:
        return Solution(self.prompt, self.completions, self.id)

    @property
    def first_error(self) -> int:
        """Index of the earliest step labelled below 0.5, or -1 (ProcessBench's ``label``).

        A ``ValueError`` when an unlabelled step comes first: then the earliest error is unknown.
        """
        if self.labels is None:
            raise ValueError("example has no step labels")
        first = labels_to_first_error(self.labels)
        if any(math.isnan(v) for v in self.labels[: len(self.labels) if first == -1 else first]):
            raise ValueError(
                f"example {self.id!r}: an unlabelled step precedes its first error, which is unknown"
            )
        return first

    @property
    def fully_labelled(self) -> bool:
        """Every step has a label (none is :data:`UNLABELLED`)."""
        return self.labels is not None and not any(math.isnan(v) for v in self.labels)

    def to_record(self) -> dict[str, Any]:
        """The stepwise JSON object: ``prompt``, ``completions``, then ``labels``, ``outcome``, ``id`` where set."""
        out: dict[str, Any] = {"prompt": self.prompt, "completions": list(self.completions)}
        if self.labels is not None:
            out["labels"] = [None if math.isnan(v) else float(v) for v in self.labels]
        if self.outcome is not None:
            out["outcome"] = self.outcome
        if self.id is not None:
            out["id"] = self.id
        return out


def first_error_to_labels(first_error: int, n_steps: int) -> tuple[float, ...]:
    """ProcessBench ``label`` -> per-step labels; steps after the first error get 0.

    >>> first_error_to_labels(1, 3)
    (1.0, 0.0, 0.0)
    >>> first_error_to_labels(-1, 2)
    (1.0, 1.0)
    """
    if not -1 <= first_error < n_steps:
        raise ValueError(f"first_error {first_error} outside [-1, {n_steps})")
    if first_error == -1:
        return (1.0,) * n_steps
    return (1.0,) * first_error + (0.0,) * (n_steps - first_error)


def labels_to_first_error(labels: Sequence[float], threshold: float = 0.5) -> int:
    """Per-step labels -> index of the earliest wrong step, or -1.

    >>> labels_to_first_error([1, 1, 0, 1])
    2
    """
    return next((i for i, v in enumerate(labels) if v < threshold), -1)
