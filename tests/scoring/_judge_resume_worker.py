"""Run ``eval processbench``'s runner with a judge on a tiny real model, and SIGKILL this process when the
judge asks its generator for the (KILL_AT)-th time (used by test_judge_engines.py).

usage: python _judge_resume_worker.py MODEL_DIR DATA_JSON OUT_DIR KILL_AT
"""

from __future__ import annotations

import os
import signal
import sys

from _judge_tiny import judge_on

from prmkit.evaluation import run_processbench


def main(model_dir: str, data: str, out: str, kill_at: int) -> None:
    scorer = judge_on(model_dir)
    inner, calls = scorer.generator, [0]

    class KilledAt:
        identity = inner.identity

        def generate(self, requests):  # type: ignore[no-untyped-def]
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return inner.generate(requests)

    scorer.generator = KilledAt()
    run_processbench(scorer, {"gsm8k": data}, out, batch_size=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
