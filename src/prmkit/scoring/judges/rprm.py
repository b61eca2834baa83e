"""Analyse, then judge (R-PRM style): a free analysis of every step, then a ``## Verdicts`` section with
one ``\\boxed{Yes}``/``\\boxed{No}`` per step, parsed strictly (:func:`~prmkit.scoring.judges.verdicts.rprm_verdicts`).

The prompt is prmkit's, not R-PRM's training template (R-PRM's model analyses
and judges one step per turn); a box inside the analysis is never read as a
verdict. ``rprm`` is one greedy sample, ``rprm-vote4`` the share of 4 samples
(T=0.7) saying Yes.

>>> RPRM.verdict, RPRM_VOTE4.samples
('rprm', 4)
"""

from __future__ import annotations

import dataclasses

from prmkit.scoring.judges.spec import JudgeSpec

__all__ = ["RPRM", "RPRM_TEMPLATE", "RPRM_VOTE4"]

RPRM_TEMPLATE = (
    "The following is a math problem and a step-by-step solution:\n\n[Math Problem]\n\n{problem}\n\n"
    "[Solution]\n\n{solution}\n\n"
    "First, under the heading ## Analysis, analyse every step in order: restate what it claims, check its "
    "computation and its logic against the problem and the earlier steps. Then, under the heading "
    "## Verdicts, give one verdict per step in order: \\boxed{Yes} if the step is correct, \\boxed{No} if "
    "it is not. Stop at the first incorrect step."
)

RPRM = JudgeSpec(
    name="rprm",
    template=RPRM_TEMPLATE,
    step_template="Step {number}: {step}",
    step_joiner="\n",
    verdict="rprm",
    rule="vote",
    samples=1,
    temperature=0.0,
    max_tokens=2048,
    assistant_prefix="## Analysis\n",
    description="R-PRM style: ## Analysis of every step, then ## Verdicts \\boxed{Yes}/\\boxed{No}; one greedy sample",
)

RPRM_VOTE4 = dataclasses.replace(
    RPRM,
    name="rprm-vote4",
    samples=4,
    temperature=0.7,
    description="R-PRM style analyse-then-judge, share of 4 samples (T=0.7) saying Yes",
)
