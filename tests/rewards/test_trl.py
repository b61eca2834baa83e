"""The TRL adapter: the reward function alone, then one real ``GRPOTrainer`` step on a tiny Llama.

The trainer runs TRL's own code path: it generates with the tiny model, calls
the reward function with its arguments and the dataset's columns, and logs the
rewards; they must be what the credit rule gives for the arith verifier's
scores of the same completions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _require import need_module
from _tiny import save_tiny_lm

from prmkit.errors import UnknownNameError
from prmkit.rewards import CREDIT, min_credit, prm_reward
from prmkit.scoring.arith import ArithVerifier
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, Solution, StepScores

GOOD = "2 + 2 = 4.\n\n4 * 3 = 12.\n\nThe answer is: 12"
BAD = "2 + 2 = 5.\n\n5 * 3 = 15.\n\nThe answer is: 15"


def test_reward_function_scores_steps_with_the_credit_rule() -> None:
    reward = prm_reward(ArithVerifier(), credit="min", outcome_weight=1.0, temperature=0)
    out = reward(prompts=["(2 + 2) * 3?"] * 3, completions=[GOOD, BAD, "   "], reference=["12"] * 3)
    assert out == [pytest.approx(2.0), pytest.approx(-1.0), None]
    chat = reward(
        prompts=[[{"role": "user", "content": "(2 + 2) * 3?"}]],
        completions=[[{"role": "assistant", "content": GOOD}]],
        reference=["12"],
    )
    assert chat == [pytest.approx(2.0)]
    assert prm_reward(ArithVerifier(), credit="sum")(["?"], [GOOD]) == [pytest.approx(3.0)]


def test_reward_function_failures_and_bad_options() -> None:
    class Fails:
        def score(self, solutions: list[Solution]) -> list[StepScores | ScoreFailure]:
            return [ScoreFailure("context_length", "too long") for _ in solutions]

    assert prm_reward(Fails())(["?"], [GOOD]) == [None]
    with pytest.raises(ValueError, match="column 'reference'"):
        prm_reward(ArithVerifier(), outcome_weight=1.0)(["?"], [GOOD], answer=["12"])
    with pytest.raises(TypeError, match="eta"):
        prm_reward(ArithVerifier(), credit="min", eta=0.3)
    with pytest.raises(UnknownNameError):
        prm_reward(ArithVerifier(), credit="mni")


@pytest.fixture()
def one_thread() -> Iterator[None]:
    torch = need_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("WANDB_DISABLED", "true")
        yield
    torch.set_num_threads(threads)


@pytest.mark.slow  # one real GRPO step (~20 s on CPU)
def test_one_grpo_step_through_trl(tmp_path: Path, one_thread: None) -> None:
    need_module("torch")
    trl = need_module("trl", "TRL is not installed: pip install 'prmkit[rl]'")
    datasets = need_module("datasets")
    from prmkit.models.tokenizers import smollm2_tokenizer

    tok = smollm2_tokenizer()
    model_dir = save_tiny_lm(tmp_path / "tiny-llama", "llama", tok)
    data = datasets.Dataset.from_dict(
        {"prompt": ["What is 2 + 2?", "What is 3 * 4?"], "reference": ["4", "12"]}
    )
    inner = prm_reward(ArithVerifier(), credit="min", outcome_weight=1.0)
    calls: list[dict[str, Any]] = []

    def reward(prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float | None]:
        calls.append({"prompts": prompts, "completions": completions, **kwargs})
        return inner(prompts, completions, **kwargs)

    reward.__name__ = inner.__name__
    args = trl.GRPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=12,
        learning_rate=1e-5,
        beta=0.0,
        use_cpu=True,
        bf16=False,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        seed=0,
    )
    trainer = trl.GRPOTrainer(
        model=str(model_dir), reward_funcs=reward, args=args, train_dataset=data, processing_class=tok
    )
    trainer.train()

    assert calls, "TRL never called the reward function"
    call = calls[0]
    n = len(call["completions"])
    assert n == 4 and sorted(call["prompts"]) == sorted(["What is 2 + 2?", "What is 3 * 4?"] * 2)
    assert all(isinstance(c, str) for c in call["completions"])
    assert len(call["completion_ids"]) == n and all(isinstance(i, int) for i in call["completion_ids"][0])
    assert call["reference"] == [{"What is 2 + 2?": "4", "What is 3 * 4?": "12"}[p] for p in call["prompts"]]
    assert "trainer_state" in call

    expected = []
    for p, c, ref in zip(call["prompts"], call["completions"], call["reference"], strict=True):
        steps = split_steps(c)
        if not steps:
            expected.append(math.nan)
            continue
        scores = ArithVerifier().score([Solution(p, steps)])[0]
        assert isinstance(scores, StepScores)
        expected.append(min_credit(scores.scores, float(grade_text(c, ref))).value)
    logged = list(trainer._logs["rewards"]["prm_min"])
    assert logged == pytest.approx(expected, nan_ok=True)
    means = [h["rewards/prm_min/mean"] for h in trainer.state.log_history if "rewards/prm_min/mean" in h]
    finite = [e for e in expected if not math.isnan(e)]
    assert means and means[0] == pytest.approx(sum(finite) / len(finite), rel=1e-5)
    assert CREDIT.get("min") is min_credit
