"""Rollouts on Ray: a pool of actors, each holding its own generator, fed chunks of units.

The driver (:func:`prmkit.runtime.run_plans`) keeps the plans and the store;
actors only generate and grade. Finished chunks come back in completion order
and are recorded by the driver at once, so the store has one writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prmkit._extras import require
from prmkit.generation import Generator, Sampling
from prmkit.runtime._units import Grader, Unit, UnitResult, run_units

__all__ = ["RayRunner"]


class _Worker:
    """The actor body: one generator, built once in the worker process."""

    def __init__(self, factory: Callable[[], Generator], batch_size: int) -> None:
        self.generator = factory()
        self.batch_size = batch_size

    def run(self, units: list[Unit], grader: Grader, sampling: Sampling) -> list[UnitResult]:
        return [r for _, r in run_units(self.generator, units, grader, sampling, batch_size=self.batch_size)]


class RayRunner:
    """Rollouts on ``num_actors`` Ray actors of ``num_cpus`` CPUs each (fractions allowed).

    ``factory`` builds the generator inside each actor (it must be picklable:
    a module-level function or a ``functools.partial`` of one). Ray is started
    with ``init_kwargs`` (default: ``num_cpus=2, include_dashboard=False``) if
    it is not running yet. Needs ``pip install 'prmkit[ray]'``.

    >>> runner = RayRunner(factory=dict, num_actors=2, num_cpus=0.5)   # nothing starts until run()
    >>> runner.num_actors, runner.num_cpus
    (2, 0.5)
    """

    def __init__(
        self,
        factory: Callable[[], Generator],
        *,
        num_actors: int = 4,
        num_cpus: float = 0.5,
        chunk_units: int = 4,
        batch_size: int = 32,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.factory = factory
        self.num_actors = num_actors
        self.num_cpus = num_cpus
        self.chunk_units = chunk_units
        self.batch_size = batch_size
        self.init_kwargs = init_kwargs if init_kwargs is not None else {"num_cpus": 2, "include_dashboard": False}
        self._actors: list[Any] = []

    def _start(self) -> Any:
        ray = require("ray", extra="ray")
        if not ray.is_initialized():
            ray.init(**self.init_kwargs)
        if not self._actors:
            cls = ray.remote(num_cpus=self.num_cpus)(_Worker)
            self._actors = [cls.remote(self.factory, self.batch_size) for _ in range(self.num_actors)]
        return ray

    def run(self, units: Sequence[Unit], grader: Grader, sampling: Sampling) -> Iterator[tuple[Unit, UnitResult]]:
        """Split ``units`` into chunks, spread them over the actors, yield chunks as they finish."""
        if not units:
            return
        ray = self._start()
        chunks = [list(units[i : i + self.chunk_units]) for i in range(0, len(units), self.chunk_units)]
        pending = {
            self._actors[i % len(self._actors)].run.remote(chunk, grader, sampling): chunk
            for i, chunk in enumerate(chunks)
        }
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                chunk = pending.pop(ref)
                yield from zip(chunk, ray.get(ref), strict=True)

    def shutdown(self) -> None:
        """Stop the actors (Ray itself keeps running; call ``ray.shutdown()`` to stop it)."""
        if self._actors:
            ray = require("ray", extra="ray")
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
