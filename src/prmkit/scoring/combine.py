"""Combine scorers step by step: ``min`` (``"a+b"``) or ``product`` (``"a*b"``).

A combination is itself a :class:`~prmkit.scoring.Scorer`: every member scores
the same batch, and each step gets the minimum (or the product) of its
members' scores. If any member fails on a solution, the combination fails on
that solution with the first member's failure. The typical use pairs the
model-free ``arith`` verifier with a neural PRM, so that a step whose
arithmetic is false scores 0 whatever the model thinks.

>>> from prmkit.scoring.arith import ArithVerifier
>>> from prmkit.types import Solution
>>> both = Combined([ArithVerifier(), ArithVerifier()], rule="product")
>>> both.score([Solution("?", ("1 + 1 = 2", "2 + 2 = 5"))])[0].scores
(1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from prmkit.errors import ConfigError
from prmkit.scoring._backend import Scorer, ScorerInfo, check_batch, scorer_info
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

__all__ = ["Combined", "Rule", "decision_threshold", "split_combination"]

Rule = Literal["min", "product"]
_SYMBOL: dict[str, Rule] = {"+": "min", "*": "product"}


class Combined:
    """Per-step ``min`` or ``product`` of several scorers' step scores.

    ``tokens`` of a combined result is the sum of the members' tokens; its ``judgement`` is the first
    member's that has one (a generative judge's).
    """

    def __init__(self, scorers: Sequence[Scorer], rule: Rule = "min") -> None:
        if len(scorers) < 2:
            raise ConfigError(f"a combination needs at least two scorers, got {len(scorers)}")
        if rule not in ("min", "product"):
            raise ConfigError(f"rule must be 'min' or 'product', got {rule!r}")
        self.scorers = list(scorers)
        self.rule: Rule = rule

    @property
    def identity(self) -> str:
        """``min(a,b)`` over the members' identities: same members and rule, same scores."""
        return f"{self.rule}({','.join(s.identity for s in self.scorers)})"

    @property
    def info(self) -> ScorerInfo:
        """The members; the largest threshold among those that have one; causal when every member is."""
        infos = [scorer_info(s) for s in self.scorers]
        own = [i.threshold for i in infos if i.threshold is not None]
        return ScorerInfo(
            self.identity,
            threshold=max(own) if own else None,
            causal=all(i.causal for i in infos),
            members=tuple(self.scorers),
        )

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        sols = list(solutions)
        per_member = [check_batch(sols, s.score(sols), f"scorer {s.identity}") for s in self.scorers]
        return [self._combine(list(results)) for results in zip(*per_member, strict=True)]

    def _combine(self, results: list[ScoreResult]) -> ScoreResult:
        for r in results:
            if isinstance(r, ScoreFailure):
                return r
        scored = [r for r in results if isinstance(r, StepScores)]
        merge = min if self.rule == "min" else math.prod
        steps = zip(*(r.scores for r in scored), strict=True)
        return StepScores(
            tuple(float(merge(col)) for col in steps),
            tokens=sum(r.tokens for r in scored),
            judgement=next((r.judgement for r in scored if r.judgement is not None), None),
        )


def split_combination(name: str) -> tuple[Rule, list[str]]:
    """``"arith+qwen2.5-math-prm-7b"`` -> ``("min", ["arith", "qwen2.5-math-prm-7b"])``.

    >>> split_combination("arith*math-shepherd")
    ('product', ['arith', 'math-shepherd'])
    """
    used = {sym for sym in _SYMBOL if sym in name}
    if len(used) != 1:
        raise ConfigError(
            f"{name!r}: a combination joins PRM names with '+' (per-step min) or '*' (product), not both"
            if used
            else f"{name!r} is not a combination (no '+' or '*')"
        )
    sym = used.pop()
    parts = [p.strip() for p in name.split(sym)]
    if any(not p for p in parts):
        raise ConfigError(f"{name!r}: empty PRM name in the combination")
    return _SYMBOL[sym], parts


def decision_threshold(scorer: Scorer) -> float:
    """The threshold a scorer's PRM is meant to be read at: its :class:`~prmkit.scoring.ScorerInfo`'s
    ``threshold`` (the spec's, or the one fitted into a head folder given as ``model=``; for a combination,
    the largest among its members that have one), else 0.5.

    >>> from prmkit.scoring import load_prm
    >>> decision_threshold(load_prm("arith"))
    0.5
    """
    threshold = scorer_info(scorer).threshold
    return 0.5 if threshold is None else float(threshold)
