"""A judge as data: the prompt it is given, the verdict grammar it answers in, and how scores are read.

A :class:`JudgeSpec` says nothing about the model or the engine: a PRM spec with
readout ``generative`` names the judge (its ``judge`` field) and the model
(its ``model``), and the ``judge`` backend runs it on any generator.

Score rules:

``vote``
    ``samples`` verifications are sampled (seeded) and each parsed; a sample
    whose verdict does not parse is counted as failed and left out of the vote.
    ``aggregate`` ``mean``: step ``i`` scores the share of parsed samples that
    say it is correct. ``majority`` (critics): the most voted first-error
    index over the parsed samples (ties: the first seen, as
    ``Counter.most_common``) is the verdict, and steps before it score 1.0,
    the rest 0.0 -- ProcessBench's majority-vote protocol, which
    ``eval processbench`` reproduces at any threshold in (0, 1].
``logprob``
    Each of the ``samples`` verifications is generated, then at every verdict
    (just after ``\\boxed{``) the engine is asked for the log-probability of
    each candidate verdict, teacher-forced: P(correct) / (P(correct) +
    P(incorrect)) per step (``step_verdicts``), or, for a critic, the
    distribution over first-error indices, from which step ``i`` scores
    P(index = -1 or index > i). Scores are averaged over the samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from prmkit.errors import ConfigError
from prmkit.scoring.judges.verdicts import VERDICTS

__all__ = ["Aggregate", "JudgeSpec", "Rule"]

Rule = Literal["logprob", "vote"]
Aggregate = Literal["mean", "majority"]


@dataclass(frozen=True)
class JudgeSpec:
    """One judge format.

    >>> from prmkit.scoring.judges import get_judge
    >>> get_judge("critic").render("1+1?", ("1+1=2", "So 2.")).count("<paragraph_")
    2
    """

    name: str
    """Registry key (a PRM spec's ``judge``)."""
    template: str
    """The user message, with ``{problem}`` and ``{solution}`` (the rendered steps)."""
    step_template: str
    """One step: ``{index}`` (from 0), ``{number}`` (from 1) and ``{step}``."""
    verdict: str
    """The verdict grammar, a name in :data:`~prmkit.scoring.judges.verdicts.VERDICTS`."""
    rule: Rule = "vote"
    """How step scores are read (see the module docstring)."""
    samples: int = 1
    """K: verifications per solution."""
    temperature: float = 0.0
    """Sampling temperature of the verifications (0: greedy; K > 1 votes need > 0)."""
    top_p: float = 1.0
    """Nucleus mass of the verifications."""
    max_tokens: int = 1024
    """Most tokens one verification may generate."""
    aggregate: Aggregate = "mean"
    """``vote``: ``mean`` share of samples per step, or the ``majority`` first error (critics only)."""
    step_joiner: str = "\n\n"
    """Text between two rendered steps."""
    system: str | None = None
    """System message (ChatML); ``None``: none."""
    assistant_prefix: str = ""
    """Text the judge's reply starts with (ThinkPRM's "Let's verify step by step:")."""
    parse_prefix: bool = False
    """The ``assistant_prefix`` is part of every sample's text: parsed with it and kept in the judgement. A
    prefix that opens the verdict (``\\boxed{``) makes a direct judge, read without any analysis."""
    description: str = ""
    """One line: the format and its source."""
    rubric: tuple[str, ...] = ()
    """Rubric judges: the criteria, rendered as a numbered list into the template's ``{rubric}``."""
    execute: bool = False
    """GenPRM: run the judge's python blocks in the sandbox and show it their output before it judges."""
    verdict_prefix: str = ""
    """With ``execute``: the text that opens the verdict generation, after the code outputs; verdicts are
    read after its last occurrence only."""
    code_wall_s: float = 5.0
    """With ``execute``: wall-clock limit of one code block, in seconds."""
    max_code_blocks: int = 16
    """With ``execute``: most blocks run per sample (the rest are shown as not run)."""

    def __post_init__(self) -> None:
        problems = []
        if self.verdict not in VERDICTS:
            problems.append(
                f"unknown verdict {self.verdict!r} (available: {', '.join(VERDICTS.names())})"
            )
        if self.rule not in ("logprob", "vote"):
            problems.append(f"rule must be 'logprob' or 'vote', got {self.rule!r}")
        if self.aggregate not in ("mean", "majority"):
            problems.append(f"aggregate must be 'mean' or 'majority', got {self.aggregate!r}")
        if self.aggregate == "majority" and self.verdict != "first_error":
            problems.append("aggregate 'majority' reads first-error verdicts only")
        if self.samples < 1:
            problems.append(f"samples must be >= 1, got {self.samples}")
        if self.samples > 1 and self.temperature == 0:
            problems.append(
                f"{self.samples} greedy samples would all be the same: give a temperature > 0"
            )
        if not self.temperature >= 0 or not 0 < self.top_p <= 1 or self.max_tokens < 1:
            problems.append("temperature >= 0, top_p in (0, 1] and max_tokens >= 1 are required")
        for key in ("{problem}", "{solution}"):
            if key not in self.template:
                problems.append(f"template must contain {key!r}")
        if "{step}" not in self.step_template:
            problems.append("step_template must contain '{step}'")
        if (self.verdict == "rubric") != bool(self.rubric) or (
            bool(self.rubric) != ("{rubric}" in self.template)
        ):
            problems.append(
                "the rubric verdict needs rubric criteria and a '{rubric}' in the template"
            )
        if self.verdict == "rubric" and self.rule != "vote":
            problems.append("rubric scores are read by rule 'vote'")
        if self.execute and (self.verdict != "yes_no" or not self.verdict_prefix.strip()):
            problems.append(
                "a judge that executes code needs verdict 'yes_no' and a verdict_prefix"
            )
        if self.parse_prefix and (not self.assistant_prefix or self.execute):
            problems.append("parse_prefix needs an assistant_prefix and a judge that runs no code")
        if self.execute and (self.code_wall_s <= 0 or self.max_code_blocks < 1):
            problems.append("code_wall_s > 0 and max_code_blocks >= 1 are required")
        if problems:
            raise ConfigError(f"JudgeSpec {self.name!r}: " + "; ".join(problems))

    def render(self, problem: str, steps: tuple[str, ...]) -> str:
        """The ChatML prompt: system, user turn, and the assistant turn opened with ``assistant_prefix``."""
        solution = self.step_joiner.join(
            self.step_template.format(index=i, number=i + 1, step=s) for i, s in enumerate(steps)
        )
        rubric = "\n".join(f"{i}. {c}" for i, c in enumerate(self.rubric, 1))
        fields = {"problem": problem, "solution": solution, "rubric": rubric}
        user = re.sub(r"\{(problem|solution|rubric)\}", lambda m: fields[m.group(1)], self.template)
        system = "" if self.system is None else f"<|im_start|>system\n{self.system}<|im_end|>\n"
        return f"{system}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{self.assistant_prefix}"
