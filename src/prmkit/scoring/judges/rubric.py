"""A rubric judge: each step is checked against a fixed list of criteria and scored ``\\boxed{k/m}``
(``k`` of the ``m`` criteria met); the step score is ``k / m`` in [0, 1] (0.5 or more: correct).

The criteria are data (:attr:`~prmkit.scoring.judges.JudgeSpec.rubric`); the
default four target the flaws rubric reward models penalise (a wrong
computation, a step that does not follow, a "miracle step" jump to a result,
a step that does not serve the problem). ``rubric`` is one greedy sample;
``rubric-vote4`` averages ``k / m`` over 4 samples (T=0.7).

>>> RUBRIC.render("1+1?", ("1+1=2",)).count("\\n4. ")
1
"""

from __future__ import annotations

import dataclasses

from prmkit.scoring.judges.spec import JudgeSpec

__all__ = ["MATH_RUBRIC", "RUBRIC", "RUBRIC_TEMPLATE", "RUBRIC_VOTE4"]

MATH_RUBRIC = (
    "Every computation and algebraic manipulation in the step is correct.",
    "The step follows from the problem statement and the earlier steps.",
    "The step derives what it states; it does not jump to a result it has not shown.",
    "The step is relevant: it moves the solution toward answering the problem.",
)

RUBRIC_TEMPLATE = (
    "The following is a math problem and a step-by-step solution:\n\n[Math Problem]\n\n{problem}\n\n"
    "[Solution]\n\n{solution}\n\n"
    "Grade every step against this rubric:\n{rubric}\n\n"
    "For each step in order, say briefly which criteria it meets, then give the number of criteria it "
    "meets out of the total as \\boxed{k/m}. Give exactly one such box per step."
)

RUBRIC = JudgeSpec(
    name="rubric",
    template=RUBRIC_TEMPLATE,
    step_template="Step {number}: {step}",
    step_joiner="\n",
    verdict="rubric",
    rule="vote",
    samples=1,
    temperature=0.0,
    max_tokens=2048,
    rubric=MATH_RUBRIC,
    description="rubric judge: 4 criteria per step, \\boxed{k/4} -> k/4; one greedy sample",
)

RUBRIC_VOTE4 = dataclasses.replace(
    RUBRIC,
    name="rubric-vote4",
    samples=4,
    temperature=0.7,
    description="rubric judge, k/4 per step averaged over 4 samples (T=0.7)",
)
