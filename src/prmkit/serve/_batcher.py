"""Dynamic batching: requests gathered for a few milliseconds, scored in one call on one worker thread.

The event loop only queues and routes; ``scorer.score`` (torch, the cache's
SQLite) runs on a single worker thread, which also builds the scorer, so a
model and its cache connection live on the thread that uses them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from prmkit.scoring import Scorer, check_batch
from prmkit.serve._metrics import Metrics
from prmkit.types import ScoreResult, Solution

__all__ = ["Batcher", "Overloaded"]


class Overloaded(Exception):
    """The queue is full: the request is refused at once (HTTP 429)."""


@dataclass
class _Item:
    solutions: list[Solution]
    future: asyncio.Future[list[ScoreResult]]
    chars: int = field(init=False)

    def __post_init__(self) -> None:
        self.chars = sum(len(s.problem) + sum(len(t) for t in s.steps) for s in self.solutions)


class Batcher:
    """Gathers scoring requests into batches of at most ``max_solutions`` solutions and ``max_chars``
    characters, waiting at most ``max_wait_s`` after the first, then makes one ``score`` call."""

    def __init__(
        self,
        load: Callable[[], Scorer],
        metrics: Metrics,
        *,
        max_wait_s: float,
        max_solutions: int,
        max_chars: int,
        max_queue: int,
    ) -> None:
        self._load, self.metrics = load, metrics
        self.max_wait_s, self.max_solutions, self.max_chars = max_wait_s, max_solutions, max_chars
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=max_queue)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prmkit-score")
        self._task: asyncio.Task[None] | None = None
        self._held: _Item | None = None
        self._busy = False
        self.scorer: Scorer | None = None

    async def start(self) -> Scorer:
        """Build the scorer on the worker thread and start gathering; returns the scorer."""
        loop = asyncio.get_running_loop()
        self.scorer = await loop.run_in_executor(self._worker, self._load)
        self._task = asyncio.create_task(self._run())
        return self.scorer

    async def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, scored in whatever batch the request joins; :class:`Overloaded` if the
        queue is full."""
        item = _Item(list(solutions), asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            raise Overloaded(f"the queue holds {self._queue.maxsize} requests (--max-queue)") from None
        self.metrics.queue_depth = self._queue.qsize()
        return await item.future

    async def close(self) -> None:
        """Score everything already queued, then stop the worker."""
        while self._task is not None and (self._busy or self._held is not None or not self._queue.empty()):
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._worker.shutdown(wait=True)

    async def _next(self, timeout: float | None) -> _Item | None:
        if self._held is not None:
            item, self._held = self._held, None
            return item
        if timeout is None:
            return await self._queue.get()
        try:
            return await asyncio.wait_for(self._queue.get(), timeout) if timeout > 0 else self._queue.get_nowait()
        except (asyncio.TimeoutError, asyncio.QueueEmpty):
            return None

    async def _gather(self) -> list[_Item]:
        first = await self._next(None)
        assert first is not None
        self._busy = True
        batch, n, chars = [first], len(first.solutions), first.chars
        deadline = time.monotonic() + self.max_wait_s
        while n < self.max_solutions and chars < self.max_chars:
            item = await self._next(deadline - time.monotonic())
            if item is None:
                break
            if n + len(item.solutions) > self.max_solutions or chars + item.chars > self.max_chars:
                self._held = item  # opens the next batch
                break
            batch.append(item)
            n, chars = n + len(item.solutions), chars + item.chars
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            self.metrics.queue_depth = self._queue.qsize()
            sols = [s for item in batch for s in item.solutions]
            try:
                results = await loop.run_in_executor(self._worker, self._score, sols)
            except Exception as e:  # a scorer bug fails this batch's requests, not the server
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(e)
                self._busy = False
                continue
            self.metrics.observe_batch(len(batch), len(sols))
            start = 0
            for item in batch:
                end = start + len(item.solutions)
                if not item.future.done():  # a client that hung up has a cancelled future
                    item.future.set_result(results[start:end])
                start = end
            self._busy = False

    def _score(self, solutions: list[Solution]) -> list[ScoreResult]:
        assert self.scorer is not None
        return check_batch(solutions, self.scorer.score(solutions), self.scorer.identity)
