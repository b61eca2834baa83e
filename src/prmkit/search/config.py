"""Run config of ``prmkit search``: a method, its budget, the policy, the PRM and the problems.

>>> cfg = SearchConfig(problems="p.jsonl", out="runs/s", method="dvts", n=8, width=4)
>>> cfg.search()
DVTS(n=8, width=4, iterations=40, step_tokens=256, agg='last')
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.generation import PolicyConfig, Sampling
from prmkit.scoring.config import ScorerConfig
from prmkit.search.live import SEARCHES

__all__ = ["CalibrateConfig", "SearchConfig"]

_METHOD_OPTIONS = ("n", "width", "lookahead", "tau", "step_tokens", "agg", "ess", "n_min", "block", "iterations")
"""The :class:`SearchConfig` fields handed to the chosen method, where its class has a field of that name."""


def _sampling() -> Sampling:
    return Sampling(style="boxed", temperature=0.8, max_tokens=512)


@dataclass(frozen=True)
class SearchConfig:
    """Settings of ``prmkit search``: search every problem with a live policy and a PRM, resumably."""

    problems: str
    """JSONL of problems: GSM8K (question, answer), MATH500 (problem, answer) or {id, problem, reference}."""
    out: str
    """Run directory (rollouts, PRM scores, results.jsonl); rerunning the command resumes it."""
    method: str = field(default="beam", metadata=option(choices=SEARCHES))
    """Search algorithm, a name in ``prmkit.search.SEARCHES``."""
    n: int = 8
    """Budget: solutions (bon, adaptive's maximum), beams per iteration (beam, dvts), particles."""
    width: int | None = None
    """Candidates per kept beam (beam, dvts, early_rejection, block; unset: the method's default)."""
    lookahead: int | None = None
    """beam: greedy steps scored past each candidate (unset: 0)."""
    tau: int | None = None
    """early_rejection: tokens of a step sampled before candidates are compared (unset: 64)."""
    step_tokens: int | None = None
    """Most tokens of one step (unset: the method's default)."""
    iterations: int | None = None
    """Most steps (unset: the method's default)."""
    agg: str | None = None
    """How step scores become a prefix's score: last, min, prod, mean, ... (unset: last)."""
    ess: float | None = None
    """particle: resample when the effective sample size falls below this fraction of n (unset: 0.5)."""
    n_min: int | None = None
    """adaptive: solutions drawn before the budget is set (unset: 2)."""
    block: int | None = None
    """block: tokens per block (unset: 64)."""
    calibration: str | None = None
    """adaptive: calibration JSON (``prmkit search-calibrate``; unset: the one prmkit ships for the PRM, if any)."""
    limit: int | None = None
    """Search only the first this many problems of the file (unset: all)."""
    seed: int = 0
    """Job seed: every sample's seed and every resampling derive from it."""
    max_active: int = 16
    """Problems searched at once (their beams share the policy's and the PRM's batches)."""
    batch_size: int = 64
    """Samples per generate call."""
    incremental: bool = True
    """Score a prefix's extension reusing the prefix's work (the PRM's key/value cache)."""
    policy: PolicyConfig = field(default_factory=PolicyConfig, metadata=option(prefix="policy-"))
    """The policy (``--policy NAME``, ``--policy-backend``, ``--policy-dtype``, ...)."""
    sampling: Sampling = field(default_factory=_sampling)
    """How the policy is sampled (steps: cut at the blank line between paragraphs)."""
    scorer: ScorerConfig = field(default_factory=lambda: ScorerConfig(no_cache=True))
    """The PRM."""

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be >= 1, got {self.limit}")
        if self.max_active < 1 or self.batch_size < 1:
            raise ConfigError("max_active and batch_size must be >= 1")
        if self.method == "adaptive" and self.calibration is None:
            raise ConfigError("--method adaptive needs --calibration FILE (prmkit search calibrate)")

    def search(self) -> Any:
        """The method's config with the options that are set and that it takes."""
        cls = SEARCHES.get(self.method)
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        opts = {k: getattr(self, k) for k in _METHOD_OPTIONS if k in names and getattr(self, k) is not None}
        return cls(**opts)


@dataclass(frozen=True)
class CalibrateConfig:
    """Settings of ``prmkit search-calibrate``: fit a PRM's score -> success-probability map on Monte Carlo labels."""

    labelled: str = field(metadata=option(positional=True))
    """Monte Carlo labels: JSONL(.gz) with completions, mc and extra.k (``prmkit label dataset`` writes them)."""
    out: str
    """Calibration JSON to write (``prmkit search --method adaptive --calibration`` reads it)."""
    scorer: ScorerConfig = field(default_factory=lambda: ScorerConfig(no_cache=True))
    """The PRM (the one the search will run with)."""
