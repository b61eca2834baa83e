"""Evaluating PRMs: ProcessBench (earliest-error identification), PRMBench (step-level F1) and Best-of-N selection.

>>> from prmkit.evaluation import harmonic_f1
>>> round(harmonic_f1(0.72, 0.964), 4)
0.8243
"""

from prmkit.evaluation._bon_report import format_comparisons, format_table
from prmkit.evaluation._bon_scoring import score_candidates
from prmkit.evaluation._calibration_run import (
    CalibrationReport,
    LabelledSteps,
    read_labelled,
    run_calibration,
)
from prmkit.evaluation.bon import BonConfig, BonResult, BonRow, Comparison, evaluate_bon
from prmkit.evaluation.prmbench import (
    PRMBenchReport,
    prmscore,
    run_prmbench,
)
from prmkit.evaluation.processbench import (
    AVERAGES_NOTE,
    ProcessBenchReport,
    SplitMetrics,
    SweepRow,
    candidate_thresholds,
    fit_threshold,
    harmonic_f1,
    mean_f1,
    metrics_at_thresholds,
    predict_first_error,
    run_processbench,
    split_metrics,
    weighted_f1,
)

__all__ = [
    "AVERAGES_NOTE",
    "BonConfig",
    "BonResult",
    "BonRow",
    "CalibrationReport",
    "Comparison",
    "LabelledSteps",
    "PRMBenchReport",
    "ProcessBenchReport",
    "SplitMetrics",
    "SweepRow",
    "candidate_thresholds",
    "evaluate_bon",
    "fit_threshold",
    "format_comparisons",
    "format_table",
    "harmonic_f1",
    "mean_f1",
    "metrics_at_thresholds",
    "predict_first_error",
    "prmscore",
    "read_labelled",
    "run_calibration",
    "run_prmbench",
    "run_processbench",
    "score_candidates",
    "split_metrics",
    "weighted_f1",
]
