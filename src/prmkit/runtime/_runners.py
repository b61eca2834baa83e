"""Running rollouts: turning probes into generation requests, grading the samples, in one process or on Ray.

A :class:`Unit` is the work a job hands out: some rollout indices of one
prefix of one task, with their seeds. A runner takes units and yields each
with its graded rollouts as soon as it is finished, so the job can record it
before asking for more.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prmkit.errors import ContextLengthError, DataFormatError
from prmkit.labeling._grading import Grader
from prmkit.labeling._types import Rollout, prefix_key
from prmkit.labeling.prompts import (
    ChatFormat,
    Dataset,
    PromptStyle,
    continuation_prefix,
    rollout_prompt,
)

if TYPE_CHECKING:
    from prmkit.generation import GenerationRequest, Generator

__all__ = ["LocalRunner", "ReplayRunner", "Runner", "Sampling", "Unit", "UnitFailure", "rollout_seed", "run_units"]


@dataclass(frozen=True)
class Sampling:
    """How rollouts are sampled from the policy."""

    temperature: float = 0.7
    """Sampling temperature (RLHFlow's Math-Shepherd-style data: 0.7)."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    max_tokens: int = 512
    """Most tokens one rollout may generate; a rollout cut off without an answer counts as wrong."""
    stop: tuple[str, ...] = ()
    """Extra stop strings (the policy's end-of-turn token always stops)."""
    example: bool = True
    """Put the one-shot worked example in the prompt (see :func:`prmkit.labeling.prompts.step_prompt`)."""
    chat_format: ChatFormat = "chatml"
    """How the prompt is rendered for the policy: ChatML (instruct models) or plain text."""
    style: PromptStyle = "structured"
    """What the prompt asks for: prmkit's structured steps or the policy's own boxed chain of thought."""

    def stop_strings(self) -> tuple[str, ...]:
        """The stop strings sent: ``stop`` plus the chat format's turn markers."""
        extra = ("<|im_end|>", "<|im_start|>") if self.chat_format == "chatml" else ()
        return tuple(dict.fromkeys((*self.stop, *extra)))

    def request(
        self, problem: str, steps: Sequence[str], dataset: Dataset, *, n: int, seed: int | None
    ) -> GenerationRequest:
        """The request for ``n`` continuations of ``steps`` (none: a whole solution) of ``problem``.

        >>> Sampling(max_tokens=64).request("1+1?", (), "gsm8k", n=2, seed=5).stop
        ('<|im_end|>', '<|im_start|>')
        """
        from prmkit.generation import GenerationRequest

        prompt = rollout_prompt(problem, steps, dataset, chat_format=self.chat_format, example=self.example,
                                style=self.style)
        return GenerationRequest(prompt, n=n, max_tokens=self.max_tokens, temperature=self.temperature,
                                 top_p=self.top_p, stop=self.stop_strings(), seed=seed)


@dataclass(frozen=True)
class Unit:
    """Rollouts ``indices`` of the prefix ``steps`` of one task, with their sampling seeds."""

    task_id: str
    problem: str
    reference: str
    dataset: Dataset
    steps: tuple[str, ...]
    indices: tuple[int, ...]
    seeds: tuple[int, ...]

    @property
    def key(self) -> str:
        return prefix_key(self.steps)


_SEED_SPAN = 2**31 - 2**20  # room for base + index below 2**31


@dataclass(frozen=True)
class UnitFailure:
    """Why a unit got no rollouts (its prompt does not fit the policy's context window)."""

    reason: str
    detail: str


UnitResult = list[Rollout] | UnitFailure


def rollout_seed(job_seed: int, task_id: str, prefix: str, index: int) -> int:
    """The sampling seed of one rollout: a hash of (job seed, task, prefix) plus the rollout index.

    Consecutive rollouts of a prefix have consecutive seeds, so they can go out as one request
    with ``n`` samples (sample j of a request is drawn with ``seed + j``).

    >>> rollout_seed(0, "q1", "ab12", 3) - rollout_seed(0, "q1", "ab12", 0)
    3
    >>> rollout_seed(0, "q1", "ab12", 3) != rollout_seed(1, "q1", "ab12", 3)
    True
    """
    digest = hashlib.sha256(f"{job_seed}|{task_id}|{prefix}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % _SEED_SPAN + index


def _runs(unit: Unit) -> list[tuple[int, int]]:
    """(position in unit.indices, length) of each run of consecutive indices."""
    runs: list[tuple[int, int]] = []
    for pos, idx in enumerate(unit.indices):
        if runs and unit.indices[pos - 1] == idx - 1:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((pos, 1))
    return runs


def _requests(unit: Unit, sampling: Sampling) -> list[Any]:
    return [
        sampling.request(unit.problem, unit.steps, unit.dataset, n=length, seed=unit.seeds[pos])
        for pos, length in _runs(unit)
    ]


def run_units(
    generator: Generator, units: Sequence[Unit], grader: Grader, sampling: Sampling, *, batch_size: int = 32
) -> Iterator[tuple[Unit, UnitResult]]:
    """Generate and grade ``units``, batching requests; yield each unit as its batch finishes.

    A batch holds whole units and at least one; it closes once it has ``batch_size`` requests.
    A unit whose prompt is too long for the policy comes back as a :class:`UnitFailure`.
    """
    batch: list[Unit] = []
    size = 0
    for unit in units:
        batch.append(unit)
        size += len(unit.indices)
        if size >= batch_size:
            yield from _run_batch(generator, batch, grader, sampling)
            batch, size = [], 0
    if batch:
        yield from _run_batch(generator, batch, grader, sampling)


def _run_batch(
    generator: Generator, units: list[Unit], grader: Grader, sampling: Sampling
) -> Iterator[tuple[Unit, UnitResult]]:
    per_unit = [_requests(u, sampling) for u in units]
    requests = [r for rs in per_unit for r in rs]
    try:
        results = generator.generate(requests)
    except ContextLengthError as e:
        if len(units) == 1:
            yield units[0], UnitFailure("context_length", str(e))
            return
        for unit in units:  # find the unit that does not fit; the others still run
            yield from _run_batch(generator, [unit], grader, sampling)
        return
    if len(results) != len(requests):
        raise AssertionError(f"generator returned {len(results)} results for {len(requests)} requests")
    pos = 0
    for unit, reqs in zip(units, per_unit, strict=True):
        samples = [s for rs in results[pos : pos + len(reqs)] for s in rs]
        pos += len(reqs)
        if len(samples) != len(unit.indices):
            raise AssertionError(f"{unit.task_id}: {len(samples)} samples for {len(unit.indices)} rollouts")
        prefix = continuation_prefix(unit.steps)
        yield unit, [
            Rollout(
                index=idx,
                correct=bool(grader(prefix + sample.text, unit.reference)),
                n_tokens=int(sample.n_tokens),
                text=sample.text,
                finish_reason=sample.finish_reason,
                prompt_tokens=int(sample.n_prompt_tokens),
            )
            for idx, sample in zip(unit.indices, samples, strict=True)
        ]


class Runner(Protocol):
    """Where rollouts run: :class:`LocalRunner` (this process) or :class:`prmkit.labeling.job.RayRunner`."""

    def run(self, units: Sequence[Unit], grader: Grader, sampling: Sampling) -> Iterator[tuple[Unit, UnitResult]]:
        """Yield every unit with its graded rollouts (or why it has none), each as soon as it is finished."""
        ...


class LocalRunner:
    """Rollouts from one generator in this process, ``batch_size`` requests per ``generate`` call.

    >>> LocalRunner(generator=None, batch_size=8).batch_size
    8
    """

    def __init__(self, generator: Generator | None = None, *, factory: Callable[[], Generator] | None = None,
                 batch_size: int = 32) -> None:
        if generator is not None and factory is not None:
            raise ValueError("give a generator or a factory, not both")
        self._generator = generator
        self._factory = factory
        self.batch_size = batch_size

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            if self._factory is None:
                raise ValueError("LocalRunner has neither a generator nor a factory")
            self._generator = self._factory()
        return self._generator

    def run(self, units: Sequence[Unit], grader: Grader, sampling: Sampling) -> Iterator[tuple[Unit, UnitResult]]:
        """Generate ``units`` in batches; the generator is built (from the factory) on first use."""
        if not units:
            return iter(())
        return run_units(self.generator, units, grader, sampling, batch_size=self.batch_size)


class ReplayRunner:
    """Answers rollouts from another job's store instead of a policy: no generation at all.

    A labeller run with the same job seed as the stored job asks for the same
    (task, prefix, index, seed) rollouts, so it sees exactly the rollouts the
    stored job drew (common random numbers: binary search replayed on a
    per-step Monte Carlo job). A rollout the store lacks, or one stored with
    another seed, raises :class:`~prmkit.errors.DataFormatError`.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        from prmkit.runtime._store import RolloutStore

        self.directory = str(directory)
        self.store = RolloutStore(directory, fingerprint=None)

    def run(self, units: Sequence[Unit], grader: Grader, sampling: Sampling) -> Iterator[tuple[Unit, UnitResult]]:
        for unit in units:
            out = []
            for idx, seed in zip(unit.indices, unit.seeds, strict=True):
                r = self.store.lookup(unit.task_id, unit.key, idx)
                if r is None or self.store.seed(unit.task_id, unit.key, idx) != seed:
                    raise DataFormatError(
                        f"rollout {idx} of task {unit.task_id!r} prefix {unit.key} is not stored with seed {seed}",
                        path=self.directory,
                    )
                out.append(r)
            yield unit, out
