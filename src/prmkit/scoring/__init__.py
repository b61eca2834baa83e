"""Scoring: ``(problem, steps)`` in, exactly one score per step out, for any PRM family.

>>> from prmkit.scoring import load_prm
>>> from prmkit.types import Solution
>>> prm = load_prm("arith")
>>> prm.score([Solution("?", ("2 + 2 = 4", "2 + 3 = 6"))])[0].scores
(1.0, 0.0)
"""

from __future__ import annotations

from prmkit.scoring._backend import (
    Scorer,
    ScorerInfo,
    check_batch,
    check_scores,
    scorer_info,
    validate_solution,
)
from prmkit.scoring._files import ScoreFileStats, read_score_inputs, score_file
from prmkit.scoring.calibration import (
    CalibratedScorer,
    IsotonicCalibrator,
    PlattCalibrator,
    fit_calibrator,
    load_calibrator,
)
from prmkit.scoring.catalog import DEFAULT_PRM, SPECS, get_spec, register_spec
from prmkit.scoring.incremental import IncrementalScorer, incremental
from prmkit.scoring.load import BACKENDS, load_prm, score
from prmkit.scoring.readouts import READOUTS, get_readout
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import VERIFIERS

__all__ = [
    "BACKENDS",
    "DEFAULT_PRM",
    "READOUTS",
    "SPECS",
    "VERIFIERS",
    "CalibratedScorer",
    "IncrementalScorer",
    "IsotonicCalibrator",
    "PRMSpec",
    "PlattCalibrator",
    "ScoreFileStats",
    "Scorer",
    "ScorerInfo",
    "check_batch",
    "check_scores",
    "fit_calibrator",
    "get_readout",
    "get_spec",
    "incremental",
    "load_calibrator",
    "load_prm",
    "read_score_inputs",
    "register_spec",
    "score",
    "score_file",
    "scorer_info",
    "validate_solution",
]
