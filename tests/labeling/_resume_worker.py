"""Run a scripted labelling job (used by test_job.py in a subprocess that gets killed).

usage: python _resume_worker.py DIRECTORY SEED_LOG METHOD DELAY_S
"""

from __future__ import annotations

import sys
import time

from _scripted import ScriptedPolicy, exact_grader
from _tables import scripted_tasks

from prmkit.labeling import BinarySearch, MonteCarlo, run_job
from prmkit.runtime import LocalRunner


class SlowPolicy(ScriptedPolicy):
    def __init__(self, table, log_path, delay):
        super().__init__(table, log_path)
        self.delay = delay

    def generate(self, requests):
        time.sleep(self.delay)
        return super().generate(requests)


def labeller(method: str):
    return MonteCarlo(k=8, label="soft") if method == "mc" else BinarySearch(k=8, wave=2)


def main(directory: str, log: str, method: str, delay: float) -> None:
    tasks, table = scripted_tasks(16, seed=11, monotone=False)
    policy = SlowPolicy(table, log, delay)
    run_job(tasks, labeller(method), LocalRunner(policy, batch_size=8), directory, seed=3, grader=exact_grader,
            max_active=4)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
