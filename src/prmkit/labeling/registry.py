"""Registries of the labelling methods and the rollout graders; the names are the CLI and config values.

>>> LABELLERS.names(), GRADERS.names()
(['binary_search', 'mc', 'tree_search'], ['lenient', 'strict'])
>>> LABELLERS.get("mc")(k=4).k
4
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prmkit._registry import Registry
from prmkit.steps import GRADERS

__all__ = ["GRADERS", "LABELLERS"]

LABELLERS: Registry[Callable[..., Any]] = Registry("labeller")
"""Labeller classes (frozen dataclasses with a ``plan`` per task, see :class:`prmkit.labeling.Labeller`) by name."""
LABELLERS.register("mc", "prmkit.labeling.mc:MonteCarlo")
LABELLERS.register("binary_search", "prmkit.labeling.binary_search:BinarySearch")
LABELLERS.register("tree_search", "prmkit.labeling.tree_search:TreeSearch")

