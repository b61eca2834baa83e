r"""Consensus filtering (Qwen "Lessons", D3): keep Monte Carlo labels only where an LLM judge agrees.

The judge (any :class:`~prmkit.generation.Generator`) reads the problem and
the solution's steps as indexed ``<paragraph_i>`` blocks and answers with the
index of the earliest wrong paragraph in ``\boxed{}`` (-1 when none is
wrong), as in ProcessBench's critic prompt. A labelled solution is kept when
the judge's index equals the labels' first error (both -1 included);
otherwise the whole solution is dropped. A verdict that cannot be parsed
drops the solution too.

>>> parse_verdict(r"Paragraph 1 adds wrongly. \boxed{1}"), parse_verdict("no idea") is None
(1, True)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from prmkit.answers import Answer, extract_answer
from prmkit.generation import GenerationRequest, Generator
from prmkit.labeling._types import LabelledSolution
from prmkit.steps import ChatFormat, render_chat

__all__ = ["ConsensusResult", "JudgeVerdict", "consensus_filter", "judge_messages", "judge_solutions", "parse_verdict"]

_TEMPLATE = """The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):

[Math Problem]

{problem}

[Solution]

{paragraphs}

Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found").

Please put your final answer (i.e., the index) in \\boxed{{}}."""


def judge_messages(problem: str, steps: Sequence[str]) -> tuple[dict[str, str], ...]:
    """The judge's chat messages for one solution.

    >>> "<paragraph_1>\\nb\\n</paragraph_1>" in judge_messages("q", ["a", "b"])[0]["content"]
    True
    """
    paragraphs = "\n\n".join(f"<paragraph_{i}>\n{s}\n</paragraph_{i}>" for i, s in enumerate(steps))
    return ({"role": "user", "content": _TEMPLATE.format(problem=problem, paragraphs=paragraphs)},)


def parse_verdict(text: str) -> int | None:
    """The index in the judge's last ``\\boxed{}``; None when there is none or it is not an integer."""
    boxed = extract_answer(text, "boxed")
    if not isinstance(boxed, Answer):
        return None
    m = re.fullmatch(r"\s*(-?\d+)\s*", boxed.text.replace("\\text{", "").replace("}", ""))
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's answer for one solution."""

    id: str
    first_error: int | None
    """Majority index over the judge's samples (ties: the earliest sampled); None if none parsed."""
    votes: tuple[int | None, ...]
    """Each sample's parsed index."""
    tokens: int
    """Tokens the judge generated for this solution."""


def judge_solutions(
    labelled: Sequence[LabelledSolution],
    judge: Generator,
    *,
    chat_format: ChatFormat = "chatml",
    n: int = 1,
    temperature: float = 0.0,
    seed: int = 0,
    max_tokens: int = 1024,
    batch_size: int = 16,
) -> list[JudgeVerdict]:
    """Ask ``judge`` for the earliest wrong step of each solution, ``n`` samples each.

    ``chat_format`` renders the judge's messages (``"plain"``: the user message as is).
    """
    out: list[JudgeVerdict] = []
    for start in range(0, len(labelled), batch_size):
        chunk = labelled[start : start + batch_size]
        requests = [
            GenerationRequest(
                _render(judge_messages(x.example.prompt, x.example.completions), chat_format),
                n=n,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=("<|im_end|>",) if chat_format == "chatml" else (),
                seed=seed + (start + i) * n,
            )
            for i, x in enumerate(chunk)
        ]
        for x, samples in zip(chunk, judge.generate(requests), strict=True):
            votes = tuple(_in_range(parse_verdict(s.text), len(x.example.completions)) for s in samples)
            counts = Counter(v for v in votes if v is not None)
            best = max(counts.values(), default=0)
            first = next((v for v in votes if v is not None and counts[v] == best), None)
            out.append(JudgeVerdict(x.id, first, votes, sum(s.n_tokens for s in samples)))
    return out


def _render(messages: Sequence[dict[str, str]], chat_format: ChatFormat) -> str:
    return render_chat(messages) if chat_format == "chatml" else "\n\n".join(m["content"] for m in messages)


def _in_range(v: int | None, n_steps: int) -> int | None:
    return v if v is not None and -1 <= v < n_steps else None


@dataclass(frozen=True)
class ConsensusResult:
    """Kept solutions (method ``"consensus"``) and every verdict, for reporting."""

    kept: tuple[LabelledSolution, ...]
    verdicts: tuple[JudgeVerdict, ...]

    @property
    def kept_fraction(self) -> float:
        return len(self.kept) / len(self.verdicts) if self.verdicts else 0.0


def consensus_filter(labelled: Sequence[LabelledSolution], verdicts: Sequence[JudgeVerdict]) -> ConsensusResult:
    """Keep each labelled solution whose first error the judge names exactly.

    >>> from prmkit.types import StepwiseExample
    >>> x = LabelledSolution(StepwiseExample("q", ("s0", "s1"), (1.0, 0.0), id="a"), "mc", 1, rollouts=8, rollout_tokens=90)
    >>> res = consensus_filter([x], [JudgeVerdict("a", 1, (1,), 40)])
    >>> res.kept[0].method, res.kept[0].extra["judge_tokens"]
    ('consensus', 40)
    >>> consensus_filter([x], [JudgeVerdict("a", -1, (-1,), 40)]).kept
    ()
    """
    kept = []
    for x, v in zip(labelled, verdicts, strict=True):
        if v.id != x.id:
            raise ValueError(f"verdict for {v.id!r} given for solution {x.id!r}")
        if v.first_error is not None and v.first_error == x.first_error:
            extra = {**x.extra, "labels_from": x.method, "judge_first_error": v.first_error, "judge_tokens": v.tokens}
            kept.append(replace(x, method="consensus", extra=extra))
    return ConsensusResult(tuple(kept), tuple(verdicts))
