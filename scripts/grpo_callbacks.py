"""The GRPO runs' log: one JSON line per training step and per held-out evaluation (for grpo_gsm8k.py).

A ``train`` line has the step, the mean total reward, outcome accuracy (``rewards/outcome/mean``),
PRM reward (``rewards/prm_min/mean``), KL, seconds per step and completion length; an ``eval`` line the
held-out accuracy of greedy answers. A resumed run re-logs the steps after its checkpoint; readers keep
the last line per ``(kind, step)``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from prmkit.steps import grade_text

TRAIN_FIELDS = {
    "reward": "reward",
    "reward_std": "reward_std",
    "accuracy": "rewards/outcome/mean",
    "prm_reward": "rewards/prm_min/mean",
    "kl": "kl",
    "step_time": "step_time",
    "completion_length": "completions/mean_length",
}
"""Logged name -> TRL's metric name."""


def read_log(path: Path) -> list[dict[str, Any]]:
    """The records of a run's log, the last one per ``(kind, step)``, ordered by kind then step."""
    last: dict[tuple[str, int], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            last[(rec["kind"], rec["step"])] = rec
    return [last[k] for k in sorted(last)]


class JsonlLog(TrainerCallback):  # type: ignore[misc]
    """Appends train and eval records to ``path``; evaluates greedily every ``every`` steps and at step 0;
    checkpoints the last step."""

    def __init__(self, path: Path, *, arm: str, held: list[dict[str, str]], every: int, max_new_tokens: int,
                 prompt: Callable[[str], list[dict[str, str]]], tokenizer: Any,
                 grade: Callable[[str, str], bool] = grade_text, batch: int = 8) -> None:
        self.path, self.arm, self.held, self.every = path, arm, held, every
        self.max_new_tokens, self.prompt, self.tok, self.batch = max_new_tokens, prompt, tokenizer, batch
        self.grade = grade
        self._t0 = time.monotonic()

    def _write(self, rec: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"arm": self.arm, **rec}) + "\n")

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **_: Any) -> None:
        if state.global_step == 0 and self.held and self.every:
            self.evaluate(model, 0)

    def on_step_begin(self, args: Any, state: Any, control: Any, **_: Any) -> None:
        self._t0 = time.monotonic()

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **_: Any) -> None:
        logs = logs or {}
        if "reward" not in logs:
            return
        rec = {name: logs.get(key) for name, key in TRAIN_FIELDS.items()}
        rec["wall_time"] = time.monotonic() - self._t0
        self._write({"kind": "train", "step": state.global_step, **rec})

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **_: Any) -> None:
        if state.global_step >= state.max_steps:
            control.should_save = True  # a run stopped at max_steps can be resumed from there
        if self.held and self.every and state.global_step % self.every == 0:
            self.evaluate(model, state.global_step)

    def evaluate(self, model: Any, step: int) -> float:
        """Greedy answers to the held-out problems; logs and returns their accuracy."""
        t0 = time.monotonic()
        was_training = model.training
        model.eval()
        try:
            answers = greedy_answers(model, self.tok, [self.prompt(r["problem"]) for r in self.held],
                                     self.max_new_tokens, self.batch)
        finally:
            model.train(was_training)
        correct = sum(self.grade(text, r["reference"]) for r, (text, _) in zip(self.held, answers, strict=True))
        lengths = [n for _, n in answers]
        acc = correct / len(self.held)
        self._write({"kind": "eval", "step": step, "accuracy": acc, "n": len(self.held),
                     "completion_length": sum(lengths) / len(lengths), "seconds": time.monotonic() - t0})
        return acc


def greedy_answers(model: Any, tok: Any, chats: list[list[dict[str, str]]], max_new_tokens: int,
                   batch: int = 8) -> list[tuple[str, int]]:
    """Each chat's greedy answer (batches of ``batch``, left-padded) and its number of new tokens."""
    import torch

    out: list[tuple[str, int]] = []
    side, tok.padding_side = tok.padding_side, "left"
    try:
        for i in range(0, len(chats), batch):
            texts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                     for c in chats[i : i + batch]]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                                     pad_token_id=tok.pad_token_id)
            for ids in gen[:, enc["input_ids"].shape[1] :]:
                out.append((tok.decode(ids, skip_special_tokens=True), int((ids != tok.pad_token_id).sum())))
    finally:
        tok.padding_side = side
    return out
