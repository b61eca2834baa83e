"""A PRM as a TRL reward function: ``GRPOTrainer(reward_funcs=prm_reward(scorer, ...))``.

TRL calls a reward function as ``f(prompts=..., completions=..., completion_ids=...,
**columns)`` (the dataset's other columns, and ``trainer_state`` and friends,
come as keywords) and wants one float per completion, or None for one it
cannot score (TRL reads None as NaN and leaves it out of the mean). Here a
completion is cut into steps at blank lines (:func:`prmkit.steps.split_steps`),
scored by the PRM in one batch, and turned into a scalar by a credit rule of
:data:`~prmkit.rewards.CREDIT`: the return from the first step. The outcome
reward is ``outcome_weight`` times whether the completion's stated answer
matches the dataset column ``reference_key``.

Nothing here imports TRL; the signature is TRL's (tested against
``trl==1.16.0``'s ``GRPOTrainer``).

>>> from prmkit.types import Solution, StepScores
>>> class Half:
...     def score(self, solutions):
...         return [StepScores((0.5,) * s.n_steps) for s in solutions]
>>> reward = prm_reward(Half(), credit="sum", outcome_weight=1.0)
>>> reward(prompts=["1 + 1?"], completions=["1 + 1 = 2.\\n\\nThe answer is: 2"], reference=["2"])
[2.0]
>>> reward.__name__
'prm_sum'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from prmkit.rewards.registry import CREDIT
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, ScoreResult, Solution

__all__ = ["RewardFunc", "StepScorer", "prm_reward"]

RewardFunc = Callable[..., list[float | None]]
"""TRL's reward function: ``(prompts, completions, **kwargs) -> list[float | None]``."""


class StepScorer(Protocol):
    """What is needed of a PRM: prmkit's ``Scorer`` contract, ``score`` only."""

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]: ...


def prm_reward(
    scorer: StepScorer,
    credit: str = "min",
    outcome_weight: float = 0.0,
    *,
    reference_key: str = "reference",
    **options: Any,
) -> RewardFunc:
    """A TRL reward function scoring each completion with ``scorer`` under the credit rule ``credit``.

    ``options`` go to the rule (``temperature=`` for ``min``, ``eta=`` for ``clip``, ...); a wrong
    one fails here, not in the middle of training.
    """
    rule = CREDIT.get(credit)
    rule([0.5], 0.0, **options)

    def reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
        texts = [_text(c) for c in completions]
        references = kwargs.get(reference_key) if outcome_weight else None
        if outcome_weight and (references is None or len(references) != len(texts)):
            raise ValueError(
                f"outcome_weight={outcome_weight} needs the dataset column {reference_key!r} "
                f"with one reference per completion; got columns {sorted(kwargs)}"
            )
        sols = [Solution(_problem(p), split_steps(t)) for p, t in zip(prompts, texts, strict=True)]
        todo = [i for i, s in enumerate(sols) if s.n_steps]
        results = scorer.score([sols[i] for i in todo])
        if len(results) != len(todo):
            raise ValueError(f"scorer returned {len(results)} results for {len(todo)} solutions")
        out: list[float | None] = [None] * len(sols)
        for i, res in zip(todo, results, strict=True):
            if isinstance(res, ScoreFailure):
                continue
            if len(res.scores) != sols[i].n_steps:
                raise ValueError(f"completion {i}: {len(res.scores)} scores for {sols[i].n_steps} steps")
            outcome = outcome_weight * float(grade_text(texts[i], str(references[i]))) if references else 0.0
            out[i] = rule(res.scores, outcome, **options).value
        return out

    reward.__name__ = f"prm_{credit}"
    return reward


def _text(completion: Any) -> str:
    """A completion's text: a string, or the contents of a conversational completion's messages."""
    if isinstance(completion, str):
        return completion
    return "".join(str(m.get("content") or "") for m in completion)


def _problem(prompt: Any) -> str:
    """The problem of a prompt: the string, or a conversational prompt's last user message."""
    if isinstance(prompt, str):
        return prompt
    users = [m for m in prompt if m.get("role") == "user"]
    return str((users or list(prompt))[-1].get("content") or "")
