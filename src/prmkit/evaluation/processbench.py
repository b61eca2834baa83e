"""ProcessBench (arXiv 2412.06559): does a PRM find the earliest wrong step?

Each case is a solution with the index of its earliest wrong step (-1 if
none). A scalar PRM predicts the earliest step scoring below a threshold; a
split's F1 is the harmonic mean of the accuracy on erroneous cases and on
correct cases. The paper reports the unweighted mean over its four splits
(gsm8k, math, olympiadbench, omnimath) with the threshold that maximises F1 on
gsm8k. The records are read by :func:`prmkit.data.load_processbench`.

>>> round(harmonic_f1(72.0, 96.4), 2)
82.43
>>> predict_first_error([0.9, 0.3, 0.8], 0.5), predict_first_error([0.9, 0.3, 0.8], 0.2)
(1, -1)
"""

from prmkit.evaluation._processbench_metrics import (
    SplitMetrics,
    harmonic_f1,
    mean_f1,
    predict_first_error,
    split_metrics,
    weighted_f1,
)
from prmkit.evaluation._processbench_run import (
    AVERAGES_NOTE,
    ProcessBenchReport,
    SweepRow,
    run_processbench,
)
from prmkit.evaluation._processbench_thresholds import (
    candidate_thresholds,
    fit_threshold,
    metrics_at_thresholds,
)

__all__ = [
    "AVERAGES_NOTE",
    "ProcessBenchReport",
    "SplitMetrics",
    "SweepRow",
    "candidate_thresholds",
    "fit_threshold",
    "harmonic_f1",
    "mean_f1",
    "metrics_at_thresholds",
    "predict_first_error",
    "run_processbench",
    "split_metrics",
    "weighted_f1",
]
