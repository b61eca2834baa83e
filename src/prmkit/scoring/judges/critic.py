"""ProcessBench's critic: the judge names the earliest wrong paragraph as ``\\boxed{k}`` (-1: none).

The prompt is the one the ProcessBench paper evaluates LLM critics with
(paragraphs tagged ``<paragraph_i>`` and indexed from 0). ``critic`` is one
greedy sample; ``critic-maj8`` is the paper's protocol for open models:
8 samples at temperature 1, top-p 0.9, majority vote (ties: the first seen).
``critic-logprob`` reads the index distribution at the box the judge wrote;
``critic-direct`` opens the judge's reply with the box and reads it there.

>>> CRITIC.verdict, CRITIC_MAJ8.samples, CRITIC_MAJ8.aggregate
('first_error', 8, 'majority')
"""

from __future__ import annotations

import dataclasses

from prmkit.scoring.judges.spec import JudgeSpec

__all__ = ["CRITIC", "CRITIC_DIRECT", "CRITIC_LOGPROB", "CRITIC_MAJ8", "CRITIC_TEMPLATE"]

CRITIC_TEMPLATE = (
    "The following is a math problem and a solution (split into paragraphs, enclosed with tags and "
    "indexed from 0):\n\n[Math Problem]\n\n{problem}\n\n[Solution]\n\n{solution}\n\n"
    "Your task is to review and critique the solution paragraph by paragraph. Once you identify an error "
    "in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return "
    'the index of -1 (which typically denotes "not found").\n\n'
    "Please put your final answer (i.e., the index) in \\boxed{}."
)

CRITIC = JudgeSpec(
    name="critic",
    template=CRITIC_TEMPLATE,
    step_template="<paragraph_{index}>\n{step}\n</paragraph_{index}>",
    verdict="first_error",
    rule="vote",
    samples=1,
    temperature=0.0,
    max_tokens=1024,
    aggregate="majority",
    description="ProcessBench critic: earliest wrong paragraph as \\boxed{k}, one greedy sample",
)

CRITIC_MAJ8 = dataclasses.replace(
    CRITIC,
    name="critic-maj8",
    samples=8,
    temperature=1.0,
    top_p=0.9,
    description="ProcessBench critic, majority vote over 8 samples at T=1, top-p 0.9 (the paper's open-model protocol)",
)

CRITIC_LOGPROB = dataclasses.replace(
    CRITIC,
    name="critic-logprob",
    rule="logprob",
    aggregate="mean",
    description="ProcessBench critic read by log-probability: P(first error = k) over every k at its \\boxed{",
)

CRITIC_DIRECT = dataclasses.replace(
    CRITIC,
    name="critic-direct",
    assistant_prefix="\\boxed{",
    parse_prefix=True,
    rule="logprob",
    aggregate="mean",
    max_tokens=8,
    description="ProcessBench critic answering at once: P(first error = k) at a \\boxed{ that opens its reply",
)
"""The critic's prompt with the reply opened by ``\\boxed{``: no analysis, the index written at once, and the
distribution over every index read there. A small model that does not follow the critic's format (it
answers a bare ``-1``) still gives graded scores this way; one prompt and a few tokens per solution."""
