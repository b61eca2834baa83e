import pytest
from _scripted import ScriptedPolicy, exact_grader, unit_interval

from prmkit.errors import ConfigError
from prmkit.labeling import LabelTask, run_job
from prmkit.labeling.tree_search import TreeSearch, rollout_value
from prmkit.runtime import LocalRunner, Probe, rollout_seed
from prmkit.types import Solution


def test_rollout_value_test_vector() -> None:
    assert rollout_value(0.75, 250, alpha=0.5, beta=0.9, length_scale=500) == pytest.approx(0.5**0.25 * 0.9**0.5)
    assert round(rollout_value(0.75, 250, alpha=0.5, beta=0.9, length_scale=500), 3) == 0.798
    # higher MC and shorter rollouts are preferred
    assert rollout_value(0.9, 100, alpha=0.5, beta=0.9, length_scale=500) > rollout_value(0.5, 100, alpha=0.5, beta=0.9, length_scale=500)
    assert rollout_value(0.5, 50, alpha=0.5, beta=0.9, length_scale=500) > rollout_value(0.5, 400, alpha=0.5, beta=0.9, length_scale=500)


def _task(problem: str) -> LabelTask:
    return LabelTask(Solution(problem, (), id=problem), "40", correct=False)


def test_an_exhausted_pool_ends_the_search_without_reselecting(tmp_path) -> None:
    # root success 0.5; every deeper prefix fails (MC = 0), so only the root's wrong rollouts are ever pooled
    table = {"q": ("40", [0.5] + [0.0] * 10)}
    policy = ScriptedPolicy(table)
    res = run_job([_task("q")], TreeSearch(k=8, search_limit=100), LocalRunner(policy), tmp_path, grader=exact_grader)
    key = Probe(()).key
    root_wrong = sum(unit_interval(rollout_seed(0, "q", key, i)) >= 0.5 for i in range(8))
    assert 0 < root_wrong < 8
    assert len(res.labelled) == root_wrong  # one search per pooled rollout, then the pool is empty
    # every wrong root rollout has the same first step, so its state is probed once and then reused
    assert policy.samples == 16
    for x in res.labelled:
        assert x.example.completions == ("So we continue from step 0.",)
        assert x.example.labels == (0.0,) and x.first_error == 0
        assert x.rollouts == 16 and x.extra["group_size"] == root_wrong


def test_search_limit_bounds_the_number_of_searches(tmp_path) -> None:
    table = {"q": ("40", [0.5] * 40)}
    res = run_job([_task("q")], TreeSearch(k=8, search_limit=7), LocalRunner(ScriptedPolicy(table)), tmp_path,
                  grader=exact_grader)
    assert len(res.labelled) == 7
    for x in res.labelled:
        assert all(0 < v <= 1 for v in x.mc[:-1]) and x.mc[-1] == 0.0  # states on the path, then the wrong end
        assert x.example.labels == x.mc  # soft labels are the states' MC values


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="alpha and beta"):
        TreeSearch(alpha=0.0)
