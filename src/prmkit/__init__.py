"""prmkit: process reward models — score every step, evaluate, search, label, train and serve.

``import prmkit`` is light: it imports neither torch nor transformers.

>>> import prmkit
>>> prmkit.score("arith", [prmkit.Solution("?", ("6 / 3 = 2", "2 + 2 = 5"))])[0].scores
(1.0, 0.0)
"""

from prmkit.errors import (
    ConfigError,
    ContextLengthError,
    DataFormatError,
    MissingExtraError,
    PRMKitError,
    UnknownNameError,
)
from prmkit.scoring import PRMSpec, Scorer, load_prm, score
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores, StepwiseExample

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ContextLengthError",
    "DataFormatError",
    "MissingExtraError",
    "PRMKitError",
    "PRMSpec",
    "ScoreFailure",
    "ScoreResult",
    "Scorer",
    "Solution",
    "StepScores",
    "StepwiseExample",
    "UnknownNameError",
    "__version__",
    "load_prm",
    "score",
]
