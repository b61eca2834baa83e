"""scripts/grpo_gsm8k.py end to end: two real GRPO steps on a tiny Llama, the PRM served by ``prmkit serve``.

The script starts a real ``prmkit serve`` process serving a tiny real token-classification PRM (random
weights, so its scores vary) and trains through TRL's ``GRPOTrainer``; the PRM reward TRL logged for every
completion must be min-form credit of that PRM's scores of the completion, scored here locally (so the
served scores reached the trainer), the total reward the outcome plus that, and the
JSONL log must hold each step's fields and the held-out evaluations. A third step resumes from the
checkpoint of the second.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _require import need_module
from _tiny import save_tiny_lm, tiny_config

from prmkit.rewards import min_credit
from prmkit.scoring import load_prm
from prmkit.steps import grade_text, split_steps
from prmkit.types import Solution, StepScores

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

PROBLEMS = [
    ("Tom has 3 apples and buys 4 more. How many apples does he have?", "3 + 4 = <<3+4=7>>7\n#### 7"),
    ("A box holds 6 pens. How many pens are in 2 boxes?", "6 * 2 = <<6*2=12>>12\n#### 12"),
    ("Ann reads 5 pages a day for 3 days, then 2 more. How many pages?", "5*3=15\n15+2=17\nx\n#### 17"),
]


@pytest.fixture()
def grpo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    torch = need_module("torch")
    need_module("trl", "TRL is not installed: pip install 'prmkit[rl]'")
    need_module("fastapi", "prmkit serve needs: pip install 'prmkit[serve]'")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import grpo_gsm8k

    yield grpo_gsm8k
    torch.set_num_threads(threads)
    sys.modules.pop("grpo_gsm8k", None)


def _gsm8k(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in rows))
    return path


def test_easy_problems_keep_the_short_reference_solutions(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPTS))
    try:
        from grpo_gsm8k import easy_problems
    finally:
        sys.path.remove(str(SCRIPTS))
    got = easy_problems(_gsm8k(tmp_path / "train.jsonl", PROBLEMS), 2)
    assert [(g["id"], g["reference"]) for g in got] == [("train-0", "7"), ("train-1", "12")]


@pytest.mark.slow  # three real GRPO steps and a prmkit serve process (~25 s on CPU)
def test_two_grpo_steps_with_the_served_prm(tmp_path: Path, grpo: Any) -> None:
    import torch
    from transformers import Qwen2Config, Qwen2ForTokenClassification

    from prmkit.models.tokenizers import qwen_tokenizer, smollm2_tokenizer

    model = save_tiny_lm(tmp_path / "tiny-llama", "llama", smollm2_tokenizer())
    qtok = qwen_tokenizer()
    torch.manual_seed(7)
    prm_dir = tmp_path / "tiny-prm"
    Qwen2ForTokenClassification(Qwen2Config(**tiny_config(vocab_size=len(qtok), num_labels=2))).save_pretrained(prm_dir)
    qtok.save_pretrained(prm_dir)
    prm = load_prm("trl-prm", model=str(prm_dir), dtype="float32")
    train = _gsm8k(tmp_path / "train.jsonl", PROBLEMS)
    argv = ["--arm", "outcome+prm", "--out", str(tmp_path / "runs"), "--model", str(model), "--prm", "trl-prm",
            "--serve-flag=--model", f"--serve-flag={prm_dir}", "--serve-flag=--dtype", "--serve-flag=float32",
            "--serve-flag=--no-cache", "--train-path", str(train), "--eval-path", str(train),
            "--prompts-per-step", "2", "--group", "2", "--max-completion", "16", "--eval-every", "2",
            "--eval-n", "2", "--save-steps", "5", "--chunk", "2", "--grader", "strict", "--threads", "1"]
    trainer = grpo.main([*argv, "--max-steps", "2"])["outcome+prm"]
    out = tmp_path / "runs" / "outcome+prm"

    logs = trainer._logs  # TRL keeps the last step's prompts, completions and rewards
    completions = [grpo._text(c) for c in logs["completion"]]  # conversational: the assistant message
    problems = [next(q for q, _ in PROBLEMS if q in str(p)) for p in logs["prompt"]]
    references = [{PROBLEMS[0][0]: "7", PROBLEMS[1][0]: "12"}[q] for q in problems]
    assert len(completions) == 4 and set(problems) <= {p for p, _ in PROBLEMS[:2]}
    expected_prm, expected_outcome = [], []
    for prob, comp, ref in zip(problems, completions, references, strict=True):
        steps = split_steps(comp)
        expected_outcome.append(float(grade_text(comp, ref)))
        if not steps:
            expected_prm.append(math.nan)
            continue
        scores = prm.score([Solution(prob, steps)])[0]
        assert isinstance(scores, StepScores)
        expected_prm.append(min_credit(scores.scores).value)
    assert list(logs["rewards"]["prm_min"]) == pytest.approx(expected_prm, abs=1e-5, nan_ok=True)
    assert len({round(e, 6) for e in expected_prm}) > 1  # the scores differ: a constant would prove little
    assert list(logs["rewards"]["outcome"]) == expected_outcome

    recs = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    train_recs = [r for r in recs if r["kind"] == "train"]
    evals = [r for r in recs if r["kind"] == "eval"]
    assert [r["step"] for r in train_recs] == [1, 2] and [e["step"] for e in evals] == [0, 2]
    assert all(e["n"] == 2 and 0 <= e["accuracy"] <= 1 for e in evals)
    for r in train_recs:
        assert r["arm"] == "outcome+prm" and r["step_time"] > 0 and r["kl"] is not None
        assert r["completion_length"] > 0 and r["reward"] is not None
    last = [e for e in expected_prm if not math.isnan(e)]
    assert train_recs[-1]["prm_reward"] == pytest.approx(sum(last) / len(last), rel=1e-5)
    assert train_recs[-1]["accuracy"] == pytest.approx(sum(expected_outcome) / 4)
    both = [o + (0.0 if math.isnan(p) else p) for o, p in zip(expected_outcome, expected_prm, strict=True)]
    assert train_recs[-1]["reward"] == pytest.approx(sum(both) / 4, rel=1e-5)  # TRL: nansum over functions
    assert (out / "checkpoint-2").is_dir()
    with pytest.raises(SystemExit, match="--resume"):
        grpo.main([*argv, "--max-steps", "3"])

    grpo.main([*argv, "--max-steps", "3", "--resume"])
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()
             if json.loads(line)["kind"] == "train"]
    assert steps == [1, 2, 3]


def test_the_summary_keeps_the_last_record_per_step_and_tabulates(tmp_path: Path, grpo: Any) -> None:
    import grpo_plot

    run = tmp_path / "outcome"
    run.mkdir()
    recs = [{"kind": "eval", "step": 0, "accuracy": 0.1, "n": 10},
            *({"kind": "train", "step": s, "accuracy": s / 10, "prm_reward": -0.5, "kl": 0.01, "step_time": 2.0,
               "completion_length": 50} for s in (1, 2, 3)),
            {"kind": "train", "step": 3, "accuracy": 0.9, "prm_reward": 0.5, "kl": 0.03, "step_time": 4.0,
             "completion_length": 70},  # step 3 again, after a resume: this one counts
            {"kind": "eval", "step": 3, "accuracy": 0.2, "n": 10}]
    (run / "log.jsonl").write_text("".join(json.dumps({"arm": "outcome", **r}) + "\n" for r in recs))
    grpo_plot.summary([run], tmp_path / "summary.jsonl")
    kept = [json.loads(line) for line in (tmp_path / "summary.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["step"]) for r in kept] == [("eval", 0), ("eval", 3), ("train", 1), ("train", 2), ("train", 3)]
    row = grpo_plot.table(kept, window=2).splitlines()[-1]
    assert row == ("| outcome | 3 | 2.7 | 0.150 → 0.550 | -0.500 → +0.000 | 0.0200 | 60 "
                   "| 0.100 → 0.200 (step 3, n=10) |")
