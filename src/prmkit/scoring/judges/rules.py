"""A judge's score rules (:mod:`prmkit.scoring.judges.spec`): step scores from parsed verdicts, by vote or by
the engine's log-probabilities of the verdicts at the boxes the judge wrote."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from prmkit.scoring.judges.verdicts import FirstError, StepVerdicts, Verdict

__all__ = ["logprob_scores", "vote_scores"]


def vote_scores(aggregate: str, verdicts: Sequence[Verdict], n: int) -> tuple[float, ...]:
    """``majority``: steps before the most voted first error (ties: the first seen) score 1, the rest 0;
    ``mean``: each step's mean score over the verdicts.

    >>> vote_scores("majority", [FirstError(1, 0, 3), FirstError(2, 0, 3), FirstError(1, 0, 3)], 3)
    (1.0, 0.0, 0.0)
    """
    if aggregate == "majority":
        firsts = [v.index for v in verdicts if isinstance(v, FirstError)]
        winner = Counter(firsts).most_common(1)[0][0]  # ties: the first seen
        return tuple(1.0 if ok else 0.0 for ok in FirstError(winner, 0, n).labels)
    per = [v.scores for v in verdicts]
    return tuple(math.fsum(col) / len(per) for col in zip(*per, strict=True))


def logprob_scores(
    generator: Any, prompt: str, pairs: Sequence[tuple[str, Verdict]]
) -> tuple[float, ...]:
    """The mean over samples ``(text, verdict)`` of each sample's step scores read at its boxes."""
    per = [_one(generator, prompt, text, v) for text, v in pairs]
    return tuple(math.fsum(col) / len(per) for col in zip(*per, strict=True))


def _one(gen: Any, prompt: str, text: str, verdict: Verdict) -> tuple[float, ...]:
    """One sample's step scores from the probabilities of the verdicts at the sample's boxes."""
    if isinstance(verdict, FirstError):
        # P(first error = k) over k = -1, 0, ..., n-1; step i scores P(k = -1 or k > i)
        lps = gen.continuation_logprobs(
            prompt + text[: verdict.at], [f"{k}}}" for k in range(-1, verdict.n_steps)]
        )
        top = max(lps)
        p = [math.exp(lp - top) for lp in lps]
        total = math.fsum(p)
        return tuple((p[0] + math.fsum(p[i + 2 :])) / total for i in range(verdict.n_steps))
    out: list[float] = []
    assert isinstance(verdict, StepVerdicts)  # rubric scores are read by vote (JudgeSpec)
    for at in verdict.at:
        good, bad = gen.continuation_logprobs(prompt + text[:at], [f"{w}}}" for w in verdict.words])
        out.append(1.0 / (1.0 + math.exp(min(700.0, bad - good))))
    # the chain stopped at an incorrect step: the steps after it are wrong (ProcessBench's convention)
    return tuple(out + [0.0] * (verdict.n_steps - len(out)))
