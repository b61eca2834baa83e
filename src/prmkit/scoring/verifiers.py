"""Model-free verifiers as data: a spec with readout ``verifier`` names one of :data:`VERIFIERS`.

A verifier is a factory ``(spec, **options) -> Scorer``; the ``verifier``
backend builds the one the spec's ``verifier`` field names (``arith`` when it
is unset). A second checker, or a judge, is one factory registered here and a
catalog entry naming it.

>>> from prmkit.scoring.catalog import get_spec
>>> build_verifier(get_spec("arith")).identity.startswith("verifier:arith:")
True
>>> VERIFIERS.names()
['arith', 'sympy', 'z3']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, Literal, TypeVar

from prmkit._registry import Registry
from prmkit.errors import ConfigError
from prmkit.scoring._backend import Scorer, ScorerInfo, validate_solution
from prmkit.scoring.readouts import get_readout
from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores

__all__ = [
    "DEFAULT_VERIFIER",
    "VERIFIERS",
    "CheckVerdict",
    "StepVerifier",
    "build_verifier",
    "verifier_options",
]

VerifierFactory = Callable[..., Scorer]

VERIFIERS: Registry[VerifierFactory] = Registry("verifier")
"""Verifier name (a spec's ``verifier``) -> factory ``(spec, **options) -> Scorer``, imported when used."""
VERIFIERS.register("arith", "prmkit.scoring.arith:scorer_for_spec")
VERIFIERS.register("sympy", "prmkit.scoring.symbolic:scorer_for_spec")
VERIFIERS.register("z3", "prmkit.scoring.logic:scorer_for_spec")

DEFAULT_VERIFIER = "arith"
"""The verifier of a ``verifier`` spec that names none."""


def build_verifier(spec: PRMSpec, **options: Any) -> Scorer:
    """The ``verifier`` backend: the registered verifier ``spec.verifier`` names, built for ``spec``."""
    if get_readout(spec.readout).runs_model:
        raise ConfigError(f"spec {spec.name!r} has readout {spec.readout!r}, not 'verifier'")
    return VERIFIERS.get(spec.verifier or DEFAULT_VERIFIER)(spec, **options)


CheckVerdict = Literal["pass", "fail", "skip"]
"""One claim's or step's verdict from a tool-grounded verifier (``sympy``, ``z3``): a fail scores the step 0."""


class StepVerifier:
    """Base of the model-free verifiers: :meth:`score` checks each valid solution with :meth:`check`.

    A subclass sets ``spec`` and defines ``identity`` (its version, options and tools) and ``check``.
    """

    spec: PRMSpec

    @property
    def identity(self) -> str:
        raise NotImplementedError

    @property
    def info(self) -> ScorerInfo:
        """Causal (a step is checked against the problem and earlier steps only); no threshold: it scores 0 or 1."""
        return ScorerInfo(self.identity)

    def check(self, sol: Solution) -> StepScores | ScoreFailure:
        """One valid solution's step scores, or its typed failure."""
        raise NotImplementedError

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        out: list[ScoreResult] = []
        for sol in solutions:
            failure = validate_solution(sol, self.spec.reserved)
            out.append(failure if failure is not None else self.check(sol))
        return out


_Options = TypeVar("_Options")


def verifier_options(
    spec: PRMSpec, verifier: str, cls: type[_Options], options: dict[str, Any]
) -> _Options:
    """``cls(**options)`` for a verifier spec, or a ConfigError naming a wrong readout and every unknown option.

    A value given as text (``--verifier-option timeout_s=2``) is read as the type of the option's default.

    >>> from prmkit.scoring import get_spec
    >>> from prmkit.scoring.symbolic import SympyOptions
    >>> verifier_options(get_spec("sympy"), "sympy", SympyOptions, {"timeout_s": "2.5"}).timeout_s
    2.5
    """
    problems = []
    if spec.readout != "verifier":
        problems.append(f"spec {spec.name!r} has readout {spec.readout!r}, not 'verifier'")
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(options) - known)
    if unknown:
        problems.append(
            f"the {verifier} verifier has no option {', '.join(unknown)} (options: {', '.join(sorted(known))})"
        )
    if problems:
        raise ConfigError("; ".join(problems))
    typed = {f.name: _typed(verifier, f, options[f.name]) for f in fields(cls) if f.name in options}  # type: ignore[arg-type]
    return cls(**typed)


def _typed(verifier: str, f: Any, value: Any) -> Any:
    """``value`` as the type of the option's default when it came as text."""
    kind = type(f.default)
    if not isinstance(value, str) or kind is str:
        return value
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        return kind(value)
    except ValueError:
        raise ConfigError(
            f"the {verifier} verifier's option {f.name} takes a {kind.__name__}, got {value!r}"
        ) from None
