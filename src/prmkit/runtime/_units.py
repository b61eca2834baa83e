"""Units of work: some rollouts of one prefix of one problem, generated in batches and graded.

A :class:`Unit` is the work a job hands out: some rollout indices of one
prefix of one problem, with their seeds. :func:`run_units` turns units into
generation requests (consecutive indices go out as one request with ``n``
samples), grades every sample against the problem's reference, and yields
each unit as soon as its batch is finished, so the driver can record it
before asking for more.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prmkit.errors import ContextLengthError
from prmkit.generation import GenerationRequest, Generator, Problem, Sampling, continued_text
from prmkit.runtime._plans import Rollout, prefix_key
from prmkit.steps import Grader

__all__ = ["Grader", "Unit", "UnitFailure", "UnitResult", "run_units"]


@dataclass(frozen=True)
class Unit:
    """Rollouts ``indices`` of the prefix ``steps`` of ``problem``, with their sampling seeds."""

    problem: Problem
    """What is solved; ``problem.id`` keys the unit's rollouts in the store."""
    steps: tuple[str, ...]
    """The prefix the policy continues (empty: the question alone)."""
    indices: tuple[int, ...]
    """Rollout indices wanted."""
    seeds: tuple[int, ...]
    """The sampling seed of each index."""
    sampling: Sampling | None = None
    """How these rollouts are sampled, if not with the job's sampling (see :class:`~prmkit.runtime.Probe`)."""
    partial: str = ""
    """An unfinished step after ``steps`` that the rollouts complete."""

    @property
    def key(self) -> str:
        return prefix_key(self.steps, self.sampling, self.partial)


@dataclass(frozen=True)
class UnitFailure:
    """Why a unit got no rollouts (its prompt does not fit the policy's context window)."""

    reason: str
    detail: str


UnitResult = list[Rollout] | UnitFailure


def _runs(unit: Unit) -> list[tuple[int, int]]:
    """(position in unit.indices, length) of each run of consecutive indices."""
    runs: list[tuple[int, int]] = []
    for pos, idx in enumerate(unit.indices):
        if runs and unit.indices[pos - 1] == idx - 1:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((pos, 1))
    return runs


def _requests(unit: Unit, sampling: Sampling) -> list[GenerationRequest]:
    p = unit.problem
    sampling = unit.sampling if unit.sampling is not None else sampling
    return [
        sampling.request(p.problem, unit.steps, p.dataset, n=length, seed=unit.seeds[pos], partial=unit.partial)
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
            raise AssertionError(f"{unit.problem.id}: {len(samples)} samples for {len(unit.indices)} rollouts")
        yield unit, [
            Rollout(
                index=idx,
                correct=bool(grader(continued_text(unit.steps, sample.text, unit.partial), unit.problem.reference)),
                n_tokens=int(sample.n_tokens),
                text=sample.text,
                finish_reason=sample.finish_reason,
                prompt_tokens=int(sample.n_prompt_tokens),
            )
            for idx, sample in zip(unit.indices, samples, strict=True)
        ]
