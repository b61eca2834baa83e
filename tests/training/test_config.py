"""TrainConfig validation and the fields derived from the loss."""

from __future__ import annotations

import pytest

from prmkit.errors import ConfigError
from prmkit.training.config import TrainConfig

BASE = {"train_path": "t.jsonl", "model": "m", "output_dir": "o"}


@pytest.mark.parametrize(
    ("loss", "readout", "labels", "kind", "spec"),
    [
        ("bce", "token_classify", 2, "hard", "trl-prm"),
        ("soft_bce", "token_classify", 2, "soft", "trl-prm"),
        ("pqm", "value_head", 1, "hard", "trl-prm"),
        ("implicit", "log_ratio", 2, "outcome", "implicit-prm"),
    ],
)
def test_loss_sets_readout_head_and_labels(loss: str, readout: str, labels: int, kind: str, spec: str) -> None:
    cfg = TrainConfig(**BASE, loss=loss)  # type: ignore[arg-type]
    assert (cfg.readout, cfg.num_labels, cfg.label_kind, cfg.spec_name) == (readout, labels, kind, spec)


def test_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as e:
        TrainConfig(**BASE, batch_size=0, learning_rate=-1.0, lora_dropout=1.5, max_steps=0, step_marker="", beta=0.0,
                    loss="soft_bce", label_threshold=0.5)
    msg = str(e.value)
    for part in ("batch_size must be >= 1", "learning_rate must be > 0", "lora_dropout", "max_steps", "step_marker", "beta",
                 "label_threshold applies to hard-label losses"):
        assert part in msg


def test_the_documented_yaml_config_is_valid() -> None:
    import re
    from pathlib import Path

    import yaml

    from prmkit.config import config_from_mapping

    doc = (Path(__file__).parents[2] / "docs" / "training.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert block is not None
    cfg = config_from_mapping(TrainConfig, yaml.safe_load(block.group(1)))
    assert (cfg.loss, cfg.step_marker, cfg.learning_rate, cfg.bf16, cfg.val_max) == ("bce", "\n\n", 1e-4, True, 200)
