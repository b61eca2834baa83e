"""The quantile head (E6): its logistic initialisation, the pinball loss it is trained on, ordered quantiles."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _require import need, need_module

torch = need_module("torch")
need_module("transformers")

from prmkit.scoring import CalibratedScorer, load_prm  # noqa: E402
from prmkit.training import TrainConfig, training_spec  # noqa: E402
from prmkit.training._encode import Encoded, collate, encode_examples  # noqa: E402
from prmkit.training._model import load_backbone, load_tokenizer  # noqa: E402
from prmkit.training.quantile import (  # noqa: E402
    QUANTILE_LEVELS,
    QuantileCalibrator,
    fit_quantile_head,
    mc_examples,
    pinball_loss,
    step_quantiles,
    to_quantile_model,
)
from prmkit.types import Solution, StepScores  # noqa: E402

MC = Path(__file__).resolve().parents[2] / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b" / "mc.jsonl.gz"


@pytest.fixture
def setup(tiny_qwen2: Path) -> tuple[Any, list[Encoded], int]:
    """A tiny Qwen2 token classifier with a random 2-label head and the first 12 solutions of the MC dataset."""
    need(MC.is_file(), f"{MC} is not in this checkout")
    cfg = TrainConfig(train_path="t", model=str(tiny_qwen2), output_dir="o")
    torch.manual_seed(0)
    model = load_backbone(cfg, causal=False).eval()
    tok = load_tokenizer(cfg)
    data, skipped = encode_examples(mc_examples(MC)[:12], tok, training_spec(cfg), max_length=1024)
    assert len(data) == 12 and not skipped
    return model, data, tok.pad_token_id


def _forward(model: Any, data: list[Encoded], pad_id: int) -> tuple[Any, Any, Any]:
    b = collate(data, pad_id)
    with torch.no_grad():
        q = step_quantiles(model, b["input_ids_B_T"], b["attention_mask_B_T"], b["positions_B_S"])
    return q, b["targets_B_S"], b["step_mask_B_S"]


def test_mc_examples_read_the_monte_carlo_values() -> None:
    need(MC.is_file(), f"{MC} is not in this checkout")
    ex = mc_examples(MC)[0]
    assert ex.id == "gsm8k-train-6917-s0" and ex.labels == (0.0, 0.0, 0.125, 0.125, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_the_initial_head_reproduces_p_correct_at_every_quantile(setup: tuple[Any, list[Encoded], int]) -> None:
    model, data, pad_id = setup
    b = collate(data, pad_id)
    with torch.no_grad():
        logits = model(input_ids=b["input_ids_B_T"], attention_mask=b["attention_mask_B_T"]).logits
    index = b["positions_B_S"].unsqueeze(-1).expand(-1, -1, 2)
    p_correct = torch.softmax(torch.gather(logits, 1, index), -1)[..., 1]
    to_quantile_model(model)
    assert model.score.out_features == 3 and model.config.num_labels == 3
    q, _, mask = _forward(model, data, pad_id)
    for m in range(len(QUANTILE_LEVELS)):
        torch.testing.assert_close(q[..., m][mask], p_correct[mask], rtol=0, atol=1e-6)


def test_a_few_steps_lower_the_pinball_loss(setup: tuple[Any, list[Encoded], int]) -> None:
    model, data, pad_id = setup
    to_quantile_model(model)
    before = pinball_loss(*_forward(model, data, pad_id))
    losses = fit_quantile_head(model, data, pad_id, steps=20, lr=1e-2, batch_size=12)
    after = pinball_loss(*_forward(model, data, pad_id))
    assert len(losses) == 20 and losses[0] == pytest.approx(before.item(), abs=1e-5)
    assert after.item() < 0.8 * before.item()
    trained = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trained == ["score.weight", "score.bias"]


def test_quantiles_come_out_ordered_on_a_noisy_target(setup: tuple[Any, list[Encoded], int]) -> None:
    """Each solution 25 times with independent uniform targets: the head can only learn their quantiles."""
    model, data, pad_id = setup
    rng = random.Random(0)
    copies = [dataclasses.replace(e, targets=tuple(rng.random() for _ in e.positions)) for e in data[:4] for _ in range(25)]
    to_quantile_model(model)
    fit_quantile_head(model, copies, pad_id, steps=300, lr=5e-2, batch_size=32)
    q, _, mask = _forward(model, data[:4], pad_id)
    q = q[mask]
    assert bool((q[:, 0] < q[:, 1]).all() and (q[:, 1] < q[:, 2]).all())
    assert q.mean(0).tolist() == pytest.approx(list(QUANTILE_LEVELS), abs=0.12)


def test_a_quantile_calibrator_puts_its_level_of_targets_below_it() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.05, 0.95, 2000)
    logit = np.log(scores / (1 - scores))
    targets = 1 / (1 + np.exp(-(0.7 * logit - 0.5 + rng.normal(0, 0.8, scores.size))))  # overconfident scores
    low, high = (QuantileCalibrator.fit(scores, targets, level) for level in (0.1, 0.9))
    assert np.mean(targets < low.apply(scores)) == pytest.approx(0.1, abs=0.03)
    assert np.mean(targets < high.apply(scores)) == pytest.approx(0.9, abs=0.03)
    grid = np.linspace(0.05, 0.95, 19)
    assert (low.apply(grid) < high.apply(grid)).all()
    assert QuantileCalibrator(0.1).apply(grid) == pytest.approx(grid)  # the identity it starts from


def test_a_quantile_calibrator_calibrates_a_scorer() -> None:
    cal = QuantileCalibrator.fit([0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.25, 0.5], 0.5)
    prm = CalibratedScorer(load_prm("arith"), cal)
    [res] = prm.score([Solution("?", ("2 + 2 = 4", "2 + 3 = 6"))])
    assert isinstance(res, StepScores) and res.scores[0] == pytest.approx(0.25, abs=0.02) and res.scores[1] < 0.02
    assert "calibrated-quantile:" in prm.identity
