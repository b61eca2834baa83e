"""What a plan asks for and gets back, and the seeds its rollouts are drawn with.

A *plan* is a Python generator that yields a list of :class:`Probe` (rollout
requests), receives one list of :class:`Rollout` per probe, and finally
returns its result. Plans never call a policy themselves, so the same plan
runs in one process, resumes from a store, replays another job's rollouts or
fans out over Ray (see :func:`prmkit.runtime.run_plans`).

Every rollout is named by (job seed, problem id, prefix, rollout index) and
drawn with :func:`rollout_seed` of that name, so a rollout is the same
whichever plan asks for it, in whatever order, on whatever runner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import Literal, TypeVar

from prmkit.steps import join_steps

__all__ = ["Plan", "Probe", "Rollout", "prefix_key", "rollout_seed"]

R = TypeVar("R")


@dataclass(frozen=True)
class Rollout:
    """One completion of a prefix, graded against the reference."""

    index: int
    """Rollout index within its prefix (0-based); with the job seed it fixes the sampling seed."""
    correct: bool
    """The completion's final answer is equivalent to the reference (no answer counts as wrong)."""
    n_tokens: int
    """Tokens the policy generated for this completion."""
    text: str
    """The completion (continuation of the prefix)."""
    finish_reason: Literal["stop", "length"] = "stop"
    """``"length"`` when the completion hit ``max_tokens``."""
    prompt_tokens: int = 0
    """Tokens of the prompt (question and prefix) the policy read for this completion."""


@dataclass(frozen=True)
class Probe:
    """A request for rollouts ``first .. first+count-1`` from a prefix of steps.

    >>> Probe(("a",), first=0, count=8).indices
    range(0, 8)
    """

    steps: tuple[str, ...]
    """The prefix: the steps kept before the policy continues (empty = the question alone)."""
    first: int = 0
    """Index of the first rollout wanted."""
    count: int = 8
    """How many rollouts."""

    @property
    def indices(self) -> range:
        return range(self.first, self.first + self.count)

    @property
    def key(self) -> str:
        return prefix_key(self.steps)


Plan = Generator[list[Probe], list[list[Rollout]], R]
"""``Plan[R]``: yields probes, receives their rollouts (one list per probe, in order), returns an ``R``."""


def prefix_key(steps: tuple[str, ...]) -> str:
    """A short stable key for a prefix's text (its rollouts are stored under it).

    >>> prefix_key(()) == prefix_key(()) != prefix_key(("a",))
    True
    """
    # imported here, not at the top: prmkit.labeling, which holds the step text helpers, imports this package

    return hashlib.sha256(join_steps(steps).encode()).hexdigest()[:16]


_SEED_SPAN = 2**31 - 2**20  # room for base + index below 2**31


def rollout_seed(job_seed: int, task_id: str, prefix: str, index: int) -> int:
    """The sampling seed of one rollout: a hash of (job seed, task, prefix key) plus the rollout index.

    Consecutive rollouts of a prefix have consecutive seeds, so they can go out as one request
    with ``n`` samples (sample j of a request is drawn with ``seed + j``).

    >>> rollout_seed(0, "q1", "ab12", 3) - rollout_seed(0, "q1", "ab12", 0)
    3
    >>> rollout_seed(0, "q1", "ab12", 3) != rollout_seed(1, "q1", "ab12", 3)
    True
    """
    digest = hashlib.sha256(f"{job_seed}|{task_id}|{prefix}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % _SEED_SPAN + index
