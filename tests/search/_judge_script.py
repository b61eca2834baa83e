"""A scripted pairwise judge for tournament orchestration tests (implements the Generator protocol).

Candidate solutions are written ``cand <k>``; the script reads the two candidates from the judge
prompt and answers by a strength table, with optional position bias and malformed verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prmkit.generation import GenerationRequest, Sample

_PAIR = re.compile(r"Solution A:\ncand (\d+)\n\nSolution B:\ncand (\d+)\n")


def candidates(n: int) -> list[str]:
    return [f"cand {k}" for k in range(n)]


class ScriptedJudge:
    """``strength[k]``: the stronger candidate wins; ``biased``: always answers A;
    ``broken``: candidates whose comparisons get a text with no verdict."""

    def __init__(
        self,
        strength: Sequence[float],
        *,
        biased: bool = False,
        broken: frozenset[int] = frozenset(),
    ):
        self.strength = list(strength)
        self.biased = biased
        self.broken = broken
        self.calls: list[list[tuple[int, int]]] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        pairs, out = [], []
        for r in requests:
            m = _PAIR.search(r.prompt)
            assert m is not None, r.prompt
            a, b = int(m.group(1)), int(m.group(2))
            pairs.append((a, b))
            if a in self.broken or b in self.broken:
                text = "Both look plausible; I cannot decide."
            elif self.biased:
                text = "The first one. \\boxed{A}"
            else:
                text = f"Reasoning about {a} and {b}.\n\\boxed{{{'A' if self.strength[a] >= self.strength[b] else 'B'}}}"
            out.append([Sample(text, 5 + a + b, "stop", 100)])
        self.calls.append(pairs)
        return out
