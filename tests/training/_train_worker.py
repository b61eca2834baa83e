"""Train from a JSON config in a process of its own (test_kill_resume.py SIGKILLs it mid-run).

usage: python _train_worker.py CONFIG_JSON PAUSE_AT STEP_DELAY_S

After the optimizer step ``PAUSE_AT`` (and its checkpoint) it writes ``CONFIG_JSON.paused`` and waits to
be killed; ``PAUSE_AT`` 0 never pauses. ``STEP_DELAY_S`` stretches every step, so a kill at a random time
lands mid-run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from prmkit.training import TrainConfig, train


def main(config: str, pause_at: int, delay: float) -> None:
    def on_step(step: int, _record: dict[str, Any]) -> None:
        time.sleep(delay)
        if step == pause_at:
            Path(config + ".paused").write_text(str(step))
            time.sleep(600)

    train(TrainConfig(**json.loads(Path(config).read_text())), on_step=on_step)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
