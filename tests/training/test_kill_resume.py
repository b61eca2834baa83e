"""A training run SIGKILLed mid-run and started again ends with the uninterrupted run's weights, bit for bit.

test_trainer.py interrupts a run with an exception, which lets ``finally`` blocks run; here the process
is killed outright (``_train_worker.py``), at a checkpoint boundary or at a random point after the first
checkpoint (mid-step, mid-checkpoint or between steps), and the run is started again from what is on disk.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _require import need_module

torch = need_module("torch")
need_module("transformers")
need_module("peft")

from _train_fixtures import arithmetic_records, write_jsonl  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

import prmkit  # noqa: E402
from prmkit.training import TrainConfig, train  # noqa: E402
from prmkit.training._checkpoint import latest_checkpoint  # noqa: E402

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
MAX_STEPS, SAVE_EVERY, STEP_DELAY = 12, 3, 0.1


def _config(data: Path, model: Path, out: Path) -> dict[str, Any]:
    return dict(train_path=str(data), model=str(model), output_dir=str(out), batch_size=2, learning_rate=5e-3,
                progress=False, threads=1, seed=3, trainable="lora", lora_r=4, lora_dropout=0.1, grad_accum=2,
                max_steps=MAX_STEPS, save_every=SAVE_EVERY, warmup_steps=2, weight_decay=0.01)


def _start(config: Path, pause_at: int) -> subprocess.Popen[bytes]:
    src = str(Path(prmkit.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, str(HERE / "_train_worker.py"), str(config), str(pause_at), str(STEP_DELAY)]
    return subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)


def _wait_for(proc: subprocess.Popen[bytes], done: Any, what: str) -> None:
    deadline = time.monotonic() + 300
    while not done():
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited ({proc.returncode}) before {what}: {proc.stderr.read()[-3000:]!r}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def uninterrupted(tiny_qwen2: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The training data, and the weights of the run that nothing stops."""
    tmp = tmp_path_factory.mktemp("uninterrupted")
    data = write_jsonl(tmp / "t.jsonl", arithmetic_records(10))
    assert train(TrainConfig(**_config(data, tiny_qwen2, tmp / "full"))).steps_this_run == MAX_STEPS
    return data, load_file(str(tmp / "full" / "model.safetensors"))


@pytest.mark.parametrize("when", ["at_checkpoint", "random"])
def test_sigkilled_and_restarted_run_ends_bit_identical(
    uninterrupted: tuple[Path, dict[str, Any]], tiny_qwen2: Path, tmp_path: Path, when: str
) -> None:
    data, a = uninterrupted

    out = tmp_path / "cut"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(_config(data, tiny_qwen2, out)))
    checkpoints = out / "checkpoints"
    if when == "at_checkpoint":
        proc = _start(config, pause_at=2 * SAVE_EVERY)
        _wait_for(proc, lambda: Path(f"{config}.paused").exists(), "the pause after the second checkpoint")
        delay = None
    else:
        proc = _start(config, pause_at=0)
        _wait_for(proc, lambda: latest_checkpoint(checkpoints) is not None, "the first checkpoint")
        # the steps still to run sleep (MAX_STEPS - SAVE_EVERY) * STEP_DELAY = 0.9 s between them: the kill
        # lands before the end
        delay = random.uniform(0.0, 0.8)
        time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    survived = latest_checkpoint(checkpoints)
    assert survived is not None and not (out / "model.safetensors").exists(), (delay, survived)
    done = int(survived.name.removeprefix("step-"))
    assert SAVE_EVERY <= done < MAX_STEPS, (delay, done)
    if when == "at_checkpoint":
        assert done == 2 * SAVE_EVERY

    resumed = train(TrainConfig(**json.loads(config.read_text())))  # started again, from what is on disk
    assert resumed.steps_this_run == MAX_STEPS - done, delay
    b = load_file(str(out / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), (delay, done, [k for k in a if not torch.equal(a[k], b[k])])
