"""A deterministic scripted policy for job and sampling tests (implements the Generator protocol).

The rollout from a prefix of ``t`` steps of problem ``q`` is correct iff
``u(seed) < p[q][t]`` where ``u`` is a hash of the sample's seed in [0, 1):
correctness is a known function of the prefix and the seed, so two runs with
the same seeds give the same rollouts, and the test knows the true MC values.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence

from prmkit.generation import GenerationRequest, Sample, sample_seed
from prmkit.steps import parse_solution, split_steps

ASSISTANT = "<|im_start|>assistant\n"


def unit_interval(seed: int) -> float:
    return int.from_bytes(hashlib.sha256(str(seed).encode()).digest()[:4], "big") / 2**32


def parse_prompt(prompt: str) -> tuple[str, tuple[str, ...]]:
    """(problem, prefix steps) of a ChatML rollout prompt."""
    head, prefix = prompt.rsplit(ASSISTANT, 1)
    problem = head.rsplit("Problem: ", 1)[1].split("\n\n", 1)[0]
    return problem, split_steps(prefix)


class ScriptedPolicy:
    """``table[problem] = (reference, p)`` with ``p[t]`` = P(correct) from a t-step prefix.

    ``log_path``: every sampled seed is appended (fsynced) to this file as the batch returns.
    """

    def __init__(self, table: Mapping[str, tuple[str, Sequence[float]]], log_path: str | None = None) -> None:
        self.table = dict(table)
        self.log_path = log_path
        self.calls = 0
        self.samples = 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.calls += 1
        out, seeds = [], []
        for r in requests:
            problem, prefix = parse_prompt(r.prompt)
            ref, probs = self.table[problem]
            t = len(prefix)
            samples = []
            for j in range(r.n):
                seed = sample_seed(r, j)
                assert seed is not None
                ok = unit_interval(seed) < probs[t]
                answer = ref if ok else str(int(ref) + 1)
                text = f"So we continue from step {t}.\n\nThe answer is: {answer}"
                samples.append(Sample(text=text, n_tokens=10 + t, finish_reason="stop", n_prompt_tokens=100 + t))
                seeds.append(seed)
            out.append(samples)
        self.samples += len(seeds)
        if self.log_path is not None:
            with open(self.log_path, "a") as fh:
                fh.write("".join(f"{s}\n" for s in seeds))
                fh.flush()
                os.fsync(fh.fileno())
        return out


def exact_grader(text: str, reference: str) -> bool:
    """Grade by the stated answer string (scripted answers need no equivalence)."""
    return parse_solution(text).answer == reference
