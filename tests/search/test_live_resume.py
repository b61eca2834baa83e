"""A killed search resumes: identical results, no generation repeated, typed per-problem failures."""

from __future__ import annotations

import json

import pytest
from _search_stub import StepPolicy, ValuePRM

from prmkit.errors import ConfigError
from prmkit.generation import Sampling
from prmkit.runtime import LocalRunner, ReplayRunner
from prmkit.search.beam import BeamSearch
from prmkit.search.live import load_results, run_search
from prmkit.search.particle import ParticleFilter
from prmkit.types import Problem

PROBLEMS = [Problem(f"p{i}", f"What is number {i}?", str(10 + i)) for i in range(6)]
SAMPLING = Sampling(temperature=0.8, max_tokens=64)


class Killed(Exception):
    pass


class DiesAfter(StepPolicy):
    """Raises after ``calls`` generate calls, as a killed process would stop."""

    def __init__(self, calls: int) -> None:
        super().__init__({p.problem: p.reference for p in PROBLEMS})
        self.limit = calls
        self.samples = 0

    def generate(self, requests):  # type: ignore[no-untyped-def]
        if self.calls >= self.limit:
            raise Killed
        self.samples += sum(r.n for r in requests)
        return super().generate(requests)


@pytest.mark.parametrize("method", [BeamSearch(n=8, width=4), ParticleFilter(n=4, ess=1.0)],
                         ids=["beam", "particle"])
def test_killed_and_resumed_search_ends_identical_without_regenerating(tmp_path, method):
    whole = DiesAfter(10**9)
    ref = run_search(PROBLEMS, method, LocalRunner(whole), ValuePRM(), tmp_path / "whole", sampling=SAMPLING,
                     max_active=2)
    first = DiesAfter(4)
    with pytest.raises(Killed):
        run_search(PROBLEMS, method, LocalRunner(first), ValuePRM(), tmp_path / "cut", sampling=SAMPLING,
                   max_active=2)
    assert 0 < len(load_results(tmp_path / "cut")) < len(PROBLEMS)
    second = DiesAfter(10**9)
    again = run_search(PROBLEMS, method, LocalRunner(second), ValuePRM(), tmp_path / "cut", sampling=SAMPLING,
                       max_active=2)

    def strip(rec):  # type: ignore[no-untyped-def]
        rec = dict(rec)
        rec["compute"] = {k: v for k, v in rec["compute"].items() if k != "wall_s"}
        return json.dumps(rec, sort_keys=True)

    assert [strip(r) for r in again.results] == [strip(r) for r in ref.results]
    assert first.samples + second.samples == whole.samples  # nothing generated twice
    assert again.stats.reused > 0


def test_a_replay_of_the_stored_generations_needs_no_policy(tmp_path):
    pol = DiesAfter(10**9)
    ref = run_search(PROBLEMS, BeamSearch(n=4, width=2), LocalRunner(pol), ValuePRM(), tmp_path / "a",
                     sampling=SAMPLING)
    replay = run_search(PROBLEMS, BeamSearch(n=4, width=2), ReplayRunner(tmp_path / "a"), ValuePRM(),
                        tmp_path / "b", sampling=SAMPLING)
    assert [r["answer"] for r in replay.results] == [r["answer"] for r in ref.results]
    assert [r["tree"] for r in replay.results] == [r["tree"] for r in ref.results]


def test_a_rerun_with_other_settings_is_refused(tmp_path):
    run_search(PROBLEMS[:1], BeamSearch(n=4, width=2), LocalRunner(DiesAfter(99)), ValuePRM(), tmp_path,
               sampling=SAMPLING)
    with pytest.raises(ConfigError, match="config"):
        run_search(PROBLEMS[:1], BeamSearch(n=8, width=2), LocalRunner(DiesAfter(99)), ValuePRM(), tmp_path,
                   sampling=SAMPLING)


def test_a_problem_the_policy_cannot_take_is_a_typed_failure_and_the_run_goes_on(tmp_path):
    from prmkit.errors import ContextLengthError

    class Short(StepPolicy):
        def generate(self, requests):  # type: ignore[no-untyped-def]
            if any("number 1?" in r.prompt for r in requests):
                raise ContextLengthError("the prompt has 9999 tokens; the model takes 2048")
            return super().generate(requests)

    pol = Short({p.problem: p.reference for p in PROBLEMS[:3]})
    run = run_search(PROBLEMS[:3], BeamSearch(n=4, width=2), LocalRunner(pol), ValuePRM(), tmp_path,
                     sampling=SAMPLING)
    assert run.results[1] == {"id": "p1", "failed": {"reason": "context_length",
                                                     "detail": "the prompt has 9999 tokens; the model takes 2048"}}
    assert run.results[0]["answer"] is not None and run.results[2]["answer"] is not None
