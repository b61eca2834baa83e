"""What a test needs from outside the repository, asked for in one way.

A test that needs the shared data (``../shared/data``), a model package, an optional extra or the vLLM
environment calls :func:`need` (or :func:`need_module`, :func:`installed`). On a developer's machine a
missing piece skips the test with the reason; under CI (``CI`` set, as ``.ci/run`` does) it fails it,
because CI installs everything and a suite that skips its headline tests must not pass.

Tests marked ``gpu`` are the one exception: they skip without a CUDA device, under CI too
(``conftest.py``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import NoReturn

import pytest

from prmkit.errors import MissingExtraError

__all__ = [
    "installed",
    "missing",
    "need",
    "need_module",
    "pytest_collection_modifyitems",
    "pytest_make_collect_report",
    "pytest_runtest_makereport",
    "under_ci",
]


def under_ci() -> bool:
    """Whether ``CI`` is set to anything but empty, ``0`` or ``false``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def missing(reason: str) -> NoReturn:
    """Skip the test (or the module, at import time) with ``reason``; under CI, fail it instead."""
    if under_ci():
        pytest.fail(f"{reason} (CI is set: a missing requirement fails the test instead of skipping it)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need(condition: object, reason: str) -> None:
    """:func:`missing` unless ``condition`` holds."""
    if not condition:
        missing(reason)


def need_module(name: str, reason: str | None = None) -> ModuleType:
    """``import name``, or :func:`missing` with ``reason`` (default: the import error)."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing(reason or f"{name} cannot be imported ({e})")


@contextmanager
def installed() -> Iterator[None]:
    """Turn prmkit's own "not installed" errors (a model package, an extra) raised inside into :func:`missing`."""
    try:
        yield
    except MissingExtraError as e:  # ModelNotInstalledError included
        missing(str(e))


# ------------------------------------------------- hooks (imported by conftest.py)

_GPU_SKIP = "needs a CUDA device (a test marked gpu skips without one, under CI too)"


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``gpu`` skip where there is no CUDA device (torch is imported only if there are some)."""
    gpu = [item for item in items if item.get_closest_marker("gpu") is not None]
    if gpu and not _has_cuda():
        for item in gpu:
            item.add_marker(pytest.mark.skip(reason=_GPU_SKIP))


def _reason(longrepr: object) -> str:
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Under CI every skip is a failure, whoever skipped (a test, a fixture, a marker), but a ``gpu`` test's."""
    report: pytest.TestReport = yield
    if under_ci() and report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("gpu") is None:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may skip: {_reason(report.longrepr)}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    """The same for a module that skips itself while it is imported."""
    report: pytest.CollectReport = yield
    if under_ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may skip: {_reason(report.longrepr)}"
    return report
