"""A generative judge as the PRM: batched across solutions, and inside live search with its tokens counted.

The judge is prmkit's ProcessBench critic (``JudgeScorer``: its prompt, strict parser and score rule); the
generator under it is scripted -- it names the first step whose written value is below 0.5 -- so which
beams a search keeps is known exactly (the search stub's policy writes ``Step k: value v ...``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from _search_stub import StepPolicy

from prmkit.errors import ContextLengthError
from prmkit.generation import GenerationRequest, Sample, Sampling
from prmkit.runtime import LocalRunner
from prmkit.scoring import get_spec
from prmkit.scoring.judges import JudgeScorer, get_judge
from prmkit.search.dvts import Greedy
from prmkit.search.live import run_search
from prmkit.types import Problem, ScoreFailure, Solution, StepScores

PROBLEMS = [Problem(f"p{i}", f"What is number {i}?", str(10 + i)) for i in range(3)]
_PARAGRAPH = re.compile(r"<paragraph_(\d+)>\n(.*?)\n</paragraph_\1>", re.DOTALL)


class Critic:
    """Writes ``\\boxed{k}`` for the first paragraph whose value is below 0.5 (-1: none); 5 generated
    tokens per sample. ``too_long``: a prompt holding it raises ContextLengthError. Keeps every call."""

    identity = "script:critic"

    def __init__(self, too_long: str | None = None) -> None:
        self.calls: list[int] = []
        self.too_long = too_long

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.calls.append(len(requests))
        if self.too_long is not None and any(self.too_long in r.prompt for r in requests):
            raise ContextLengthError("prompt longer than the judge's window")
        out = []
        for r in requests:
            first = -1
            for k, text in _PARAGRAPH.findall(r.prompt):
                m = re.search(r"value (\d\.\d+)", text)
                if m and float(m.group(1)) < 0.5:
                    first = int(k)
                    break
            out.append([Sample(f"So: \\boxed{{{first}}}", 5, "stop", len(r.prompt.split()))] * r.n)
        return out


def critic(gen: Critic) -> JudgeScorer:
    return JudgeScorer(get_spec("judge-critic"), get_judge("critic"), gen)


def test_a_judge_scores_a_batch_in_one_call_and_a_failing_batch_one_by_one() -> None:
    sols = [
        Solution("q1", ("Step 1: value 0.900", "Step 2: value 0.200")),
        Solution("q2", ("Step 1: value 0.100",)),
        Solution("q3", ()),  # invalid: a failure without asking the judge
        Solution("q4 LONG", ("Step 1: value 0.700",)),
    ]
    gen = Critic()
    got = critic(gen).score(sols[:2])
    assert gen.calls == [2]
    assert [r.scores for r in got if isinstance(r, StepScores)] == [(1.0, 0.0), (0.0,)]

    gen = Critic(too_long="LONG")
    got = critic(gen).score(sols)
    assert gen.calls == [3, 1, 1, 1]  # the batch, then each of its solutions alone
    assert isinstance(got[0], StepScores) and got[0].scores == (1.0, 0.0)
    assert isinstance(got[1], StepScores) and got[1].scores == (0.0,)
    assert isinstance(got[2], ScoreFailure) and got[2].reason == "empty_solution"
    assert isinstance(got[3], ScoreFailure) and got[3].reason == "context_length"
    # what a batch gives is what one-at-a-time gives
    alone = [critic(Critic()).score([s])[0] for s in sols[:2]]
    assert [r.scores for r in alone] == [r.scores for r in got[:2]]  # type: ignore[union-attr]


def test_greedy_search_with_a_judge_keeps_the_judges_choice_and_counts_its_tokens(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = StepPolicy({p.problem: p.reference for p in PROBLEMS})
    gen = Critic()
    judge = critic(gen)
    seen: dict[tuple[str, tuple[str, ...]], StepScores] = {}

    class Watched:
        identity = judge.identity

        def score(self, sols: Sequence[Solution]) -> list[object]:
            out = judge.score(sols)
            for s, r in zip(sols, out, strict=True):
                assert isinstance(r, StepScores)
                seen[(s.problem, s.steps)] = r
            return out

    sampling = Sampling(temperature=0.8, max_tokens=64)
    run = run_search(PROBLEMS, Greedy(n=4), LocalRunner(policy), Watched(), tmp_path / "run", sampling=sampling)
    assert len(gen.calls) >= 3 and max(gen.calls) == 3 * 4  # every problem's candidates in one judge call
    for rec in run.results:
        nodes = {n["id"]: n for n in rec["tree"]}
        for n in nodes.values():
            siblings = [m for m in nodes.values() if m["parent"] == n["parent"]]
            if n["status"] == "kept":  # greedy kept a candidate the judge scored highest
                assert n["score"] == max(m["score"] for m in siblings)
        # the judge's tokens (prompt + generated, every distinct prefix once) are the search's PRM tokens
        mine = [r for (problem, _), r in seen.items() if problem.endswith(rec["id"][1:] + "?")]
        assert rec["compute"]["prm_tokens"] == sum(r.tokens for r in mine) > 0
        assert all(r.judgement is not None and r.judgement.generated_tokens == 5 for r in mine)
    # resumed: nothing is judged again
    calls = len(gen.calls)
    again = run_search(PROBLEMS, Greedy(n=4), LocalRunner(policy), Watched(), tmp_path / "run", sampling=sampling)
    assert len(gen.calls) == calls and again.results == run.results
