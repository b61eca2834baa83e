"""Optional heavy dependencies, imported only when used.

>>> require("json", extra="hf").__name__
'json'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from prmkit.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, extra: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the exact install line."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != module.split(".")[0]:
            raise
        pkg = package or module.split(".")[0]
        raise MissingExtraError(
            f"{pkg} is needed for this; install it with: pip install 'prmkit[{extra}]'"
        ) from e
