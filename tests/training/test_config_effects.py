"""Each TrainConfig field changes what a run does; one compact run per group of fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _require import need_module

torch = need_module("torch")
need_module("transformers")
need_module("peft")

from _train_fixtures import arithmetic_records, write_jsonl  # noqa: E402

from prmkit.training import TrainConfig, losses, train  # noqa: E402

pytestmark = pytest.mark.slow


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]


def test_schedule_accumulation_checkpoints_logging_validation_and_length(
    tiny_qwen2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recs = arithmetic_records(6)
    recs.append({"prompt": "x " * 400, "completions": ["a", "b"], "labels": [1, 1]})  # too long for max_length
    data = write_jsonl(tmp_path / "t.jsonl", recs)
    val = tmp_path / "v.json"
    val.write_text(json.dumps([{"problem": r["prompt"], "steps": r["completions"], "label": -1} for r in recs[:5]]))
    clips: list[float] = []
    real_clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda p, n, **k: (clips.append(n), real_clip(p, n, **k))[1])
    dtypes: list[Any] = []
    real_bce = losses.step_bce
    monkeypatch.setattr(losses, "step_bce", lambda lg, t, **k: (dtypes.append(lg.dtype), real_bce(lg, t, **k))[1])
    torch.set_num_threads(2)
    lrs: list[float] = []
    out = tmp_path / "a"
    cfg = TrainConfig(
        train_path=str(data), model=str(tiny_qwen2), output_dir=str(out), batch_size=2, grad_accum=2, max_steps=6,
        warmup_steps=2, learning_rate=1e-3, weight_decay=0.01, max_grad_norm=0.5, save_every=2, keep_checkpoints=2,
        log_every=4, val_path=str(val), val_max=3, max_length=300, bf16=True, threads=1, progress=True,
    )
    result = train(cfg, on_step=lambda _s, r: lrs.append(r["lr"]))
    assert torch.get_num_threads() == 1
    assert lrs == pytest.approx([5e-4, 1e-3, 1e-3, 7.5e-4, 5e-4, 2.5e-4])  # warm-up 2, linear decay over 4
    assert result.examples_this_run == 6 * 2 * 2 and result.skipped == {"context_length": 1}
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-000004", "step-000006"]
    state = torch.load(out / "checkpoints" / "step-000006" / "state.pt", weights_only=True)
    assert state["optimizer"]["param_groups"][0]["weight_decay"] == 0.01
    log = _records(out)
    assert [r["step"] for r in log if "loss" in r] == [4, 6]
    assert [(r["step"], r["val_n"]) for r in log if "val_f1" in r] == [(6, 3.0)]  # val_every 0: at the end only
    assert clips == [0.5] * 6
    assert set(dtypes) == {torch.bfloat16}  # bf16 autocast reached the head
    assert "train: 100%" in capsys.readouterr().err

    clips.clear()
    dtypes.clear()
    out_b = tmp_path / "b"
    cfg_b = TrainConfig(
        train_path=str(data), model=str(tiny_qwen2), output_dir=str(out_b), batch_size=4, epochs=2, max_grad_norm=0,
        save_every=0, max_length=300, threads=1, progress=False,
    )
    result_b = train(cfg_b)
    assert result_b.steps == 4  # 6 usable examples, batches of 4: 2 per epoch
    assert sorted(p.name for p in (out_b / "checkpoints").iterdir()) == ["step-000004"]
    assert clips == [] and set(dtypes) == {torch.float32}
    assert "train:" not in capsys.readouterr().err
