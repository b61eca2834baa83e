"""Run configs of the labelling commands: ``prmkit label sample|dataset|run|inject|consensus``.

The policy (:class:`PolicyConfig`) and its sampling (:class:`~prmkit.labeling.Sampling`)
are nested configs, so every command that runs a policy reads the same flags
(``--policy``, ``--backend``, ``--temperature``, ...) with the same defaults.

>>> cfg = LabelRunConfig(input="solutions.jsonl", job="runs/bs", method="binary_search")
>>> cfg.labeller(), cfg.policy.identity
(BinarySearch(k=8, wave=2, search='bisect'), 'hf:qwen2.5-coder-0.5b-instruct')
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from prmkit.config import option
from prmkit.generation import PolicyConfig, Sampling
from prmkit.labeling import BinarySearch, Labeller, MonteCarlo
from prmkit.labeling.registry import LABELLERS
from prmkit.labeling.tree_search import TreeSearch

__all__ = ["ConsensusConfig", "DatasetConfig", "InjectConfig", "LabelRunConfig", "PolicyConfig", "SampleConfig"]

_LABELLER_OPTIONS = ("k", "label", "wave", "search", "search_limit")
"""The :class:`LabelRunConfig` fields handed to the chosen labeller, where its class has a field of that name."""


def _boxed() -> Sampling:
    return Sampling(style="boxed")


@dataclass(frozen=True)
class SampleConfig:
    """Settings of ``prmkit label sample``: policy-written solutions of problems, resumable."""

    problems: str
    """JSONL of problems: GSM8K records (question, answer) or {id, problem, reference[, dataset]}."""
    out: str
    """Solutions JSONL; rerunning the command resumes it."""
    n: int | None = None
    """Problems to draw (seeded, without replacement; unset: all)."""
    per_problem: int = 1
    """Solutions per problem."""
    seed: int = 0
    """Seed of the problem draw and of every sample."""
    batch_size: int = 96
    """Samples per generate call (and per store write)."""
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    """The policy."""
    sampling: Sampling = field(default_factory=_boxed)
    """How solutions are sampled (``boxed``: the policy's own chain of thought ending in ``\\boxed{}``)."""


@dataclass(frozen=True)
class DatasetConfig:
    """Settings of ``prmkit label dataset``: sample solutions, label them by per-step Monte Carlo and by binary search."""

    problems: str
    """JSONL of problems: GSM8K records (question, answer) or {id, problem, reference[, dataset]}."""
    job: str
    """Job directory (``solutions.jsonl``, ``mc/``, ``bs/``); rerunning the command resumes it."""
    export: str | None = None
    """Write solutions, rollouts, labels and ``summary.json`` here (gzipped JSONL); a job directory that does not
    exist yet is restored from it."""
    n: int | None = None
    """Problems to draw (seeded, without replacement; unset: all)."""
    k: int = MonteCarlo.k
    """Rollouts per step prefix."""
    seed: int = 0
    """Seed of the problem draw and of every sample and rollout."""
    batch_size: int = 96
    """Samples per generate call (and per store write)."""
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    """The policy."""
    sampling: Sampling = field(default_factory=_boxed)
    """How solutions and rollouts are sampled."""


@dataclass(frozen=True)
class LabelRunConfig:
    """Settings of ``prmkit label run``: label solutions with policy rollouts, as a resumable job."""

    input: str
    """JSONL of solutions (id, problem, steps, reference[, correct]) or raw GSM8K records."""
    job: str
    """Job directory; rerunning the command resumes it."""
    method: str = field(default="mc", metadata=option(choices=LABELLERS))
    """Labeller, a name in ``prmkit.labeling.LABELLERS``: per-step Monte Carlo, OmegaPRM binary search, or
    OmegaPRM tree search per question."""
    out: str | None = None
    """Write the TRL records here when done (JSONL)."""
    k: int = MonteCarlo.k
    """Rollouts per probed prefix."""
    label: Literal["hard", "soft"] = MonteCarlo.label
    """``mc``: 1[c_t > 0] or c_t itself; ``tree_search``: 1[MC > 0] or the MC of each state."""
    wave: int = BinarySearch.wave
    """``binary_search``: rollouts drawn at a time (a probe stops at the first wave with a correct rollout)."""
    search: Literal["bisect", "gallop"] = BinarySearch.search
    """``binary_search``: OmegaPRM midpoints, or prefixes 1, 2, 4, ... then bisection."""
    search_limit: int = TreeSearch.search_limit
    """``tree_search``: selections per question."""
    seed: int = 0
    """Job seed (fixes every rollout's sampling seed)."""
    batch_size: int = 32
    """Requests per generate call (and per store write)."""
    ray: bool = False
    """Run rollouts on Ray actors (needs ``prmkit[ray]``)."""
    actors: int = 4
    """``ray``: number of generator actors."""
    cpus_per_actor: float = 0.5
    """``ray``: CPUs per actor (fractions allowed)."""
    ray_cpus: int = 2
    """``ray``: CPUs of the local Ray instance."""
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    """The rollout policy."""
    sampling: Sampling = field(default_factory=Sampling)
    """How rollouts are sampled."""

    def labeller(self) -> Labeller:
        """The registered labeller ``method``, given the options of this config its class has fields for."""
        cls: Any = LABELLERS.get(self.method)
        names = {f.name for f in fields(cls) if f.init}
        labeller: Labeller = cls(**{name: getattr(self, name) for name in _LABELLER_OPTIONS if name in names})
        return labeller


@dataclass(frozen=True)
class InjectConfig:
    """Settings of ``prmkit label inject``: one known error per (solution, error type) in correct solutions."""

    input: str
    """JSONL of correct solutions or raw GSM8K records."""
    out: str
    """TRL records of the injected solutions (JSONL)."""
    types: str = "all"
    """Comma-separated error types (arithmetic_slip, misread_quantity, wrong_operation, dropped_condition,
    unjustified_leap, wrong_unit) or ``all``."""
    seed: int = 0
    """Seed of the choice of step and edit."""


@dataclass(frozen=True)
class ConsensusConfig:
    """Settings of ``prmkit label consensus``: keep labelled solutions whose first error an LLM judge names."""

    labels: str
    """TRL records from ``prmkit label run``."""
    out: str
    """Kept records (JSONL)."""
    judge: str
    """Judge model: a catalog name, a ``.gguf`` path or a model directory."""
    backend: str = "hf"
    """Generation backend of the judge, a name in ``prmkit.generation.GENERATORS``."""
    samples: int = 1
    """Judge samples per solution (majority vote)."""
    temperature: float = 0.0
    """Judge sampling temperature."""
    max_tokens: int = 1024
    """Most tokens per judge answer."""
