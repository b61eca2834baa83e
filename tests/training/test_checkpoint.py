"""Checkpoints: atomic folders, pruning, and a restore that brings back weights, optimizer and RNG."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from _require import need_module

torch = need_module("torch")
np = need_module("numpy")

from prmkit.errors import ConfigError  # noqa: E402
from prmkit.training._checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint  # noqa: E402


def _setup(seed: int = 0) -> tuple[object, object, object]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    model[0].weight.requires_grad_(False)  # frozen weights are not stored
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (s + 1))
    return model, opt, sched


def _step(model, opt, sched) -> None:  # type: ignore[no-untyped-def]
    loss = model(torch.randn(4, 3)).pow(2).sum()
    loss.backward()
    opt.step()
    sched.step()
    opt.zero_grad()


def test_restore_continues_exactly(tmp_path: Path) -> None:
    cfg = {"lr": 0.1, "progress": True}
    model, opt, sched = _setup()
    for _ in range(2):
        _step(model, opt, sched)
    save_checkpoint(tmp_path, 2, model, opt, sched, {}, cfg, keep=2)
    _step(model, opt, sched)
    want = ([p.clone() for p in model.parameters()], random.random(), np.random.rand(), torch.rand(1))

    model2, opt2, sched2 = _setup()  # same frozen weights (they come from the base model) ...
    with torch.no_grad():  # ... but other trainable values, RNG states and a fresh optimizer
        for p in model2.parameters():
            if p.requires_grad:
                p.add_(1.0)
    torch.manual_seed(5)
    random.seed(5)
    np.random.seed(5)
    progress = load_checkpoint(tmp_path / "step-000002", model2, opt2, sched2, {**cfg, "progress": False})
    assert progress["step"] == 2
    _step(model2, opt2, sched2)
    got = ([p.clone() for p in model2.parameters()], random.random(), np.random.rand(), torch.rand(1))
    trained = [i for i, p in enumerate(model.parameters()) if p.requires_grad]
    assert all(torch.equal(want[0][i], got[0][i]) for i in trained)
    assert want[1:3] == got[1:3] and torch.equal(want[3], got[3])


def test_pruning_partial_folders_and_config_changes(tmp_path: Path) -> None:
    model, opt, sched = _setup()
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, step, model, opt, sched, {}, {"lr": 0.1}, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-000002", "step-000003"]
    (tmp_path / ".step-000004.tmp").mkdir()  # a save killed half-way
    (tmp_path / "step-000005").mkdir()  # no state.pt: not a checkpoint
    latest = latest_checkpoint(tmp_path)
    assert latest is not None and latest.name == "step-000003"
    assert latest_checkpoint(tmp_path / "none") is None
    with pytest.raises(ConfigError, match=r"lr: checkpoint 0\.1, now 0\.2"):
        load_checkpoint(latest, model, opt, sched, {"lr": 0.2})
