"""Judge score rules on written verifications: ProcessBench's majority protocol, mean votes, failures kept.

The generator here only hands back fixed texts (pure orchestration); real engines are in
``test_judge_engines.py``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prmkit.data.processbench import ProcessBenchCase
from prmkit.errors import ConfigError
from prmkit.evaluation import run_processbench
from prmkit.evaluation.processbench import predict_first_error
from prmkit.generation import GenerationRequest, Sample
from prmkit.scoring import get_spec, load_prm
from prmkit.scoring.judges import JudgeScorer, get_judge
from prmkit.types import ScoreFailure, Solution, StepScores, from_record, to_record

SOL = Solution("What is 2 + 2, times 3?", ("2 + 2 = 4", "4 * 3 = 13", "The answer is 13."))


class Written:
    """Hands back ``texts`` as the K samples of every request (``n`` must match), counting calls."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts, self.calls = list(texts), 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.calls += 1
        assert all(r.n == len(self.texts) for r in requests)
        return [[Sample(t, 10, "stop", 100) for t in self.texts] for _ in requests]


def _critic(texts: Sequence[str], aggregate: str = "majority") -> JudgeScorer:
    judge = dataclasses.replace(get_judge("critic-maj8"), samples=len(texts), aggregate=aggregate)
    return JudgeScorer(get_spec("judge-critic-maj8"), judge, Written(texts))


def _processbench_majority(texts: Sequence[str]) -> int | None:
    """ProcessBench's critic protocol written out: the last \\boxed{} of each sample, unparsable samples
    dropped, the most common answer (ties: the first seen); None when no sample parses."""
    preds = []
    for t in texts:
        found = re.findall(r"\\boxed\{([^{}]*)\}", t)
        if (
            found
            and re.fullmatch(r"-?[0-9]+", found[-1].strip())
            and -1 <= int(found[-1]) < SOL.n_steps
        ):
            preds.append(int(found[-1]))
    return Counter(preds).most_common(1)[0][0] if preds else None


ANSWERS = st.sampled_from(
    ["\\boxed{-1}", "\\boxed{0}", "\\boxed{1}", "\\boxed{2}", "no box", "\\boxed{9}", "\\boxed{x}"]
)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(ANSWERS, min_size=1, max_size=8), threshold=st.sampled_from([0.5, 0.01, 1.0]))
def test_processbench_prediction_is_the_majority_vote(texts: list[str], threshold: float) -> None:
    result = _critic(texts).score([SOL])[0]
    expected = _processbench_majority(texts)
    if expected is None:
        assert isinstance(result, ScoreFailure) and result.reason == "verdict_error"
        assert result.judgement is not None and result.judgement.texts == tuple(texts)
        return
    assert isinstance(result, StepScores)
    assert predict_first_error(result.scores, threshold) == expected
    assert result.judgement is not None and result.judgement.n_failed == len(texts) - sum(
        1 for t in texts if _processbench_majority([t]) is not None
    )


def test_ties_go_to_the_first_seen_and_failures_are_reported() -> None:
    texts = ["\\boxed{2}", "garbage", "\\boxed{-1}", "\\boxed{-1}", "\\boxed{2}", "\\boxed{7}"]
    result = _critic(texts).score([SOL])[0]
    assert isinstance(result, StepScores) and result.scores == (1.0, 1.0, 0.0)
    assert result.judgement is not None
    assert result.judgement.verdicts == (
        "2",
        "error: missing",
        "-1",
        "-1",
        "2",
        "error: out_of_range",
    )
    assert (result.tokens, result.judgement.generated_tokens) == (100 + 60, 60)


def test_mean_votes_are_the_share_of_parsed_samples() -> None:
    texts = ["\\boxed{-1}", "\\boxed{1}", "\\boxed{2}", "\\boxed{1}", "nothing"]
    result = _critic(texts, aggregate="mean").score([SOL])[0]
    # step i: share of the 4 parsed samples whose first error is -1 or after i
    assert isinstance(result, StepScores) and result.scores == (1.0, 0.5, 0.25)


def test_thinkprm_votes_and_its_failures() -> None:
    judge = dataclasses.replace(get_judge("thinkprm-vote8"), samples=3)
    texts = [
        "\\boxed{correct} \\boxed{incorrect}",
        "\\boxed{correct}\\boxed{correct}\\boxed{correct}",
        "\\boxed{correct}",
    ]
    result = JudgeScorer(get_spec("judge-thinkprm-vote8"), judge, Written(texts)).score([SOL])[0]
    assert isinstance(result, StepScores) and result.scores == (1.0, 0.5, 0.5)
    assert result.judgement is not None and result.judgement.verdicts == (
        "+-",
        "+++",
        "error: incomplete",
    )


def test_a_judgement_survives_the_record_round_trip() -> None:
    for result in (_critic(["\\boxed{1}"]).score([SOL])[0], _critic(["?"]).score([SOL])[0]):
        assert (
            from_record(
                to_record(result), id=result.id if isinstance(result, ScoreFailure) else None
            )
            == result
        )


def test_processbench_with_a_judge_and_a_combination(tmp_path: object) -> None:
    cases = [ProcessBenchCase(f"c-{i}", SOL.problem, SOL.steps, 1) for i in range(3)]
    gen = Written(["\\boxed{1}"])
    prm = load_prm("judge-critic+arith", generator=gen)
    report = run_processbench(prm, {"toy": cases}, str(tmp_path))
    assert report.splits["toy"].error_acc == 1.0 and gen.calls == 1  # the three cases in one batch
    assert report.judge["toy"] == {
        "cases": 3,
        "prompt_tokens_per_case": 100,
        "generated_tokens_per_case": 10,
        "seconds_per_case": pytest.approx(report.judge["toy"]["seconds_per_case"]),
        "unparsed_samples": 0.0,
    }
    from prmkit.cli._processbench import format_report

    assert "judge on toy: 100 prompt + 10 generated tokens" in format_report(report)
    line = (tmp_path / "toy.jsonl").read_text().splitlines()[0]  # type: ignore[operator]
    assert '"judge": {"texts": ["\\\\boxed{1}"], "verdicts": ["1"]' in line


def test_options_reach_only_judges() -> None:
    with pytest.raises(ConfigError, match="not a generative judge: samples"):
        load_prm("arith", samples=3)
    with pytest.raises(ConfigError, match="greedy samples would all be the same"):
        load_prm("judge-critic", samples=4, generator=Written(["x"] * 4))
    assert load_prm("judge-critic-maj8", samples=3, generator=Written(["x"] * 3)).judge.samples == 3


def test_the_judge_flags_build_the_judge_they_name() -> None:
    from prmkit.generation.openai_http import OpenAIGenerator
    from prmkit.scoring.config import ScorerConfig

    url = "http://127.0.0.1:9/v1"  # nothing is asked of the server before the first case
    cfg = ScorerConfig(
        prm="judge-critic-maj8", judge_url=url, judge_samples=3, model="m", no_cache=True
    )
    judge = cfg.load()
    assert isinstance(judge, JudgeScorer) and judge.judge.samples == 3
    assert (
        isinstance(judge.generator, OpenAIGenerator)
        and judge.generator.identity == f"openai:{url}:m"
    )
    combined = ScorerConfig(prm="judge-critic-maj8+arith", judge_url=url, no_cache=True).load()
    assert isinstance(combined.scorers[0], JudgeScorer)  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="runs on the openai engine, not 'hf'"):
        ScorerConfig(prm="judge-critic", judge_url=url, judge_engine="hf", no_cache=True).load()
    with pytest.raises(
        ConfigError, match="reads log-probabilities, which OpenAIGenerator does not give"
    ):
        ScorerConfig(prm="judge-thinkprm", judge_url=url, no_cache=True).load()
    with pytest.raises(ConfigError, match="not a generative judge: url"):
        ScorerConfig(prm="arith", judge_url=url, no_cache=True).load()


def test_the_judge_flags_combine_on_the_command_line() -> None:
    import argparse

    from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
    from prmkit.evaluation.config import ProcessBenchConfig

    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, ProcessBenchConfig)
    argv = [
        "--out",
        "o",
        "--prm",
        "judge-critic-maj8",
        "--judge-url",
        "http://h:1/v1",
        "--judge-samples",
        "3",
    ]
    cfg = config_from_args(
        ProcessBenchConfig, parser.parse_args([*argv, "--judge-engine", "openai"])
    )
    assert (cfg.scorer.judge_url, cfg.scorer.judge_samples, cfg.scorer.judge_engine) == (
        "http://h:1/v1",
        3,
        "openai",
    )


def test_the_direct_critic_reads_the_index_distribution_at_its_opening_box() -> None:
    """critic-direct: the reply starts with ``\\boxed{``; the index distribution is read right there, and
    the stored text (prefix included) rescores to the same numbers."""
    probs = {"-1}": 0.5, "0}": 0.1, "1}": 0.3, "2}": 0.1}  # P(first error = k), k = -1, 0, 1, 2

    class Direct:
        def __init__(self) -> None:
            self.prompts: list[str] = []
            self.read: list[tuple[str, list[str]]] = []

        def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
            self.prompts += [r.prompt for r in requests]
            return [[Sample("1}", 2, "stop", 300)] for _ in requests]

        def continuation_logprobs(self, prompt: str, continuations: Sequence[str]) -> list[float]:
            self.read.append((prompt, list(continuations)))
            return [math.log(probs[c]) for c in continuations]

    gen = Direct()
    judge = JudgeScorer(get_spec("judge-critic-direct"), get_judge("critic-direct"), gen)
    result = judge.score([SOL])[0]
    assert isinstance(result, StepScores) and result.judgement is not None
    assert gen.prompts[0].endswith("<|im_start|>assistant\n\\boxed{")
    assert result.judgement.texts == ("\\boxed{1}",) and result.judgement.verdicts == ("1",)
    # read once, at the box: the prompt is the reply's opening, the candidates every index
    assert gen.read == [(gen.prompts[0], ["-1}", "0}", "1}", "2}"])]
    # step i scores P(k = -1 or k > i): 0.5 + 0.3 + 0.1, 0.5 + 0.1, 0.5
    assert result.scores == pytest.approx((0.9, 0.6, 0.5))
    again = judge.rescore(SOL, result.judgement.texts)
    assert isinstance(again, StepScores) and again.scores == pytest.approx(result.scores)
    assert gen.read[-1] == gen.read[0]
    with pytest.raises(ConfigError, match="parse_prefix needs an assistant_prefix"):
        dataclasses.replace(get_judge("critic"), parse_prefix=True)


def test_a_judges_identity_follows_its_changed_fields_only() -> None:
    base = _critic(["\\boxed{1}"])
    same = JudgeScorer(base.spec, dataclasses.replace(base.judge), base.generator)
    other = JudgeScorer(base.spec, dataclasses.replace(base.judge, max_tokens=99), base.generator)
    assert same.identity == base.identity != other.identity
    # a field left at its default does not enter the hash (a new field with a default keeps identities)
    defaults = JudgeScorer(
        base.spec, dataclasses.replace(base.judge, parse_prefix=False), base.generator
    )
    assert defaults.identity == base.identity
