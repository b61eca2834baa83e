"""ThinkPRM-style verification: a chain that critiques every step and ends each with
``\\boxed{correct}`` or ``\\boxed{incorrect}`` (``../methods/A-scoring.md`` A8).

Steps are shown as ``Step i: <text>`` (from 1, as ThinkPRM renders them) and the
reply is pre-filled with ThinkPRM's opener. ``thinkprm`` reads each verdict by
log-probability, P(correct) / (P(correct) + P(incorrect)) at the ``\\boxed{``
the chain wrote for that step; ``thinkprm-vote8`` samples 8 chains and scores
each step by the share that call it correct.

>>> THINKPRM.rule, THINKPRM_VOTE8.samples
('logprob', 8)
"""

from __future__ import annotations

import dataclasses

from prmkit.scoring.judges.spec import JudgeSpec

__all__ = ["THINKPRM", "THINKPRM_TEMPLATE", "THINKPRM_VOTE8"]

THINKPRM_TEMPLATE = (
    "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n{problem}\n\n"
    "[Solution]\n\n{solution}\n\n"
    "Review and critique each step in the proposed solution to determine whether each step is correct. "
    "Critique every step in order, and end the critique of each step with \\boxed{correct} if the step is "
    "correct or \\boxed{incorrect} if it is not. Stop at the first incorrect step."
)

THINKPRM = JudgeSpec(
    name="thinkprm",
    template=THINKPRM_TEMPLATE,
    step_template="Step {number}: {step}",
    step_joiner="\n",
    verdict="step_verdicts",
    rule="logprob",
    samples=1,
    temperature=0.0,
    max_tokens=2048,
    assistant_prefix="Let's verify step by step:",
    description="ThinkPRM-style chain, per-step \\boxed{correct}/\\boxed{incorrect} read by log-probability",
)

THINKPRM_VOTE8 = dataclasses.replace(
    THINKPRM,
    name="thinkprm-vote8",
    rule="vote",
    samples=8,
    temperature=0.6,
    description="ThinkPRM-style chain, share of 8 sampled chains (T=0.6) calling each step correct",
)
