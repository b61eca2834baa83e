"""A deterministic step policy and PRM for the search tests (implement the Generator and Scorer shapes).

Every step the policy writes carries a value in [0, 1) drawn from its sample
seed, ``Step k: value 0.713 with some more words``, and the stub PRM scores a
step by that value: which beams a search keeps, rejects or resamples is known
exactly from the seeds. Step ``depth`` states the answer, right when its value
is above 0.5. A step is 8 words (one word = one token); a sample cut by
``max_tokens`` keeps its first words (an unfinished step).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from prmkit.generation import GenerationRequest, Sample, sample_seed
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

ASSISTANT = "<|im_start|>assistant\n"


def unit(*parts: object) -> float:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "big") / 2**32


def step_text(k: int, v: float, depth: int, reference: str) -> str:
    if k == depth:
        return f"Step {k}: value {v:.3f} so the answer is: {reference if v > 0.5 else int(reference) + 1}"
    return f"Step {k}: value {v:.3f} with some more words"


class StepPolicy:
    """``references[problem] = reference``; solutions have ``depth[problem]`` steps (default 3)."""

    def __init__(self, references: dict[str, str], depth: dict[str, int] | None = None,
                 bias: dict[str, float] | None = None) -> None:
        self.references, self.depth, self.bias = references, depth or {}, bias or {}
        self.calls = 0
        self.batches: list[int] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.calls += 1
        self.batches.append(sum(r.n for r in requests))
        out = []
        for r in requests:
            head, reply = r.prompt.rsplit(ASSISTANT, 1)
            problem = head.rsplit("<|im_start|>user\n", 1)[1].split("\n", 1)[0]
            problem = problem.removeprefix("Problem: ")
            pieces = reply.split("\n\n")
            done_steps, partial = len(pieces) - 1, pieces[-1]
            depth, ref = self.depth.get(problem, 3), self.references[problem]
            samples = []
            for j in range(r.n):
                seed = sample_seed(r, j)
                k = done_steps + 1
                words: list[str] = []
                texts = []
                while k <= depth:
                    v = min(0.999, unit(seed, k) * (1 - self.bias.get(problem, 0)) + self.bias.get(problem, 0))
                    full = step_text(k, v, depth, ref)
                    if partial and k == done_steps + 1:
                        full = full[len(partial):] if full.startswith(partial) else " " + full
                    texts.append(full)
                    if "\n\n" in r.stop:
                        break
                    k += 1
                text = "\n\n".join(texts)
                words = text.split(" ")
                finish = "stop"
                if len(words) > r.max_tokens:
                    words, finish = words[: r.max_tokens], "length"
                samples.append(Sample(" ".join(words), len(words), finish, 50 + len(reply.split(" "))))
            out.append(samples)
        return out


class ValuePRM:
    """Scores each step by the value written in it (0.5 when it shows none); counts the tokens it reads."""

    identity = "stub:value-prm"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        self.calls.append(len(solutions))
        out: list[ScoreResult] = []
        for s in solutions:
            if not s.steps:
                out.append(ScoreFailure("empty_solution", "no steps", s.id))
                continue
            scores = []
            for step in s.steps:
                m = re.search(r"value (\d\.\d+)", step)
                scores.append(float(m.group(1)) if m else 0.5)
            out.append(StepScores(tuple(scores), tokens=sum(len(st.split(" ")) for st in s.steps)))
        return out
