"""scripts/prime_online.py: the response masks, and one real PRIME step on a tiny Llama.

The step must move the implicit PRM (its online update) and the policy, and log the fields.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _require import need_module
from _tiny import save_tiny_lm

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture()
def prime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    torch = need_module("torch")
    need_module("transformers")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import prime_online

    yield prime_online
    torch.set_num_threads(threads)
    for name in ("prime_online", "grpo_gsm8k"):
        sys.modules.pop(name, None)


def test_a_completion_ends_at_its_first_eos(prime: Any) -> None:
    import torch

    prompt = torch.tensor([[5, 6, 7]])
    seqs = torch.tensor([[5, 6, 7, 1, 2, 0, 9, 9], [5, 6, 7, 3, 3, 3, 3, 3]])
    ids, att, resp, lengths = prime.group_tensors(prompt, seqs, eos_id=0)
    assert ids is seqs
    assert lengths == [3, 5]
    assert resp.int().tolist() == [[0, 0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1, 1, 1]]
    assert att.tolist() == [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]
    parts = prime.split_rows(torch.arange(8.0), lengths)
    assert [p.tolist() for p in parts] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0, 7.0]]


@pytest.mark.slow  # generation and three models' backward passes (~10 s on CPU)
def test_one_prime_step_updates_the_implicit_prm_and_the_policy(tmp_path: Path, prime: Any) -> None:
    from prmkit.models.tokenizers import smollm2_tokenizer

    model = save_tiny_lm(tmp_path / "tiny-llama", "llama", smollm2_tokenizer())
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"question": q, "answer": f"{q}\n#### {a}"}) + "\n"
                             for q, a in [("What is 2 + 2?", 4), ("What is 3 * 4?", 12), ("What is 9 - 5?", 4),
                                          ("What is 8 / 2?", 4)]))
    log = prime.main(["--out", str(tmp_path / "run"), "--model", str(model), "--train-path", str(train),
                      "--steps", "2", "--prompts-per-step", "2", "--group", "2", "--max-completion", "8",
                      "--lr", "1e-3", "--prm-lr", "1e-3"])
    first, second = log
    assert [first["step"], second["step"]] == [1, 2] and first["accuracy"] == second["accuracy"] == 0.0
    assert first["completion_length"] > 0 and first["step_time"] > 0
    # step 1: psi is the reference, so every token reward is 0 and, all outcomes alike, so is the advantage
    assert first["implicit_reward_correct"] is None and first["implicit_reward_wrong"] == 0.0
    assert first["prm_loss"] == pytest.approx(0.6931, abs=1e-4) and first["policy_loss"] == 0.0
    # step 2: psi's update on "all wrong" lowered its log-ratio, and those token rewards moved the policy
    assert second["implicit_reward_wrong"] < 0 and second["prm_loss"] < first["prm_loss"]
    assert second["policy_loss"] != 0.0
    lines = (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == log
