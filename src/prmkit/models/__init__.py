"""Model-side helpers: offline tokenizers (:mod:`prmkit.models.tokenizers`) and tiny test models.

Submodules import torch/transformers lazily; importing this package is cheap.
"""

from __future__ import annotations
