"""Where rollouts run: in this process, from another job's store, or on Ray (:mod:`prmkit.runtime._ray`).

A runner takes units and yields each with its graded rollouts as soon as it
is finished, so the driver can record it before asking for more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from prmkit.errors import DataFormatError
from prmkit.generation import Generator, Sampling
from prmkit.runtime._store import RolloutStore
from prmkit.runtime._units import Grader, Unit, UnitResult, run_units

__all__ = ["LocalRunner", "ReplayRunner", "Runner"]


class Runner(Protocol):
    """Where rollouts run: :class:`LocalRunner` (this process), :class:`ReplayRunner` (a store) or
    :class:`prmkit.runtime.RayRunner` (Ray actors)."""

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

    A plan run with the same job seed as the stored job asks for the same
    (problem, prefix, index, seed) rollouts, so it sees exactly the rollouts the
    stored job drew (common random numbers: binary search replayed on a
    per-step Monte Carlo job). A rollout the store lacks, or one stored with
    another seed, raises :class:`~prmkit.errors.DataFormatError`.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = str(directory)
        self.store = RolloutStore(directory, fingerprint=None)

    def run(self, units: Sequence[Unit], grader: Grader, sampling: Sampling) -> Iterator[tuple[Unit, UnitResult]]:
        for unit in units:
            out = []
            for idx, seed in zip(unit.indices, unit.seeds, strict=True):
                r = self.store.lookup(unit.problem.id, unit.key, idx)
                if r is None or self.store.seed(unit.problem.id, unit.key, idx) != seed:
                    raise DataFormatError(
                        f"rollout {idx} of task {unit.problem.id!r} prefix {unit.key} is not stored with seed {seed}",
                        path=self.directory,
                    )
                out.append(r)
            yield unit, out
