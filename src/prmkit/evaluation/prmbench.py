"""PRMBench (arXiv 2501.03124): does a PRM tell right steps from planted wrong ones?

Each case is a solution in which some steps were rewritten to hold an error of
one category (circular reasoning, a counterfactual, a missing condition, ...).
A PRM predicts each step right iff its score is above a threshold; the
predictions of all steps are pooled into a confusion matrix whose positive
class is a right step, and PRMScore = 0.5 F1 + 0.5 F1 of the negative class,
overall and per category (``ssmisya/PRMBench``,
``mr_eval/tasks/prmtest_classified/task.py``). The records are read by
:func:`prmkit.data.load_prmbench`.

>>> c = Confusion(tp=6, fp=2, tn=3, fn=1)
>>> round(c.f1, 4), round(c.negative_f1, 4), round(prmscore(c), 4)
(0.8, 0.6667, 0.7333)
"""

from prmkit.evaluation._prmbench_metrics import (
    PRMBENCH_GROUPS,
    Confusion,
    confusion_at_thresholds,
    prmscore,
    step_confusion,
)
from prmkit.evaluation._prmbench_run import (
    OVERALL,
    PoolResult,
    PRMBenchReport,
    PRMBenchSweepRow,
    run_prmbench,
)

__all__ = [
    "OVERALL",
    "PRMBENCH_GROUPS",
    "Confusion",
    "PRMBenchReport",
    "PRMBenchSweepRow",
    "PoolResult",
    "confusion_at_thresholds",
    "prmscore",
    "run_prmbench",
    "step_confusion",
]
