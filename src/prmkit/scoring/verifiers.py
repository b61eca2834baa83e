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

from collections.abc import Callable
from typing import Any

from prmkit._registry import Registry
from prmkit.errors import ConfigError
from prmkit.scoring._backend import Scorer
from prmkit.scoring.readouts import get_readout
from prmkit.scoring.spec import PRMSpec

__all__ = ["DEFAULT_VERIFIER", "VERIFIERS", "build_verifier"]

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
