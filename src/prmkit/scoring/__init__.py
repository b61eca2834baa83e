"""Scoring: ``(problem, steps)`` in, exactly one score per step out, for any PRM family.

>>> from prmkit.scoring import load_prm
>>> from prmkit.types import Solution
>>> prm = load_prm("arith")
>>> prm.score([Solution("?", ("2 + 2 = 4", "2 + 3 = 6"))])[0].scores
(1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmkit._registry import Registry
from prmkit.scoring._backend import (
    Scorer,
    ScorerInfo,
    check_batch,
    check_scores,
    scorer_info,
    validate_solution,
)
from prmkit.scoring._files import ScoreFileStats, read_score_inputs, score_file
from prmkit.scoring.catalog import DEFAULT_PRM, SPECS, get_spec, register_spec
from prmkit.scoring.readouts import READOUTS, get_readout
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import VERIFIERS
from prmkit.types import ScoreResult, Solution

__all__ = [
    "BACKENDS",
    "DEFAULT_PRM",
    "READOUTS",
    "SPECS",
    "VERIFIERS",
    "PRMSpec",
    "ScoreFileStats",
    "Scorer",
    "ScorerInfo",
    "check_batch",
    "check_scores",
    "get_readout",
    "get_spec",
    "load_prm",
    "read_score_inputs",
    "register_spec",
    "score",
    "score_file",
    "scorer_info",
    "validate_solution",
]

BACKENDS: Registry[Any] = Registry("backend")
"""Engine factories ``(spec, **options) -> Scorer``, imported only when used."""
BACKENDS.register("hf", "prmkit.scoring.hf:HFScorer")
BACKENDS.register("verifier", "prmkit.scoring.verifiers:build_verifier")
BACKENDS.register("vllm", "prmkit.scoring.vllm:VLLMScorer")


def load_prm(prm: str | PRMSpec, backend: str | None = None, **options: Any) -> Scorer:
    """Build a scorer for a catalogued PRM name (or a spec) on a backend.

    ``backend`` defaults to the readout's (``"verifier"`` for model-free
    verifiers, ``"hf"`` otherwise); ``options`` go to the backend (``model=`` a path or hub
    id overriding the spec's weights, ``dtype=``, ``device=``, ``max_length=``,
    ``batch_tokens=``). A name like ``"arith+qwen2.5-math-prm-7b"`` combines
    scorers with a per-step minimum (see :mod:`prmkit.scoring.combine`).
    """
    if isinstance(prm, str) and ("+" in prm or "*" in prm) and prm not in SPECS:
        from prmkit.scoring.combine import parse_combination

        return parse_combination(prm, backend=backend, **options)
    spec = get_spec(prm) if isinstance(prm, str) else prm
    name = backend or get_readout(spec.readout).backend
    factory = BACKENDS.get(name)
    scorer: Scorer = factory(spec, **options)
    return scorer


def score(prm: Scorer | str, solutions: Sequence[Solution], **options: Any) -> list[ScoreResult]:
    """Score solutions with a scorer or a catalogued PRM name; one result per solution.

    >>> score("arith", [Solution("?", ("3 * 4 = 12",))])[0].scores
    (1.0,)
    """
    scorer = load_prm(prm, **options) if isinstance(prm, str) else prm
    sols = list(solutions)
    return check_batch(sols, scorer.score(sols))
