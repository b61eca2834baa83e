"""Hypothesis profiles of the fuzz tests: ``suite`` (the default: a few seconds per loader) and ``long``
(``PRMKIT_FUZZ_PROFILE=long``: thousands of cases per loader; ``scripts/fuzz.py`` is the 100,000-case run)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.function_scoped_fixture]
settings.register_profile("suite", max_examples=40, deadline=None, suppress_health_check=_QUIET, database=None)
settings.register_profile("long", max_examples=5_000, deadline=None, suppress_health_check=_QUIET, database=None)
settings.load_profile(os.environ.get("PRMKIT_FUZZ_PROFILE", "suite"))
