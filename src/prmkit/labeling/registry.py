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

__all__ = ["GRADERS", "LABELLERS"]

LABELLERS: Registry[Callable[..., Any]] = Registry("labeller")
"""Labeller classes (frozen dataclasses with a ``plan`` per task, see :class:`prmkit.labeling.Labeller`) by name."""
LABELLERS.register("mc", "prmkit.labeling.mc:MonteCarlo")
LABELLERS.register("binary_search", "prmkit.labeling.binary_search:BinarySearch")
LABELLERS.register("tree_search", "prmkit.labeling.tree_search:TreeSearch")

GRADERS: Registry[Callable[[str, str], bool]] = Registry("grader")
"""Rollout graders ``grader(solution_text, reference) -> correct`` by name (module-level functions, so Ray can
pickle them): ``strict`` counts a text that states no answer as wrong, ``lenient`` grades it on its last number."""
GRADERS.register("strict", "prmkit.steps:grade_text")
GRADERS.register("lenient", "prmkit.steps:grade_text_lenient")
