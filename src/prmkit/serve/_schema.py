"""The HTTP bodies of the server, checked with pydantic (unknown fields refused) and against the limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from prmkit.serve.config import ServeConfig
from prmkit.types import ScoreResult, Solution, to_record

__all__ = [
    "OpenRLHFRequest",
    "OpenRLHFSettings",
    "RewardsRequest",
    "ScoreRequest",
    "SolutionIn",
    "check_limits",
    "openrlhf_settings",
    "parse_openrlhf",
    "parse_rewards",
    "parse_score",
    "result_record",
]


class SolutionIn(BaseModel):
    """One solution: a problem and its steps (and, for rewards, its outcome reward)."""

    model_config = ConfigDict(extra="forbid")
    problem: str
    steps: list[str]
    id: str | None = None
    outcome: float = 0.0
    """The outcome reward added at the last step (``/v1/rewards`` only)."""

    def solution(self) -> Solution:
        return Solution(self.problem, tuple(self.steps), self.id)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    solutions: list[SolutionIn]


class RewardsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    solutions: list[SolutionIn]
    rule: str = "min"
    """A credit rule of :data:`prmkit.rewards.CREDIT`."""
    options: dict[str, Any] = Field(default_factory=dict)
    """The rule's keyword options, e.g. ``{"temperature": 0}`` for ``min``."""


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward model request (``openrlhf.utils.agent``, ``openrlhf==0.11.2``)."""

    model_config = ConfigDict(extra="forbid")
    query: list[str]
    """Prompt and response, decoded with their special tokens."""
    prompts: list[str]
    labels: list[Any] | None = None
    """The dataset's ``--label_key`` values: the references for the outcome reward."""


@dataclass(frozen=True)
class OpenRLHFSettings:
    """What OpenRLHF cannot put in its body, read from the URL's query string:
    ``?rule=min&outcome_weight=1&temperature=0`` (every other parameter is an option of the rule)."""

    rule: str = "min"
    outcome_weight: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)


def parse_openrlhf(raw: Any) -> OpenRLHFRequest:
    """An OpenRLHF body: ``{"query": [...], "prompts": [...], "labels": [...]}``."""
    return OpenRLHFRequest.model_validate(raw)


def openrlhf_settings(params: Mapping[str, str]) -> OpenRLHFSettings:
    """The settings in a query string; an option's value is read as JSON when it parses, else as text.

    >>> openrlhf_settings({"rule": "clip", "eta": "0.3", "outcome_weight": "1"})
    OpenRLHFSettings(rule='clip', outcome_weight=1.0, options={'eta': 0.3})
    >>> openrlhf_settings({"outcome_weight": "x"})
    Traceback (most recent call last):
    ...
    ValueError: query parameter outcome_weight: expected a number, got 'x'
    """
    options = {k: _json_or_text(v) for k, v in params.items() if k not in ("rule", "outcome_weight")}
    weight = params.get("outcome_weight", "0")
    try:
        outcome_weight = float(weight)
    except ValueError:
        raise ValueError(f"query parameter outcome_weight: expected a number, got {weight!r}") from None
    return OpenRLHFSettings(params.get("rule", "min"), outcome_weight, options)


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_score(raw: Any) -> ScoreRequest:
    """A score body: ``{"solutions": [...]}``, a list of solutions, or one solution."""
    if isinstance(raw, list):
        raw = {"solutions": raw}
    elif isinstance(raw, dict) and "solutions" not in raw:
        raw = {"solutions": [raw]}
    return ScoreRequest.model_validate(raw)


def parse_rewards(raw: Any) -> RewardsRequest:
    """A rewards body: ``{"solutions": [...], "rule": ..., "options": ...}``, or one solution's fields
    with ``rule`` and ``options`` beside them."""
    if isinstance(raw, dict) and "solutions" not in raw:
        rest = {k: raw[k] for k in ("rule", "options") if k in raw}
        raw = {"solutions": [{k: v for k, v in raw.items() if k not in rest}], **rest}
    return RewardsRequest.model_validate(raw)


def check_limits(solutions: list[SolutionIn], cfg: ServeConfig) -> str | None:
    """The first limit the request breaks, named by its flag; None if it keeps them all.

    >>> check_limits([SolutionIn(problem="?", steps=["a"] * 3)], ServeConfig(max_solution_steps=2, no_auth=True))
    'solution 0 has 3 steps; the limit is 2 (--max-solution-steps)'
    """
    if len(solutions) > cfg.max_solutions:
        return f"the request has {len(solutions)} solutions; the limit is {cfg.max_solutions} (--max-solutions)"
    for i, sol in enumerate(solutions):
        if len(sol.steps) > cfg.max_solution_steps:
            return f"solution {i} has {len(sol.steps)} steps; the limit is {cfg.max_solution_steps} (--max-solution-steps)"
        if len(sol.problem) > cfg.max_step_chars:
            return (f"solution {i}: the problem has {len(sol.problem)} characters; the limit is "
                    f"{cfg.max_step_chars} (--max-step-chars)")
        for k, step in enumerate(sol.steps):
            if len(step) > cfg.max_step_chars:
                return (f"solution {i} step {k} has {len(step)} characters; the limit is "
                        f"{cfg.max_step_chars} (--max-step-chars)")
    return None


def result_record(result: ScoreResult, id: str | None) -> dict[str, Any]:
    """One result as JSON: ``id`` plus :func:`prmkit.types.to_record`'s fields.

    >>> from prmkit.types import ScoreFailure
    >>> result_record(ScoreFailure("empty_step", "step 0 is empty"), "a")
    {'id': 'a', 'failure': {'reason': 'empty_step', 'detail': 'step 0 is empty'}}
    """
    return {"id": id, **to_record(result)}
