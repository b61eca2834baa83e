"""A judge on a tiny real Qwen2 model (``_tiny.py``): the critic with K=3 samples of at most 12 tokens."""

from __future__ import annotations

import dataclasses

from prmkit.generation.hf import HFGenerator
from prmkit.scoring import get_spec
from prmkit.scoring.judges import JudgeScorer, get_judge


def judge_on(model_dir: str, seed: int = 0) -> JudgeScorer:
    judge = dataclasses.replace(get_judge("critic-maj8"), samples=3, max_tokens=12)
    return JudgeScorer(get_spec("judge-critic-maj8"), judge, HFGenerator(model_dir), seed=seed)
