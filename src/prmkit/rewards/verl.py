"""A PRM as verl's reward: reward managers that score steps and put the step rewards on tokens.

verl (tested: ``verl==0.9.1``) computes rewards with a *reward manager*. Its trainer builds one with
``verl.trainer.ppo.reward.load_reward_manager`` from ``config.reward.reward_manager`` and calls
``run_single`` once per response; :class:`PRMRewardManager` is that manager. It decodes the
response, cuts it into steps at blank lines, scores the steps with a prmkit PRM and returns the
return from the first step under a credit rule of :data:`~prmkit.rewards.CREDIT` (the outcome
reward included), which verl's trainer puts on the response's last token.

verl's older interface, the batch reward manager of ``verl.workers.reward_manager``
(``manager(data, return_dict=True) -> {"reward_tensor", "reward_extra_info"}``), takes token-level
rewards: :class:`PRMBatchRewardManager` scores the whole batch in one call and puts each step's
reward on the step's last token (:func:`~prmkit.rewards.place_at_step_ends`). The row sums are the
values :class:`PRMRewardManager` returns, so an outcome-level estimator (GRPO, RLOO) gives the same
advantages from either; a per-token one (REINFORCE++, GAE) needs the token-level tensor.

Settings come from ``config.reward.reward_kwargs`` (``docs/rewards.md`` has the verl command line):
``prm`` (a PRM name for ``loader``, e.g. ``arith`` or a ``prmkit serve`` URL), ``prm_options``,
``credit``, ``credit_options``, ``outcome_weight`` (times whether the stated answer matches the
sample's ``reward_model.ground_truth``) and ``loader`` (``"module:function"`` building the scorer,
default ``prmkit.scoring:load_prm``). A response without steps, or one the PRM fails on, gets 0 and
``prm_failed = 1`` in the extra info.

Importing this module registers both managers under the name ``prmkit`` in verl's registries.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prmkit._extras import require
from prmkit.errors import ConfigError, MissingExtraError
from prmkit.rewards.credit import FloatArray
from prmkit.rewards.registry import CREDIT
from prmkit.rewards.tokens import place_at_step_ends, step_token_spans
from prmkit.rewards.trl import StepScorer
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, Solution

NO_DEPS = "verl==0.9.1 tensordict==0.10.0 pyvers==0.1.0"
"""What ``requirements/rl-nodeps.txt`` installs for verl, without dependencies."""

torch = require("torch", extra="hf")
try:
    _loop = require("verl.experimental.reward_loop.reward_manager", extra="rl-verl", package="verl")
    _loop_base = require("verl.experimental.reward_loop.reward_manager.base", extra="rl-verl", package="verl")
    _legacy = require("verl.workers.reward_manager", extra="rl-verl", package="verl")
    _legacy_base = require("verl.workers.reward_manager.abstract", extra="rl-verl", package="verl")
except MissingExtraError as e:  # verl's own pins do not install beside prmkit's: it comes without them
    raise MissingExtraError(f"{e}, then: pip install --no-deps {NO_DEPS}") from e
_LoopBase: Any = _loop_base.RewardManagerBase
_LegacyBase: Any = _legacy_base.AbstractRewardManager

__all__ = [
    "NO_DEPS",
    "PRMBatchRewardManager",
    "PRMRewardManager",
    "ResponseReward",
    "VerlRewardSettings",
    "response_rewards",
]


@dataclass(frozen=True)
class VerlRewardSettings:
    """The prmkit part of a verl config: ``config.reward.reward_kwargs``.

    >>> VerlRewardSettings.from_kwargs({"prm": "arith", "credit": "clip"}).credit
    'clip'
    >>> VerlRewardSettings.from_kwargs({"prm": "arith", "creditt": "min"})
    Traceback (most recent call last):
    ...
    prmkit.errors.ConfigError: reward.reward_kwargs: unknown key 'creditt'; known: credit, credit_options, loader, outcome_weight, prm, prm_options
    """

    prm: str
    """The PRM: a name ``loader`` understands (``arith``, a catalog name, ``http://host:port/NAME``)."""
    credit: str = "min"
    """A credit rule of :data:`prmkit.rewards.CREDIT`."""
    outcome_weight: float = 0.0
    """The outcome reward: this weight times whether the stated answer matches ``ground_truth``."""
    prm_options: Mapping[str, Any] = field(default_factory=dict)
    """Keywords for ``loader`` (``device``, ``dtype``, ``model``, ...)."""
    credit_options: Mapping[str, Any] = field(default_factory=dict)
    """Keywords for the credit rule (``temperature`` for ``min``, ``eta`` for ``clip``, ...)."""
    loader: str = "prmkit.scoring:load_prm"
    """``"module:function"`` called as ``function(prm, **prm_options)`` to build the scorer."""

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> VerlRewardSettings:
        """Settings from a mapping (an OmegaConf node is fine); unknown keys and bad rule options are a
        :class:`~prmkit.errors.ConfigError`."""
        raw = {k: _plain(v) for k, v in dict(kwargs).items()}
        known = sorted(cls.__dataclass_fields__)
        unknown = [k for k in raw if k not in known]
        if unknown:
            raise ConfigError(f"reward.reward_kwargs: unknown key {unknown[0]!r}; known: {', '.join(known)}")
        if not raw.get("prm"):
            raise ConfigError("reward.reward_kwargs.prm: a PRM name is needed (e.g. arith)")
        settings = cls(**raw)
        try:
            CREDIT.get(settings.credit)([0.5], 0.0, **settings.credit_options)
        except TypeError as e:
            raise ConfigError(f"reward.reward_kwargs.credit_options for {settings.credit!r}: {e}") from None
        return settings

    def load_scorer(self) -> StepScorer:
        """The scorer ``loader`` builds."""
        module, _, attr = self.loader.partition(":")
        if not attr:
            raise ConfigError(f"reward.reward_kwargs.loader: expected 'module:function', got {self.loader!r}")
        scorer: StepScorer = getattr(importlib.import_module(module), attr)(self.prm, **self.prm_options)
        return scorer


@dataclass(frozen=True)
class ResponseReward:
    """One response's reward: per token (the step rewards on the steps' last tokens) and the sum."""

    tokens_T: FloatArray
    """One reward per valid response token."""
    n_steps: int
    """Steps the response was cut into (0: none, so no reward)."""
    failed: bool
    """No steps, or the PRM failed on the response: every token gets 0."""

    @property
    def value(self) -> float:
        """The return from the first token: the scalar reward of the response."""
        return float(self.tokens_T.sum())


def response_rewards(
    settings: VerlRewardSettings,
    scorer: StepScorer,
    tokenizer: Any,
    problems: Sequence[str],
    response_ids_N: Sequence[Sequence[int]],
    ground_truths: Sequence[Any],
) -> list[ResponseReward]:
    """Score every response's steps in one batch and put the credit rule's step rewards on tokens."""
    rule = CREDIT.get(settings.credit)
    decoded = [_text_and_offsets(tokenizer, list(ids)) for ids in response_ids_N]
    sols = [Solution(p, split_steps(text)) for p, (text, _) in zip(problems, decoded, strict=True)]
    todo = [i for i, s in enumerate(sols) if s.n_steps]
    results = scorer.score([sols[i] for i in todo]) if todo else []
    if len(results) != len(todo):
        raise ValueError(f"scorer returned {len(results)} results for {len(todo)} responses")
    out = [ResponseReward(np.zeros(len(ids)), s.n_steps, True) for ids, s in zip(response_ids_N, sols, strict=True)]
    for i, res in zip(todo, results, strict=True):
        if isinstance(res, ScoreFailure):
            continue
        text, offsets = decoded[i]
        outcome = 0.0
        if settings.outcome_weight:
            outcome = settings.outcome_weight * float(grade_text(text, str(ground_truths[i])))
        try:
            credit = rule(res.scores, outcome, **settings.credit_options)
        except ValueError:  # a non-finite score: this response fails, the batch goes on
            continue
        ends = [end - 1 for _, end in step_token_spans(text, sols[i].steps, offsets)]
        out[i] = ResponseReward(place_at_step_ends(credit.rewards, ends, len(offsets)), sols[i].n_steps, False)
    return out


class _PRM:
    """The settings, the scorer (built once) and the lock around it: verl calls from several threads."""

    def __init__(self, config: Any, reward_kwargs: Mapping[str, Any] | None = None) -> None:
        if reward_kwargs is None:
            reward = config.get("reward") or {}
            reward_kwargs = reward.get("reward_kwargs") or {}
        self.settings = VerlRewardSettings.from_kwargs(reward_kwargs)
        self.scorer = self.settings.load_scorer()
        self._lock = threading.Lock()

    def rewards(self, tokenizer: Any, data: Any) -> list[ResponseReward]:
        problems, ids, truths = [], [], []
        for i in range(len(data)):
            item = data[i]
            prompt_len = item.batch["prompts"].shape[-1]
            n_valid = int(item.batch["attention_mask"][prompt_len:].sum())
            ids.append(item.batch["responses"][:n_valid].tolist())
            problems.append(_problem(tokenizer, item, prompt_len))
            truths.append((item.non_tensor_batch.get("reward_model") or {}).get("ground_truth"))
        with self._lock:
            return response_rewards(self.settings, self.scorer, tokenizer, problems, ids, truths)


def _extra(r: ResponseReward) -> dict[str, float]:
    return {"prm_return": r.value, "prm_steps": float(r.n_steps), "prm_failed": float(r.failed)}


@_loop.register("prmkit")
class PRMRewardManager(_LoopBase):
    """verl's reward-loop manager (``reward.reward_manager``): one response per ``run_single`` call."""

    def __init__(self, config: Any, tokenizer: Any, compute_score: Any = None, **_verl: Any) -> None:
        super().__init__(config, tokenizer, compute_score)
        self.prm = _PRM(config)

    async def run_single(self, data: Any) -> dict[str, Any]:
        """``{"reward_score": the response's return, "reward_extra_info": {...}}`` for the last sequence of ``data``."""
        item = data[-1:]
        (r,) = await asyncio.get_running_loop().run_in_executor(None, self.prm.rewards, self.tokenizer, item)
        return {"reward_score": r.value, "reward_extra_info": _extra(r)}


@_legacy.register("prmkit")
class PRMBatchRewardManager(_LegacyBase):
    """verl's batch reward manager (``verl.workers.reward_manager``): token-level rewards for a whole batch."""

    def __init__(
        self, tokenizer: Any, num_examine: int = 0, compute_score: Any = None, reward_fn_key: str = "data_source",
        **reward_kwargs: Any,
    ) -> None:
        self.tokenizer = tokenizer
        self.prm = _PRM(None, reward_kwargs)

    def __call__(self, data: Any, return_dict: bool = False) -> Any:
        """The reward tensor (responses' shape; each step's reward on its last token), and with
        ``return_dict`` the extra info per response."""
        rewards = self.prm.rewards(self.tokenizer, data)
        tensor = torch.zeros_like(data.batch["responses"], dtype=torch.float32)
        for i, r in enumerate(rewards):
            tensor[i, : r.tokens_T.size] = torch.from_numpy(r.tokens_T).to(torch.float32)
        if not return_dict:
            return tensor
        extra = [_extra(r) for r in rewards]
        return {"reward_tensor": tensor, "reward_extra_info": {k: [e[k] for e in extra] for k in extra[0]}}


def _text_and_offsets(tokenizer: Any, ids: list[int]) -> tuple[str, list[tuple[int, int]]]:
    """The decoded response (special tokens skipped) and each token's character span in it.

    The text is tokenized again with offsets (the special tokens that end the response, EOS, get an
    empty span); when that does not give back ``ids`` (a special token inside, a split the tokenizer
    would not make), each token's span comes from decoding growing prefixes.
    """
    text = tokenizer.decode(ids, skip_special_tokens=True)
    special = set(getattr(tokenizer, "all_special_ids", ()))
    n_core = len(ids)
    while n_core and ids[n_core - 1] in special:
        n_core -= 1
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if list(enc["input_ids"]) == ids[:n_core]:
        tail = [(len(text), len(text))] * (len(ids) - n_core)
        return text, [(int(a), int(b)) for a, b in enc["offset_mapping"]] + tail
    offsets, prev = [], 0
    for t in range(len(ids)):
        end = max(prev, len(tokenizer.decode(ids[: t + 1], skip_special_tokens=True)))
        offsets.append((prev, end))
        prev = end
    return text, offsets


def _problem(tokenizer: Any, item: Any, prompt_len: int) -> str:
    """The problem: the last user message of ``raw_prompt`` if the batch has it, else the decoded prompt."""
    raw = item.non_tensor_batch.get("raw_prompt")
    if raw is not None and len(raw):
        users = [m for m in raw if m.get("role") == "user"]
        return str((users or list(raw))[-1].get("content") or "")
    n_prompt = int(item.batch["attention_mask"][:prompt_len].sum())
    return str(tokenizer.decode(item.batch["prompts"][prompt_len - n_prompt :], skip_special_tokens=True)).strip()


def _plain(value: Any) -> Any:
    """An OmegaConf node as plain Python (dicts and lists), anything else unchanged."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
