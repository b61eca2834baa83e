r"""OpenRLHF's remote reward model protocol: ``prmkit serve`` answers ``--remote_rm_url`` unchanged.

OpenRLHF (tested: ``openrlhf==0.11.2``) POSTs ``{"query": [...], "prompts": [...], "labels": [...]}`` to
each ``--remote_rm_url`` (a comma-separated list is sharded round-robin): ``query`` is the prompt and
the response decoded together with their special tokens, ``prompts`` the prompt as the policy saw it
(chat template applied), ``labels`` the dataset's ``--label_key`` column. It reads ``rewards`` (one
per query, the training reward), ``scores`` (for dynamic filtering and logs) and ``extra_logs``.

Here the response is the query after the prompt, less the special tokens that end it; it is cut into
steps at blank lines, and its reward is the return from the first step under a credit rule, with
``outcome_weight`` times whether the stated answer matches the label. A response without steps, or
one the PRM fails on (a typed failure, or a non-finite score), gets 0 and ``prm_failed = 1`` in
``extra_logs`` (OpenRLHF needs a number).

>>> (s,) = openrlhf_samples(["<|im_start|>user\nWhat is 1 + 1?<|im_end|>\n<|im_start|>assistant\n1 + 1 = 2.\n\nThe answer is: 2<|im_end|>"],
...                         ["<|im_start|>user\nWhat is 1 + 1?<|im_end|>\n<|im_start|>assistant\n"], ["2"])
>>> s.solution.problem, s.solution.steps
('What is 1 + 1?', ('1 + 1 = 2.', 'The answer is: 2'))
>>> from prmkit.types import StepScores
>>> openrlhf_reply([s], [StepScores((1.0, 0.5))], "sum", outcome_weight=1.0)["rewards"]
[2.5]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prmkit.rewards.registry import CREDIT
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, ScoreResult, Solution

__all__ = ["OpenRLHFSample", "openrlhf_reply", "openrlhf_samples"]

_TRAILING_SPECIAL = re.compile(r"(?:\s*(?:<\|[^<>|\s]+\|>|</s>|<eos>|<end_of_turn>))+\s*$")
_USER_TURN = (
    re.compile(r"<\|im_start\|>user\n(.*?)<\|im_end\|>", re.S),  # ChatML (Qwen, SmolLM)
    re.compile(r"<\|start_header_id\|>user<\|end_header_id\|>\n\n(.*?)<\|eot_id\|>", re.S),  # Llama 3
)


@dataclass(frozen=True)
class OpenRLHFSample:
    """One query of a request: the solution to score (None if it has no steps) and its response text."""

    solution: Solution | None
    response: str
    label: str | None


def openrlhf_samples(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any] | None = None
) -> list[OpenRLHFSample]:
    """The solutions of an OpenRLHF request; ``prompts`` and ``labels`` (when given) align with ``queries``.

    >>> openrlhf_samples(["Q: 2 + 2?\\n2 + 2 = 4</s>"], ["Q: 2 + 2?"])[0].solution.steps
    ('2 + 2 = 4',)
    """
    if len(prompts) != len(queries) or (labels is not None and len(labels) != len(queries)):
        n_labels = "no" if labels is None else len(labels)
        raise ValueError(f"{len(queries)} queries, {len(prompts)} prompts and {n_labels} labels: one each per query")
    out = []
    for i, (query, prompt) in enumerate(zip(queries, prompts, strict=True)):
        start = query.find(prompt) if prompt else 0
        response = _TRAILING_SPECIAL.sub("", query[start + len(prompt) :]) if start >= 0 else ""
        steps = split_steps(response)
        label = None if labels is None or labels[i] is None else str(labels[i])
        out.append(OpenRLHFSample(Solution(_problem(prompt), steps) if steps else None, response, label))
    return out


def openrlhf_reply(
    samples: Sequence[OpenRLHFSample],
    results: Sequence[ScoreResult],
    credit: str = "min",
    outcome_weight: float = 0.0,
    **options: Any,
) -> dict[str, Any]:
    """The answer OpenRLHF reads: ``rewards``, ``scores`` (the same) and ``extra_logs``, one entry per
    sample; ``results`` are the PRM's, one per sample with a solution, in order."""
    rule = CREDIT.get(credit)
    todo = [s for s in samples if s.solution is not None]
    if len(results) != len(todo):
        raise ValueError(f"{len(results)} results for {len(todo)} solutions")
    by_sample = dict(zip(map(id, todo), results, strict=True))
    rewards, steps, failed, min_score = [], [], [], []
    for s in samples:
        res = by_sample.get(id(s))
        value = None
        if res is not None and not isinstance(res, ScoreFailure):
            outcome = 0.0
            if outcome_weight and s.label is not None:
                outcome = outcome_weight * float(grade_text(s.response, s.label))
            try:
                value = rule(res.scores, outcome, **options).value
            except ValueError:  # a non-finite score: this sample fails, the others go on
                value = None
        rewards.append(0.0 if value is None else value)
        failed.append(1.0 if value is None else 0.0)
        min_score.append(0.0 if value is None or res is None or isinstance(res, ScoreFailure) else min(res.scores))
        steps.append(float(len(s.solution.steps)) if s.solution is not None else 0.0)
    return {"rewards": rewards, "scores": list(rewards),
            "extra_logs": {"prm_steps": steps, "prm_failed": failed, "prm_min_score": min_score}}


def _problem(prompt: str) -> str:
    """The problem in a prompt: the last user turn of a ChatML or Llama 3 chat, else the prompt."""
    for pattern in _USER_TURN:
        turns = pattern.findall(prompt)
        if turns:
            return str(turns[-1]).strip()
    return prompt.strip()
