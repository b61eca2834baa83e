"""GenPRM, R-PRM and rubric judges: their strict grammars, GenPRM's loop (code blocks -> sandbox -> the
outputs in the judge's context -> verdicts) with a scripted generator and the real sandbox, and each
format once on a tiny real Qwen2 model."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pytest
from _require import need_module
from _tiny import save_tiny_lm

from prmkit.errors import ConfigError
from prmkit.generation import GenerationRequest, Sample
from prmkit.scoring import get_spec
from prmkit.scoring.judges import JudgeScorer, VerdictError, get_judge
from prmkit.scoring.judges.genprm import GENPRM_VERDICTS, code_blocks
from prmkit.scoring.judges.verdicts import rprm_verdicts, rubric_scores, yes_no
from prmkit.types import Judgement, ScoreFailure, Solution, StepScores

if TYPE_CHECKING:
    from prmkit.generation.hf import HFGenerator

SOL = Solution("What is 2 + 2, times 3?", ("2 + 2 = 4", "4 * 3 = 13", "The answer is 13."))


def _checks(*codes: str) -> str:
    """A stage-1 text: an analysis and a verify block per paragraph."""
    return "".join(
        f"<analyze>\nParagraph {i} claims something.\n</analyze>\n<verify>\n```python\n{c}\n```\n</verify>\n"
        for i, c in enumerate(codes, 1)
    )


class Script:
    """Stage 1: hands back ``texts`` (one per sample); stage 2 (a prompt ending in the verdict prefix): one
    ``\\boxed{Yes}`` per code output that reads ``True``, ``\\boxed{No}`` otherwise -- so the verdicts
    follow the executed code. Keeps every request."""

    def __init__(self, texts: Sequence[str], verdict: str | None = None) -> None:
        self.texts, self.verdict, self.requests = list(texts), verdict, []  # type: list[GenerationRequest]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.requests += requests
        out = []
        for r in requests:
            if not r.prompt.endswith(GENPRM_VERDICTS):
                assert r.n == len(self.texts)
                out.append([Sample(t, 50, "stop", 200) for t in self.texts])
                continue
            shown = re.findall(r"\[Code Output\]\n```\n(.*?)\n```", r.prompt, re.DOTALL)
            text = self.verdict or " ".join(
                f"**Judgement**: $\\boxed{{{'Yes' if s == 'True' else 'No'}}}$" for s in shown
            )
            out.append([Sample(text, 7, "stop", 300)])
        return out


def _genprm(gen: Script, samples: int = 1) -> JudgeScorer:
    judge = dataclasses.replace(get_judge("genprm"), code_wall_s=1.0)
    if samples > 1:
        judge = dataclasses.replace(judge, samples=samples, temperature=0.6)
    return JudgeScorer(get_spec("judge-genprm"), judge, gen)


def test_genprm_runs_the_code_and_judges_from_its_output() -> None:
    stage1 = _checks("print(2 + 2 == 4)", "print(4 * 3 == 13)", "while True:\n    pass")
    gen = Script([stage1])
    result = _genprm(gen).score([SOL])[0]
    assert isinstance(result, StepScores)
    assert result.scores == (1.0, 0.0, 0.0)
    j = result.judgement
    assert j is not None
    # the real sandbox ran the three blocks: two printed, the infinite loop is a timeout record
    assert [(r.block, r.status) for r in j.executions] == [(0, "ok"), (1, "ok"), (2, "timeout")]
    assert [r.output for r in j.executions[:2]] == ["True", "False"]
    assert j.executions[2].output == "[timeout: still running after 1.0 s (wall clock)]"
    assert j.executions[1].code == "print(4 * 3 == 13)\n"
    # the verdict generation saw the outputs, after the judge's own text, under the verdict prefix
    second = gen.requests[1]
    assert second.prompt.startswith(gen.requests[0].prompt + stage1.split("```\n</verify>")[0])
    assert "[Code Output]\n```\nFalse\n```" in second.prompt and second.n == 1
    assert "<output>" in gen.requests[0].stop and "<output>" not in second.stop
    # the kept text: the judge's text with the outputs, the prefix, and the verdicts
    verdicts = (
        "**Judgement**: $\\boxed{Yes}$ **Judgement**: $\\boxed{No}$ **Judgement**: $\\boxed{No}$"
    )
    assert j.texts[0] == second.prompt[len(gen.requests[0].prompt) :] + verdicts
    assert j.verdicts == ("+--",)
    # tokens: both generations and both prompts
    assert (j.generated_tokens, j.prompt_tokens, result.tokens) == (57, 500, 557)
    assert Judgement.from_record(j.to_record()) == j


def test_genprm_over_a_batch_asks_twice_and_judges_as_one_at_a_time() -> None:
    """Stage 1 for every solution in one call, then every solution's verdicts in one call; the results
    (texts, verdicts, runs, tokens, scores) are those of scoring each solution alone."""
    stage1 = _checks("print(2 + 2 == 4)", "print(4 * 3 == 13)", "print(True)")
    other = Solution("What is 1 + 1?", ("1 + 1 = 2", "So 2.", "The answer is 2."))

    class Counting(Script):
        calls = 0

        def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
            self.calls += 1
            return super().generate(requests)

    gen = Counting([stage1, stage1], None)
    together = _genprm(gen, samples=2).score([SOL, other])
    assert (
        gen.calls == 2 and len(gen.requests) == 2 + 4
    )  # two stage-1 requests, 2 x 2 verdict requests
    alone = [_genprm(Script([stage1, stage1]), samples=2).score([s])[0] for s in (SOL, other)]
    for a, b in zip(together, alone, strict=True):
        assert isinstance(a, StepScores) and isinstance(b, StepScores)
        assert a.scores == b.scores == (1.0, 0.0, 0.0) and a.tokens == b.tokens  # after a No: 0
        assert a.judgement is not None and b.judgement is not None
        assert dataclasses.replace(a.judgement, seconds=0.0) == dataclasses.replace(
            b.judgement, seconds=0.0
        )


def test_genprm_votes_over_samples_and_keeps_failed_ones() -> None:
    right, wrong = (
        _checks("print(True)", "print(True)", "print(True)"),
        _checks("print(True)", "print(False)", "print(1)"),
    )
    gen = Script([right, wrong, "I will not write code."])
    result = _genprm(gen, samples=3).score([SOL])[0]
    # sample 3 wrote no code: no outputs, so no verdict boxes -- a failed sample, left out of the vote
    assert isinstance(result, StepScores) and result.scores == (1.0, 0.5, 0.5)
    assert result.judgement is not None
    assert result.judgement.verdicts == ("+++", "+--", "error: missing")
    assert [r.sample for r in result.judgement.executions] == [0, 0, 0, 1, 1, 1]
    seeds = [r.seed for r in gen.requests]
    assert seeds[1:] == [seeds[0], seeds[0] + 1, seeds[0] + 2]  # one seeded verdict call per sample


def test_genprm_missing_verdict_is_a_failure_with_the_texts_and_runs() -> None:
    gen = Script([_checks("print(True)")], verdict="All good, I think.")
    result = _genprm(gen).score([SOL])[0]
    assert isinstance(result, ScoreFailure) and result.reason == "verdict_error"
    assert result.judgement is not None and result.judgement.texts[0].endswith("All good, I think.")
    assert [r.status for r in result.judgement.executions] == ["ok"]
    # rescoring reads the stored texts again, verdicts after the prefix only, without running code
    again = _genprm(gen).rescore(SOL, [result.judgement.texts[0] + " \\boxed{Yes} \\boxed{No}"])
    assert isinstance(again, StepScores) and again.scores == (1.0, 0.0, 0.0)


class ScriptReadingLogprobs(Script):
    """:class:`Script` that also reads verdict log-probabilities: P(Yes) = 0.8 wherever it is asked."""

    def __init__(self, texts: Sequence[str]) -> None:
        super().__init__(texts)
        self.read: list[tuple[str, list[str]]] = []

    def continuation_logprobs(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        self.read.append((prompt, list(continuations)))
        return [math.log(0.8), math.log(0.2)]


def test_genprm_logprob_reads_p_yes_at_each_verdict_after_the_outputs() -> None:
    gen = ScriptReadingLogprobs([_checks("print(True)", "print(False)", "print(True)")])
    judge = dataclasses.replace(get_judge("genprm-logprob"), code_wall_s=1.0)
    result = JudgeScorer(get_spec("judge-genprm-logprob"), judge, gen).score([SOL])[0]
    assert isinstance(result, StepScores) and result.judgement is not None
    # every verdict box is read (here P(Yes) = 0.8 at each), whatever the judge wrote there
    assert result.judgement.verdicts == ("+-+",)
    assert result.scores == pytest.approx((0.8, 0.8, 0.8))
    text, prompt = result.judgement.texts[0], gen.requests[0].prompt
    cut = text.rindex(GENPRM_VERDICTS) + len(GENPRM_VERDICTS)  # the prefix itself shows the boxes
    at = [cut + m.end() for m in re.finditer(re.escape("\\boxed{"), text[cut:])]
    assert [r for r in gen.read] == [(prompt + text[:a], ["Yes}", "No}"]) for a in at]
    assert len(at) == 3
    assert "[Code Output]\n```\nFalse\n```" in gen.read[0][0]


def test_code_blocks_and_block_limit() -> None:
    text = _checks("print(1)", "print(2)") + "```python\nprint(3)"  # the last is never closed
    assert code_blocks(text) == ["print(1)\n", "print(2)\n"]
    gen = Script([_checks("print(True)", "print(True)", "print(True)")])
    judge = dataclasses.replace(get_judge("genprm"), max_code_blocks=1)
    result = JudgeScorer(get_spec("judge-genprm"), judge, gen).score([SOL])[0]
    assert isinstance(result, StepScores) and result.scores == (1.0, 0.0, 0.0)
    assert result.judgement is not None and len(result.judgement.executions) == 1
    assert gen.requests[1].prompt.count("[not run: too many code blocks]") == 2


def test_grammars() -> None:
    assert str(yes_no("\\boxed{Yes} $\\boxed{No}$", 3)) == "+-"
    with pytest.raises(VerdictError, match=r"malformed: .*neither Yes nor No"):
        yes_no("\\boxed{yes}", 1)
    text = "## Analysis\nStep 1: \\boxed{4}\n## Verdicts\nStep 1: \\boxed{Yes}\nStep 2: \\boxed{No}"
    v = rprm_verdicts(text, 2)
    assert v.labels == (True, False) and text[: v.at[1]].endswith("Step 2: \\boxed{")
    for bad, reason in (
        ("\\boxed{Yes} \\boxed{Yes}", "missing"),  # verdicts without the section
        ("## Verdicts\n\\boxed{Yes}", "incomplete"),
        ("## Verdicts\n\\boxed{Yes}\\boxed{Yes}\\boxed{No}", "too_many"),
    ):
        with pytest.raises(VerdictError) as e:
            rprm_verdicts(bad, 2)
        assert e.value.reason == reason and e.value.raw == bad
    assert rubric_scores("\\boxed{3/4} \\boxed{ 0 / 4 }", 2).scores == (0.75, 0.0)
    for bad, reason in (
        ("\\boxed{3/4}", "incomplete"),
        ("\\boxed{3/4} \\boxed{2/5}", "malformed"),
        ("\\boxed{3/4} \\boxed{0.5}", "malformed"),
        ("\\boxed{3/4} \\boxed{1/0}", "out_of_range"),
    ):
        with pytest.raises(VerdictError) as e:
            rubric_scores(bad, 2)
        assert e.value.reason == reason


def test_rubric_totals_must_match_the_rubric() -> None:
    gen = Script(
        ["\\boxed{4/4} \\boxed{1/4} \\boxed{0/4}", "\\boxed{2/3} \\boxed{2/3} \\boxed{2/3}"]
    )
    judge = dataclasses.replace(get_judge("rubric-vote4"), samples=2)
    result = JudgeScorer(get_spec("judge-rubric-vote4"), judge, gen).score([SOL])[0]
    assert isinstance(result, StepScores) and result.scores == (1.0, 0.25, 0.0)
    assert result.judgement is not None
    assert result.judgement.verdicts == ("4/4 1/4 0/4", "error: out_of_range")
    prompt = gen.requests[0].prompt
    assert "1. Every computation" in prompt and "\n4. The step is relevant" in prompt


def test_spec_checks() -> None:
    with pytest.raises(ConfigError, match="rubric criteria"):
        dataclasses.replace(get_judge("rubric"), rubric=())
    with pytest.raises(ConfigError, match="rubric scores are read by rule 'vote'"):
        dataclasses.replace(get_judge("rubric"), rule="logprob")
    with pytest.raises(ConfigError, match="verdict_prefix"):
        dataclasses.replace(get_judge("genprm"), verdict_prefix=" ")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HFGenerator]:
    torch = need_module("torch")
    need_module("transformers")
    from prmkit.models.tokenizers import qwen_tokenizer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    from prmkit.generation.hf import HFGenerator

    path = save_tiny_lm(
        tmp_path_factory.mktemp("tiny-formats"),
        "qwen2",
        qwen_tokenizer(),
        max_position_embeddings=1024,
        initializer_range=1.0,
    )
    yield HFGenerator(str(path))
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["genprm-vote8", "rprm-vote4", "rubric-vote4"])
def test_each_format_runs_on_a_tiny_real_model(tiny: HFGenerator, name: str) -> None:
    judge = dataclasses.replace(get_judge(name), samples=2, max_tokens=8)
    scorer = JudgeScorer(get_spec(f"judge-{name}"), judge, tiny, seed=1)
    first, again = scorer.score([SOL])[0], scorer.score([SOL])[0]
    j = first.judgement
    assert j is not None and j == dataclasses.replace(again.judgement, seconds=j.seconds)  # type: ignore[arg-type]
    assert len(j.texts) == 2 and len(j.verdicts) == 2 and j.prompt_tokens > 100
    # a random tiny model writes no verdicts: each sample is a typed failure, never a default score
    assert isinstance(first, ScoreFailure) and first.reason == "verdict_error"
    assert j.n_failed == 2
    if (
        judge.execute
    ):  # two generations per sample: at most 8 tokens each, the verdict call's text kept
        assert 2 < j.generated_tokens <= 32 and all(GENPRM_VERDICTS in t for t in j.texts)
    else:
        assert 2 <= j.generated_tokens <= 16
