"""The batcher in-process with a recording scorer: what each batching limit does, the queue bound and the
routing of results; and where the server's keys come from."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from prmkit.errors import ConfigError
from prmkit.serve import KEYS_ENV, ServeConfig
from prmkit.serve._batcher import Batcher, Overloaded
from prmkit.serve._metrics import Metrics
from prmkit.types import ScoreResult, Solution, StepScores


class Recording:
    """Scores each step by its length; records the batch sizes and the thread it ran on."""

    identity = "lengths"

    def __init__(self, delay: threading.Event | None = None) -> None:
        self.batches: list[int] = []
        self.threads: set[str] = set()
        self.delay = delay

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        if self.delay is not None:
            self.delay.wait(5)
        self.batches.append(len(solutions))
        self.threads.add(threading.current_thread().name)
        return [StepScores(tuple(float(len(s)) for s in sol.steps)) for sol in solutions]


def _sol(i: int, chars: int = 1) -> Solution:
    return Solution("", ("x" * chars,) * (1 + i % 3), id=str(i))


async def _run(scorer: Recording, n: int, chars: int = 1, **limits: float) -> list[list[ScoreResult]]:
    opts = {"max_wait_s": 0.2, "max_solutions": 1000, "max_chars": 10**6, "max_queue": 1000, **limits}
    batcher = Batcher(lambda: scorer, Metrics(), **opts)  # type: ignore[arg-type]
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.score([_sol(i, chars)]) for i in range(n)))
    finally:
        await batcher.close()


def test_requests_are_gathered_into_one_call_and_routed_back() -> None:
    scorer = Recording()
    results = asyncio.run(_run(scorer, 20))
    assert scorer.batches == [20] and scorer.threads == {"prmkit-score_0"}
    assert [r[0].scores for r in results] == [(1.0,) * (1 + i % 3) for i in range(20)]  # type: ignore[union-attr]


def test_the_solution_and_character_budgets_cut_batches() -> None:
    scorer = Recording()
    asyncio.run(_run(scorer, 20, max_solutions=8))
    assert scorer.batches == [8, 8, 4]
    scorer = Recording()
    asyncio.run(_run(scorer, 12, chars=10, max_chars=60))  # 10, 20 or 30 characters per request
    assert sum(scorer.batches) == 12 and len(scorer.batches) > 1


def test_without_waiting_each_request_scores_at_once() -> None:
    scorer = Recording()

    async def one_by_one() -> None:
        batcher = Batcher(lambda: scorer, Metrics(), max_wait_s=0, max_solutions=100, max_chars=10**6, max_queue=9)  # type: ignore[arg-type]
        await batcher.start()
        for i in range(3):
            await batcher.score([_sol(i)])
        await batcher.close()

    asyncio.run(one_by_one())
    assert scorer.batches == [1, 1, 1]


def test_a_full_queue_refuses_at_once_and_queued_requests_still_finish() -> None:
    gate = threading.Event()
    scorer = Recording(delay=gate)

    async def overload() -> tuple[int, int]:
        batcher = Batcher(lambda: scorer, Metrics(), max_wait_s=0, max_solutions=1, max_chars=10**6, max_queue=2)  # type: ignore[arg-type]
        await batcher.start()
        tasks = [asyncio.create_task(batcher.score([_sol(i)])) for i in range(8)]
        await asyncio.sleep(0.1)
        gate.set()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        await batcher.close()
        return sum(isinstance(d, Overloaded) for d in done), sum(isinstance(d, list) for d in done)

    refused, scored = asyncio.run(overload())
    assert refused > 0 and scored > 0 and refused + scored == 8


def test_keys_come_from_the_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    keys.write_text("a # first\n\n  b\n")
    assert ServeConfig(keys_file=str(keys)).api_keys() == ("a", "b")
    monkeypatch.setenv(KEYS_ENV, "c, d")
    assert ServeConfig().api_keys() == ("c", "d")
    assert ServeConfig(no_auth=True).api_keys() == ()
    monkeypatch.delenv(KEYS_ENV)
    with pytest.raises(ConfigError, match="no API keys"):
        ServeConfig().api_keys()
