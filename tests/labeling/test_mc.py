import pytest
from _scripted import ScriptedPolicy, exact_grader, unit_interval
from _tables import scripted_tasks

from prmkit.errors import ConfigError
from prmkit.labeling import MonteCarlo, run_job
from prmkit.runtime import LocalRunner, Probe, rollout_seed


def reference_mc(task, table, k, seed):
    """Independent reference: c_t from the scripted policy's formula, no job machinery."""
    _, probs = table[task.solution.problem]
    steps = task.solution.steps
    out = []
    for t in range(1, len(steps)):
        key = Probe(steps[:t]).key
        out.append(sum(unit_interval(rollout_seed(seed, task.id, key, i)) < probs[t] for i in range(k)) / k)
    return out


@pytest.mark.parametrize("label", ["hard", "soft"])
def test_mc_labels_match_the_reference_procedure(tmp_path, label) -> None:
    tasks, table = scripted_tasks(12, seed=1)
    policy = ScriptedPolicy(table)
    res = run_job(tasks, MonteCarlo(k=8, label=label), LocalRunner(policy, batch_size=16), tmp_path,
                  seed=7, grader=exact_grader)
    assert [x.id for x in res.labelled] == [t.id for t in tasks]
    for task, x in zip(tasks, res.labelled, strict=True):
        c = reference_mc(task, table, 8, 7)
        own = float(task.solution.steps[-1].endswith(table[task.solution.problem][0]))
        assert x.mc == (*c, own)
        expected = [float(v > 0) for v in c] + [own] if label == "hard" else [*c, own]
        assert list(x.example.labels) == expected
        assert x.first_error == next((i for i, v in enumerate([*c, own]) if v == 0), -1)
        n_steps = len(task.solution.steps)
        assert x.rollouts == 8 * (n_steps - 1)
        assert x.rollout_tokens == sum(8 * (10 + t) for t in range(1, n_steps))
        assert x.prompt_tokens == sum(8 * (100 + t) for t in range(1, n_steps))
    assert res.generated == policy.samples == sum(x.rollouts for x in res.labelled)


def test_threshold_and_truncation_change_labels(tmp_path) -> None:
    tasks, table = scripted_tasks(6, seed=2)
    runs = {}
    for name, cfg in {"any": MonteCarlo(k=8), "half": MonteCarlo(k=8, threshold=0.5),
                      "trunc": MonteCarlo(k=8, truncate_after_error=True)}.items():
        runs[name] = run_job(tasks, cfg, LocalRunner(ScriptedPolicy(table)), tmp_path / name, grader=exact_grader)
    for a, h, t in zip(runs["any"].labelled, runs["half"].labelled, runs["trunc"].labelled, strict=True):
        mc = [v for v in a.mc if v is not None]
        assert list(h.example.labels) == [float(v > 0.5) for v in mc]
        cut = a.first_error + 1 if a.first_error >= 0 else len(mc)
        assert t.example.completions == a.example.completions[:cut] and t.example.labels == a.example.labels[:cut]
    assert any(a.example.labels != h.example.labels for a, h in zip(runs["any"].labelled, runs["half"].labelled, strict=True))


def test_config_errors_list_every_problem() -> None:
    with pytest.raises(ConfigError, match=r"k must be >= 1.*threshold"):
        MonteCarlo(k=0, threshold=1.5)
