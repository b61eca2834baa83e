"""A judge on a tiny real Qwen2 model (``_tiny.py``): the critic with K=3 samples of at most 12 tokens."""

from __future__ import annotations

import dataclasses

from prmkit.generation.hf import HFGenerator
from prmkit.scoring import get_spec
from prmkit.scoring.judges import JudgeScorer, get_judge


def judge_on(model: str | HFGenerator, seed: int = 0) -> JudgeScorer:
    """The judge on the model in a folder, or on an already loaded generator."""
    judge = dataclasses.replace(get_judge("critic-maj8"), samples=3, max_tokens=12)
    gen = model if isinstance(model, HFGenerator) else HFGenerator(model)
    return JudgeScorer(get_spec("judge-critic-maj8"), judge, gen, seed=seed)
