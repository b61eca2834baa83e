"""Runners: units to requests in one process, and replay from another job's store."""

from __future__ import annotations

import pytest
from _scripted import ScriptedPolicy, exact_grader
from _workload import bisect, group, run, scripted_problems

from prmkit.errors import DataFormatError
from prmkit.generation import Sampling
from prmkit.runtime import LocalRunner, ReplayRunner, Unit, rollout_seed


class Recording(ScriptedPolicy):
    def __init__(self, table) -> None:
        super().__init__(table)
        self.batches: list[list[tuple[int, int | None]]] = []

    def generate(self, requests):
        self.batches.append([(r.n, r.seed) for r in requests])
        return super().generate(requests)


def test_consecutive_indices_go_out_as_one_request_and_batches_hold_whole_units() -> None:
    problems, _, table = scripted_problems(2, seed=1)
    p, q = problems
    units = [Unit(p, (), (0, 1, 2, 5, 6), (10, 11, 12, 15, 16)), Unit(q, ("a",), (3,), (7,)), Unit(q, (), (0, 1), (1, 2))]
    policy = Recording(table)
    out = list(LocalRunner(policy, batch_size=6).run(units, exact_grader, Sampling()))
    assert policy.batches == [[(3, 10), (2, 15), (1, 7)], [(2, 1)]]  # the first batch closes at 6 rollouts
    assert [u for u, _ in out] == units
    assert [[r.index for r in rs] for _, rs in out] == [[0, 1, 2, 5, 6], [3], [0, 1]]


def test_a_local_runner_builds_its_generator_once_on_first_use() -> None:
    problems, _, table = scripted_problems(1, seed=1)
    built = []
    runner = LocalRunner(factory=lambda: built.append(1) or ScriptedPolicy(table))
    assert list(runner.run([], exact_grader, Sampling())) == [] and built == []
    for _ in range(2):
        list(runner.run([Unit(problems[0], (), (0,), (3,))], exact_grader, Sampling()))
    assert built == [1]
    with pytest.raises(ValueError, match="not both"):
        LocalRunner(ScriptedPolicy(table), factory=lambda: ScriptedPolicy(table))
    with pytest.raises(ValueError, match="neither"):
        LocalRunner().generator  # noqa: B018


def test_replay_answers_another_jobs_rollouts_and_refuses_one_it_lacks(tmp_path) -> None:
    problems, steps, table = scripted_problems(10, seed=6)
    run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table)), tmp_path / "live", seed=2)
    live, stats_live, _ = run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table)), tmp_path / "live2", seed=2)
    replay, stats, _ = run(problems, bisect(steps), ReplayRunner(tmp_path / "live"), tmp_path / "replay", seed=2)
    assert replay == live and stats.generated == stats_live.generated
    with pytest.raises(DataFormatError, match="not stored with seed"):
        run(problems, bisect(steps), ReplayRunner(tmp_path / "live"), tmp_path / "other", seed=3)
    with pytest.raises(DataFormatError, match="is not stored"):
        run(problems, group, ReplayRunner(tmp_path / "live"), tmp_path / "group", seed=2)


def test_rollout_seeds_are_consecutive_within_a_prefix_and_differ_across_names() -> None:
    base = rollout_seed(4, "p1", "abc", 0)
    assert [rollout_seed(4, "p1", "abc", i) - base for i in range(4)] == [0, 1, 2, 3]
    assert len({base, rollout_seed(5, "p1", "abc", 0), rollout_seed(4, "p2", "abc", 0),
                rollout_seed(4, "p1", "abd", 0)}) == 4
    assert 0 <= base < 2**31
