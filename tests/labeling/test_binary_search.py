import pytest
from _scripted import ScriptedPolicy, exact_grader
from _tables import scripted_tasks

from prmkit.errors import ConfigError, DataFormatError
from prmkit.labeling import BinarySearch, MonteCarlo, run_job
from prmkit.runtime import LocalRunner, ReplayRunner


def bisect_hard(mc):
    """Reference: binary search over already-known MC values (root assumed good, full prefix bad)."""
    lo, hi = 0, len(mc)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if mc[mid - 1] > 0 else (lo, mid)
    return hi - 1


@pytest.mark.parametrize("monotone", [True, False])
def test_binary_search_finds_the_reference_boundary_with_shared_rollouts(tmp_path, monotone) -> None:
    tasks, table = scripted_tasks(40, seed=3, monotone=monotone)
    mc = run_job(tasks, MonteCarlo(k=8), LocalRunner(ScriptedPolicy(table)), tmp_path / "mc", seed=5, grader=exact_grader)
    policy = ScriptedPolicy(table)
    bs = run_job(tasks, BinarySearch(k=8, wave=2), LocalRunner(policy), tmp_path / "bs", seed=5, grader=exact_grader)
    agree = 0
    for m, b in zip(mc.labelled, bs.labelled, strict=True):
        if b.extra["solution_correct"]:
            assert b.first_error == -1 and b.rollouts == 0 and b.example.labels == (1.0,) * len(b.example.completions)
            continue
        # same seeds -> the same rollouts: the search lands where bisection over MC's values lands
        assert b.first_error == bisect_hard(m.mc)
        assert b.example.labels == tuple(float(i < b.first_error) for i in range(len(b.example.completions)))
        monotone_labels = list(m.example.labels) == sorted(m.example.labels, reverse=True)
        if monotone_labels:
            assert b.first_error == m.first_error
        agree += b.first_error == m.first_error
        for mid, drawn, correct in b.extra["probes"]:
            assert drawn <= 8 and (correct == 0) == (m.mc[mid - 1] == 0)
            assert drawn == 8 or correct > 0  # early stop only after a success
    assert sum(x.rollouts for x in bs.labelled) == policy.samples
    total_bs, total_mc = sum(x.rollouts for x in bs.labelled), sum(x.rollouts for x in mc.labelled)
    assert total_bs <= total_mc / 3
    searched = sum(not x.extra["solution_correct"] for x in bs.labelled)
    if monotone:  # only sampling noise (a good prefix with 0/8 successes) breaks monotonicity
        assert agree >= 0.9 * searched


def test_wave_controls_early_stopping(tmp_path) -> None:
    tasks, table = scripted_tasks(20, seed=4)
    used = {}
    for wave in (1, 4, 8):
        res = run_job(tasks, BinarySearch(k=8, wave=wave), LocalRunner(ScriptedPolicy(table)), tmp_path / str(wave),
                      grader=exact_grader)
        used[wave] = sum(x.rollouts for x in res.labelled)
        firsts = [x.first_error for x in res.labelled]
        if wave == 1:
            ref = firsts
        assert firsts == ref  # the decision depends only on whether any of the 8 is correct
    assert used[1] < used[4] < used[8]
    n_probes = sum(len(x.extra["probes"]) for x in res.labelled)
    assert used[8] == 8 * n_probes


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="wave"):
        BinarySearch(k=4, wave=5)


def test_replay_on_the_mc_store_equals_a_live_run_with_the_same_seed(tmp_path) -> None:
    tasks, table = scripted_tasks(15, seed=6, monotone=False)
    run_job(tasks, MonteCarlo(k=8), LocalRunner(ScriptedPolicy(table)), tmp_path / "mc", seed=2, grader=exact_grader)
    live = run_job(tasks, BinarySearch(k=8, wave=2), LocalRunner(ScriptedPolicy(table)), tmp_path / "live", seed=2,
                   grader=exact_grader)
    replay = run_job(tasks, BinarySearch(k=8, wave=2), ReplayRunner(tmp_path / "mc"), tmp_path / "replay", seed=2,
                     grader=exact_grader)
    assert replay.labelled == live.labelled and replay.generated == live.generated
    with pytest.raises(DataFormatError, match="not stored with seed"):
        run_job(tasks, BinarySearch(k=8), ReplayRunner(tmp_path / "mc"), tmp_path / "other", seed=3, grader=exact_grader)


def gallop_hard(mc):
    """Reference: exponential search over known MC values, then bisection of the last gap."""
    lo, hi, t = 0, len(mc), 1
    while t < hi:
        if mc[t - 1] > 0:
            lo, t = t, 2 * t
        else:
            hi = t
            break
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if mc[mid - 1] > 0 else (lo, mid)
    return hi - 1


def test_gallop_finds_the_reference_boundary_and_is_cheaper_when_errors_come_early(tmp_path) -> None:
    tasks, table = scripted_tasks(40, seed=8, monotone=False)
    for problem, (ref, probs) in table.items():  # a weak policy: errors in the first two steps
        first_bad = next((t for t, p in enumerate(probs) if p == 0.0), None)
        if first_bad is not None:
            table[problem] = (ref, [p if t < min(first_bad, 2) else 0.0 for t, p in enumerate(probs)])
    mc = run_job(tasks, MonteCarlo(k=8), LocalRunner(ScriptedPolicy(table)), tmp_path / "mc", grader=exact_grader)
    runs = {
        search: run_job(tasks, BinarySearch(k=8, search=search), ReplayRunner(tmp_path / "mc"), tmp_path / search,
                        grader=exact_grader)
        for search in ("bisect", "gallop")
    }
    for m, g in zip(mc.labelled, runs["gallop"].labelled, strict=True):
        if not g.extra["solution_correct"]:
            assert g.first_error == gallop_hard(m.mc)
    cost = {s: sum(x.rollouts for x in r.labelled) for s, r in runs.items()}
    assert cost["gallop"] < cost["bisect"]
    agree = {s: sum(a.first_error == b.first_error for a, b in zip(mc.labelled, r.labelled, strict=True))
             for s, r in runs.items()}
    assert agree["gallop"] >= agree["bisect"]
