"""Scoring configs: which PRM to load, on which engine, behind which cache; and ``prmkit score``'s run.

``prmkit score``, ``prmkit eval processbench`` and ``prmkit eval bon`` take
their PRM options from :class:`ScorerConfig` (flattened into ``--prm``,
``--model``, ``--backend``, ...), so the three read the same names, help and
defaults.

>>> cfg = ScorerConfig(prm="arith", no_cache=True)
>>> cfg.name, type(cfg.load()).__name__
('arith', 'ArithVerifier')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.scoring import DEFAULT_PRM, Scorer, load_prm
from prmkit.scoring.cache import CachedScorer, default_cache_path
from prmkit.scoring.combine import Combined

__all__ = ["ScoreFileConfig", "ScorerConfig"]


@dataclass(frozen=True)
class ScorerConfig:
    """The PRM to score with, the engine it runs on, and the step-score cache."""

    prm: str | None = None
    """Catalogued PRM name (see ``prmkit prms``), a combination (``a+b`` = per-step min, ``a*b`` = product),
    or a PRM served by ``prmkit serve``: ``http://host:port/NAME``, key in ``$PRMKIT_API_KEY``
    (unset: ``DEFAULT_PRM``, prmkit's embedded default PRM)."""
    model: str | None = None
    """Weights to load instead of the catalog's: a local path or a hub id."""
    backend: str | None = None
    """Engine to run the PRM on, a name in ``prmkit.scoring.BACKENDS`` (unset: ``verifier`` for verifiers, else ``hf``)."""
    dtype: str | None = None
    """Model dtype, e.g. ``bfloat16``, ``float16``, ``float32`` (unset: the backend's)."""
    device: str | None = None
    """Device to run the model on, e.g. ``cuda``, ``cuda:1``, ``cpu`` (unset: the backend's)."""
    max_length: int | None = None
    """Longest input in tokens; longer solutions fail (unset: the backend's)."""
    judge_url: str | None = None
    """A generative judge (``judge-*``) runs on this OpenAI-compatible server (``http://host:port/v1``), with
    ``--model`` as the server's model id (unset: the server's first), instead of on llama.cpp locally."""
    judge_engine: str | None = None
    """A generative judge's generation engine, a name in ``prmkit.generation.GENERATORS`` (unset: llamacpp)."""
    judge_samples: int | None = None
    """A generative judge's K, verifications per solution (unset: the judge's own)."""
    verifier_option: tuple[str, ...] = ()
    """A model-free verifier's options as KEY=VALUE, e.g. ``timeout_s=2`` (``sympy``), ``timeout_ms=500``
    (``z3``), ``max_digits=100`` (``arith``'s limits); ``sympy.timeout_s=2`` names the verifier in a combination
    of several. They are part of the verifier's identity, so cached scores follow them."""
    cache: str | None = field(default=None, metadata=option(group="cache"))
    """Score cache file (unset: ``$PRMKIT_CACHE_DIR/scores.sqlite``, else ``~/.cache/prmkit/scores.sqlite``)."""
    no_cache: bool = field(default=False, metadata=option(group="cache"))
    """Score without reading or writing the step-score cache."""

    def __post_init__(self) -> None:
        problems = []
        if self.max_length is not None and self.max_length < 1:
            problems.append(f"max_length must be >= 1, got {self.max_length}")
        if self.judge_samples is not None and self.judge_samples < 1:
            problems.append(f"judge_samples must be >= 1, got {self.judge_samples}")
        bad = [o for o in self.verifier_option if "=" not in o or not o.partition("=")[0].strip()]
        if bad:
            problems.append(f"verifier_option takes KEY=VALUE, got {', '.join(map(repr, bad))}")
        if self.no_cache and self.cache is not None:
            problems.append("give cache or no_cache, not both")
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def name(self) -> str:
        """The PRM's name: ``prm``, or ``DEFAULT_PRM`` when unset."""
        return self.prm or DEFAULT_PRM

    def load(self) -> Scorer:
        """``load_prm`` with the options that are set, behind the cache unless ``no_cache``."""
        options: dict[str, Any] = {}
        for key in ("model", "dtype", "device", "max_length"):
            value = getattr(self, key)
            if value is not None:
                options[key] = value
        for key, value in (
            ("url", self.judge_url),
            ("engine", self.judge_engine),
            ("samples", self.judge_samples),
        ):
            if value is not None:
                options[key] = value
        if self.verifier_option:
            options["verifier_options"] = dict(o.partition("=")[::2] for o in self.verifier_option)
        return self.cached(load_prm(self.name, backend=self.backend, **options))

    def cached(self, scorer: Scorer) -> Scorer:
        """``scorer`` behind the step-score cache this config chooses (on unless ``no_cache``).

        A combination caches each member, so ``a+b`` reuses what ``b`` alone scored.
        """
        if self.no_cache:
            return scorer
        path = self.cache or default_cache_path()
        if isinstance(scorer, Combined):
            return Combined([CachedScorer(m, path) for m in scorer.scorers], scorer.rule)
        return CachedScorer(scorer, path)


@dataclass(frozen=True)
class ScoreFileConfig:
    """Settings of ``prmkit score``: score every step of the solutions in a JSON Lines file, resumably."""

    input: str
    """JSONL with ``problem``, ``steps`` (list of str) and optional ``id``."""
    output: str
    """JSONL to append results to; finished ids are skipped."""
    batch_size: int = 8
    """Solutions per scoring call."""
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    """The PRM."""

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
