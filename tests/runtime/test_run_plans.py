"""run_plans: plans in lockstep, rollouts recorded as they finish, resumed from the store."""

from __future__ import annotations

import json

import pytest
from _scripted import ScriptedPolicy, exact_grader, parse_prompt
from _workload import bisect, greedy, group, run, scripted_problems

from prmkit.errors import ConfigError, ContextLengthError
from prmkit.generation import Problem, Sampling
from prmkit.runtime import LocalRunner, Probe, RolloutStore, run_plans


def _stored(directory) -> list[tuple[str, str, int, int]]:
    lines = (directory / "rollouts.jsonl").read_text().splitlines()
    return sorted((r["task"], r["prefix"], x["i"], x["seed"]) for r in map(json.loads, lines) for x in r["rollouts"])


@pytest.mark.parametrize("plan", [group, greedy], ids=["rl_group", "greedy_search"])
def test_a_rollout_loop_and_a_search_run_as_plans_and_a_rerun_generates_nothing(tmp_path, plan) -> None:
    problems, _, table = scripted_problems(8, seed=2)
    policy = ScriptedPolicy(table)
    first, stats, _ = run(problems, plan, LocalRunner(policy, batch_size=8), tmp_path)
    per_problem = 6 if plan is group else 12
    assert stats.generated == policy.samples == per_problem * len(problems) and stats.reused == 0
    assert all(rec["rollouts"] == per_problem for (rec,) in first.values())
    if plan is group:
        assert {len(rec["value"]) for (rec,) in first.values()} == {6}
        assert 0 < sum(sum(rec["value"]) for (rec,) in first.values()) < 6 * len(problems)
    again = ScriptedPolicy(table)
    second, stats, _ = run(problems, plan, LocalRunner(again), tmp_path)
    assert again.calls == 0 and stats.generated == 0
    assert second == json.loads(json.dumps(first))  # read back from results.jsonl


def test_results_do_not_depend_on_batching_or_how_many_plans_run_at_once(tmp_path) -> None:
    problems, steps, table = scripted_problems(12, seed=5)
    one, _, _ = run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table), batch_size=64), tmp_path / "a")
    two, _, _ = run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table), batch_size=3), tmp_path / "b",
                    max_active=2)
    assert one == two and _stored(tmp_path / "a") == _stored(tmp_path / "b")
    assert {rec["value"] for (rec,) in one.values()} - {-1} <= set(range(9)) and len(one) == 12


def test_a_run_stopped_mid_way_resumes_without_drawing_a_stored_rollout_again(tmp_path) -> None:
    problems, steps, table = scripted_problems(10, seed=4)
    whole, _, _ = run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table), batch_size=4), tmp_path / "whole",
                      seed=7, max_active=3)

    class Stops(ScriptedPolicy):
        def generate(self, requests):
            if self.calls == 5:
                raise KeyboardInterrupt
            return super().generate(requests)

    with pytest.raises(KeyboardInterrupt):
        run(problems, bisect(steps), LocalRunner(Stops(table), batch_size=4), tmp_path / "job", seed=7, max_active=3)
    before = _stored(tmp_path / "job")
    assert 0 < len(before) < len(_stored(tmp_path / "whole"))
    log = tmp_path / "seeds.log"
    resumed, stats, _ = run(problems, bisect(steps), LocalRunner(ScriptedPolicy(table, str(log)), batch_size=4),
                            tmp_path / "job", seed=7, max_active=3)
    regenerated = {int(s) for s in log.read_text().split()}
    assert regenerated.isdisjoint({s for *_, s in before}) and stats.generated == len(regenerated)
    assert _stored(tmp_path / "job") == _stored(tmp_path / "whole")
    assert resumed == whole


def test_plans_start_in_order_and_one_that_asks_for_nothing_is_answered_at_once(tmp_path) -> None:
    problems, _, table = scripted_problems(5, seed=1)
    started, finished = [], []

    def plan(problem: Problem):
        started.append(problem.id)
        nothing = yield []
        assert nothing == []
        (got,) = yield [Probe(("x",) if problem.id == "p2" else (), 0, 1)]
        return len(got)

    store = RolloutStore(tmp_path, fingerprint={"seed": 0})
    stats = run_plans(problems, plan, LocalRunner(ScriptedPolicy(table)), store, max_active=2, grader=exact_grader,
                      sampling=Sampling(), on_finish=lambda p, value, usage: finished.append((p.id, value, usage)))
    assert started == [p.id for p in problems]
    assert [value for _, value, _ in finished] == [1] * 5 and stats.generated == 5
    assert all(usage.rollouts == 1 and usage.tokens > 0 and usage.prompt_tokens > 0 for *_, usage in finished)


def test_a_problem_whose_prompt_does_not_fit_fails_alone_and_is_not_retried(tmp_path) -> None:
    problems, _, table = scripted_problems(8, seed=3)
    even = {p.id for p in problems if int(p.id[1:]) % 2 == 0}

    class ShortContext(ScriptedPolicy):  # even problems' prompts overflow from a two-step prefix on
        def generate(self, requests):
            for r in requests:
                problem, prefix = parse_prompt(r.prompt)
                if len(prefix) >= 2 and int(problem.split()[2].rstrip(":")) % 2 == 0:
                    raise ContextLengthError("the prompt has too many tokens")
            return super().generate(requests)

    results, _, store = run(problems, greedy, LocalRunner(ShortContext(table), batch_size=64), tmp_path)
    assert {p.id for p in problems if store.failure(p.id) is not None} == even
    assert all(store.failure(i) == {"reason": "context_length", "detail": "the prompt has too many tokens"}
               for i in even)
    assert all((results[p.id] == []) == (p.id in even) for p in problems)
    assert all(len(results[p.id][0]["value"]) == 3 for p in problems if p.id not in even)
    policy = ScriptedPolicy(table)
    run(problems, greedy, LocalRunner(policy), tmp_path)
    assert policy.calls == 0


def test_problem_ids_must_be_unique(tmp_path) -> None:
    problems, _, table = scripted_problems(2, seed=1)
    with pytest.raises(ConfigError, match="unique"):
        run([problems[0], problems[0]], group, LocalRunner(ScriptedPolicy(table)), tmp_path)
