"""Generative judges as PRMs: a judge format (prompt, verdict grammar, score rule) run on any generator.

A PRM spec with readout ``generative`` names a judge (:data:`JUDGES`) and a
model; the ``judge`` backend runs it on llama.cpp (default), transformers,
vLLM or an OpenAI-compatible server. Verdicts are parsed strictly
(:mod:`~prmkit.scoring.judges.verdicts`); step scores come from the verdict
tokens' probabilities (``logprob``) or from votes over K seeded samples
(``vote``); every result carries the judge's :class:`~prmkit.types.Judgement`.
See ``docs/judges.md``.

>>> sorted(JUDGES)
['critic', 'critic-direct', 'critic-logprob', 'critic-maj8', 'genprm', 'genprm-logprob', 'genprm-vote8', 'rprm', 'rprm-vote4', 'rubric', 'rubric-vote4', 'thinkprm', 'thinkprm-vote8']
"""

from __future__ import annotations

from prmkit.scoring.judges.build import build_judge
from prmkit.scoring.judges.registry import JUDGES, get_judge
from prmkit.scoring.judges.scorer import JudgeScorer, solution_seed
from prmkit.scoring.judges.spec import JudgeSpec
from prmkit.scoring.judges.verdicts import (
    VERDICTS,
    FirstError,
    RubricScores,
    StepVerdicts,
    VerdictError,
    first_error,
    step_verdicts,
)

__all__ = [
    "JUDGES",
    "VERDICTS",
    "FirstError",
    "JudgeScorer",
    "JudgeSpec",
    "RubricScores",
    "StepVerdicts",
    "VerdictError",
    "build_judge",
    "first_error",
    "get_judge",
    "solution_seed",
    "step_verdicts",
]
