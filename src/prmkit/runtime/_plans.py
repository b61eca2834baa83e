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
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from prmkit.generation import Sampling
from prmkit.steps import join_steps

__all__ = ["Plan", "Probe", "Query", "Request", "Rollout", "prefix_key", "rollout_seed"]

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
    sampling: Sampling | None = None
    """How these rollouts are sampled, in place of the job's :class:`~prmkit.generation.Sampling`
    (a search's one-step continuations stop at the step separator); part of the key, so rollouts
    of one prefix under two samplings are stored, seeded and reused apart."""
    partial: str = ""
    """The start of an unfinished step after ``steps``, which the rollouts complete (a step cut after
    a few tokens and continued later, or a block of tokens); part of the key."""

    @property
    def indices(self) -> range:
        return range(self.first, self.first + self.count)

    @property
    def key(self) -> str:
        return prefix_key(self.steps, self.sampling, self.partial)


@dataclass(frozen=True)
class Query:
    """A request for the job scorer's step scores of a prefix (a partial or finished solution).

    A plan that yields a ``Query`` receives the prefix's :class:`~prmkit.types.StepScores` (one
    score per step) or a :class:`~prmkit.types.ScoreFailure`. Every active plan's queries of a
    round go to the scorer together, and each answer is stored, so a resumed job reads the scores
    its decisions were made on instead of recomputing them.

    >>> Query(("a", "b")).key == prefix_key(("a", "b"))
    True
    """

    steps: tuple[str, ...]
    """The steps to score, in order."""

    @property
    def key(self) -> str:
        return prefix_key(self.steps)


Request = Probe | Query
"""What a plan asks for: rollouts (:class:`Probe`) or step scores (:class:`Query`)."""

Plan = Generator[Sequence[Request], list[Any], R]
"""``Plan[R]``: yields requests, receives their answers (for a :class:`Probe` its ``list[Rollout]``,
for a :class:`Query` its :data:`~prmkit.types.ScoreResult`; one per request, in order), returns an ``R``."""


def prefix_key(steps: tuple[str, ...], sampling: Sampling | None = None, partial: str = "") -> str:
    """A short stable key for a prefix's text (steps and an unfinished step), and the sampling its
    rollouts are drawn with (if not the job's).

    >>> prefix_key(()) == prefix_key(()) != prefix_key(("a",))
    True
    >>> prefix_key(("a",)) != prefix_key(("a",), Sampling(stop=("\\n\\n",)))
    True
    """
    h = hashlib.sha256(join_steps(steps).encode())
    if sampling is not None:
        h.update(b"|sampling|" + repr(sampling).encode())
    if partial:
        h.update(b"|partial|" + partial.encode())
    return h.hexdigest()[:16]


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
