"""The verl adapter through verl's own code (``verl==0.9.1``): a real ``DataProto``, the SmolLM2 tokenizer,
the reward manager loaded from a verl trainer config by verl's ``RewardLoopWorker``, its scores taken as
the trainer takes them (``extract_reward``, ``compute_advantage`` with GRPO), the batch manager from
verl's registry, and its token-level rewards fed to verl's GRPO and REINFORCE++ estimators.

The token positions and values are checked against prmkit's step -> token mapping on the same texts
(``rewards.tokens``, the reference procedure) and against a golden file.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _golden import update_golden
from _require import need_module

from prmkit.rewards import CREDIT, place_at_step_ends, tokenize_steps
from prmkit.scoring.arith import ArithVerifier
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, Solution, StepScores

torch = need_module("torch")
need_module("verl", "verl is not installed: bash scripts/install.sh dev (verl is installed with --no-deps)")
from tensordict import TensorDict  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.experimental.reward_loop.reward_loop import RewardLoopWorker  # noqa: E402
from verl.trainer.config import AlgoConfig  # noqa: E402
from verl.trainer.ppo import core_algos  # noqa: E402
from verl.trainer.ppo.ray_trainer import compute_advantage  # noqa: E402
from verl.trainer.ppo.reward import extract_reward, resolve_reward_manager_cls  # noqa: E402
from verl.workers.reward_manager import get_reward_manager_cls  # noqa: E402

from prmkit.rewards.verl import (  # noqa: E402
    PRMBatchRewardManager,
    PRMRewardManager,
    VerlRewardSettings,
    response_rewards,
)

pytestmark = pytest.mark.slow  # importing verl takes seconds

GOLDEN = Path(__file__).parent / "golden" / "verl.json"
PROBLEM = "What is (2 + 2) * 3?"
RESPONSES = [
    "2 + 2 = 4.\n\n4 * 3 = 12.\n\nThe answer is: 12",
    "2 + 2 = 5.\n\n5 * 3 = 15.\n\nThe answer is: 15",
    "(2 + 2) * 3 = 12.\n\n\nThe answer is: 12",
    "   ",
]
KWARGS = {"prm": "arith", "credit": "min", "credit_options": {"temperature": 0.1}, "outcome_weight": 1.0}


@pytest.fixture(scope="module")
def tok() -> Any:
    need_module("transformers")
    from prmkit.models.tokenizers import smollm2_tokenizer

    return smollm2_tokenizer()


def _batch(tok: Any) -> DataProto:
    """Left-padded prompts, right-padded responses ending in EOS, as verl's rollout hands them over."""
    prompt = tok.apply_chat_template([{"role": "user", "content": PROBLEM}], tokenize=False, add_generation_prompt=True)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    r_ids = [tok(r, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for r in RESPONSES]
    P, R, pad = len(p_ids) + 2, max(map(len, r_ids)) + 3, tok.pad_token_id or 0
    prompts = torch.full((len(RESPONSES), P), pad)
    prompts[:, P - len(p_ids) :] = torch.tensor(p_ids)
    responses = torch.full((len(RESPONSES), R), pad)
    mask = torch.zeros((len(RESPONSES), P + R), dtype=torch.long)
    mask[:, P - len(p_ids) : P] = 1
    for i, ids in enumerate(r_ids):
        responses[i, : len(ids)] = torch.tensor(ids)
        mask[i, P : P + len(ids)] = 1
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": responses, "attention_mask": mask,
                 "input_ids": torch.cat([prompts, responses], dim=1)},
        non_tensors={"data_source": np.array(["arith"] * len(RESPONSES), dtype=object),
                     "reward_model": np.array([{"ground_truth": "12", "style": "rule"}] * len(RESPONSES), dtype=object),
                     "uid": np.array(["q0", "q0", "q0", "q1"], dtype=object)},
    )


def _expected(tok: Any, width: int) -> np.ndarray:
    """The reference: arith scores, the min-form rule and ``tokenize_steps`` on each response's text."""
    rows = np.zeros((len(RESPONSES), width))
    for i, text in enumerate(RESPONSES):
        steps = split_steps(text)
        if not steps:
            continue
        (scores,) = ArithVerifier().score([Solution(PROBLEM, steps)])
        assert isinstance(scores, StepScores)
        credit = CREDIT.get("min")(scores.scores, float(grade_text(text, "12")), temperature=0.1)
        ids, spans = tokenize_steps(tok, text, steps)
        rows[i, : len(ids)] = place_at_step_ends(credit.rewards, [b - 1 for _, b in spans], len(ids))
    return rows


def _verl_config(tok_dir: Path) -> Any:
    """verl's own PPO trainer config with the reward keys of docs/rewards.md."""
    import verl
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml")
    cfg.actor_rollout_ref.model.path = str(tok_dir)
    cfg.reward.reward_manager.source = "importlib"
    cfg.reward.reward_manager.name = "PRMRewardManager"
    cfg.reward.reward_manager.module.path = "pkg://prmkit.rewards.verl"
    cfg.reward.num_workers = 1
    cfg.reward.reward_kwargs = KWARGS
    return cfg


def test_the_batch_manager_puts_step_rewards_on_step_end_tokens(tok: Any) -> None:
    data = _batch(tok)
    manager = get_reward_manager_cls("prmkit")(tokenizer=tok, num_examine=0, **KWARGS)
    assert isinstance(manager, PRMBatchRewardManager)
    out = manager(data, return_dict=True)
    tensor = out["reward_tensor"]
    assert tensor.shape == data.batch["responses"].shape and tensor.dtype == torch.float32
    expected = _expected(tok, tensor.shape[1])
    np.testing.assert_allclose(tensor.numpy(), expected, atol=1e-6)
    assert out["reward_extra_info"]["prm_steps"] == [3.0, 3.0, 2.0, 0.0]
    assert out["reward_extra_info"]["prm_failed"] == [0.0, 0.0, 0.0, 1.0]
    assert torch.equal(manager(data), tensor)

    golden = {"positions": [np.flatnonzero(r).tolist() for r in expected],
              "values": [np.round(r[r != 0], 6).tolist() for r in expected]}
    text = json.dumps(golden, indent=1) + "\n"
    update_golden(GOLDEN, text)
    assert json.loads(GOLDEN.read_text(encoding="utf-8")) == golden

    # verl's estimators consume it: REINFORCE++ returns at the step ends are the rule's returns
    algo = AlgoConfig(gamma=1.0)
    mask = (data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :]).float()
    _, returns = core_algos.get_adv_estimator_fn("reinforce_plus_plus")(
        token_level_rewards=tensor, response_mask=mask, config=algo)
    first = CREDIT.get("min")([1.0, 1.0, 1.0], 1.0, temperature=0.1)
    assert returns[0, golden["positions"][0]].tolist() == pytest.approx(first.returns.tolist(), abs=1e-6)
    assert returns[0, 0].item() == pytest.approx(first.value, abs=1e-6) == pytest.approx(2.0)


def test_verl_trainer_path_loads_the_manager_and_grpo_consumes_it(tok: Any, tmp_path: Path) -> None:
    data = _batch(tok)
    tok.save_pretrained(str(tmp_path / "tok"))
    cfg = _verl_config(tmp_path / "tok")
    assert resolve_reward_manager_cls(cfg) is PRMRewardManager
    worker = RewardLoopWorker(cfg)  # what verl's RewardLoopManager runs as a Ray actor
    assert isinstance(worker.reward_manager, PRMRewardManager)
    outputs = asyncio.run(worker.compute_score_batch(data))
    scores = [o["reward_score"] for o in outputs]
    expected = _expected(tok, data.batch["responses"].shape[1])
    assert scores == pytest.approx(expected.sum(axis=1).tolist(), abs=1e-6)
    assert [o["reward_extra_info"]["prm_failed"] for o in outputs] == [0.0, 0.0, 0.0, 1.0]
    # what RewardLoopManager.compute_rm_score hands back, and the trainer's fit loop does with it
    rm_scores = PRMRewardManager.assemble_rm_scores(data, scores)
    extra = [o["reward_extra_info"] for o in outputs]
    batch = data.union(DataProto(
        batch=TensorDict({"rm_scores": rm_scores}, batch_size=len(data)),
        non_tensor_batch={k: np.array([e[k] for e in extra]) for k in extra[0]},
        meta_info={"reward_extra_keys": list(extra[0])},
    ))
    reward_tensor, extra_infos = extract_reward(batch)
    assert extra_infos["prm_steps"].tolist() == [3.0, 3.0, 2.0, 0.0]
    batch.batch["token_level_scores"] = reward_tensor
    batch.batch["token_level_rewards"] = batch.batch["token_level_scores"]
    batch = compute_advantage(batch, adv_estimator="grpo", num_repeat=3, config=AlgoConfig())
    adv_end = batch.batch["advantages"]

    cfg.reward.reward_manager.source = "register"
    cfg.reward.reward_manager.name = "prmkit"
    assert resolve_reward_manager_cls(cfg) is PRMRewardManager

    token_level = PRMBatchRewardManager(tok, **KWARGS)(data)
    mask = (data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :]).float()
    adv_tok, _ = core_algos.get_adv_estimator_fn("grpo")(
        token_level_rewards=token_level, response_mask=mask, index=data.non_tensor_batch["uid"])
    torch.testing.assert_close(adv_end, adv_tok)
    group = torch.tensor(scores[:3])
    want = (group - group.mean()) / (group.std() + 1e-6)
    assert adv_tok[:3, 0].tolist() == pytest.approx(want.tolist(), abs=1e-5)
    assert adv_tok[3].abs().sum().item() == 0.0  # a group of one has no advantage


def test_bad_settings_are_config_errors(tok: Any) -> None:
    from prmkit.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown key 'credit_option'"):
        PRMBatchRewardManager(tok, prm="arith", credit_option={})
    with pytest.raises(ConfigError, match="eta"):
        PRMBatchRewardManager(tok, prm="arith", credit="min", credit_options={"eta": 0.3})
    with pytest.raises(ConfigError, match="prm"):
        PRMBatchRewardManager(tok)


def test_a_response_split_into_tokens_the_tokenizer_would_not_make(tok: Any) -> None:
    """Re-tokenizing the text does not give these ids back, so each token's span comes from decoding prefixes."""
    text, steps = RESPONSES[0], split_steps(RESPONSES[0])
    ids = [i for ch in text for i in tok(ch, add_special_tokens=False)["input_ids"]] + [tok.eos_token_id]
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok(text, add_special_tokens=False)["input_ids"] != ids[:-1]
    settings = VerlRewardSettings.from_kwargs(KWARGS)
    (r,) = response_rewards(settings, ArithVerifier(), tok, [PROBLEM], [ids], ["12"])
    ends = np.flatnonzero(r.tokens_T)
    assert [tok.decode(ids[: e + 1]) for e in ends] == [text[: text.find(s) + len(s)] for s in steps]
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert r.tokens_T[ends].tolist() == pytest.approx(golden["values"][0], abs=1e-6)
    assert r.tokens_T.size == len(ids) and not r.failed and r.n_steps == 3


def test_a_failure_or_a_nan_score_fails_that_response_only(tok: Any) -> None:
    class Odd:
        def score(self, solutions: list[Solution]) -> list[StepScores | ScoreFailure]:
            return [ScoreFailure("context_length", "too long"), StepScores((float("nan"),) * 3),
                    StepScores((1.0, 1.0, 1.0))][: len(solutions)]

    settings = VerlRewardSettings.from_kwargs(KWARGS)
    ids = [tok(RESPONSES[0], add_special_tokens=False)["input_ids"]] * 3
    rewards = response_rewards(settings, Odd(), tok, [PROBLEM] * 3, ids, ["12"] * 3)
    assert [r.failed for r in rewards] == [True, True, False]
    assert [r.value for r in rewards] == [0.0, 0.0, pytest.approx(2.0)]
