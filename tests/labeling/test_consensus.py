import pytest

from prmkit.generation import GenerationRequest, Sample
from prmkit.labeling import LabelledSolution
from prmkit.labeling.consensus import (
    consensus_filter,
    judge_messages,
    judge_solutions,
    parse_verdict,
)
from prmkit.types import StepwiseExample


class KeywordJudge:
    """A judge Generator that names the first paragraph containing 'WRONG' (-1 if none)."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, requests):
        out = []
        for r in requests:
            self.prompts.append(r.prompt)
            paras = r.prompt.split("<paragraph_")[1:]
            idx = next((i for i, p in enumerate(paras) if "WRONG" in p.split("</paragraph_")[0]), -1)
            text = f"Reviewing each paragraph... the earliest error is \\boxed{{{idx}}}" if "garbled" not in r.prompt else "hmm"
            out.append([Sample(text, 12, "stop", 50) for _ in range(r.n)])
        return out


def _x(id_, steps, first_error):
    labels = tuple(float(first_error < 0 or i < first_error) for i in range(len(steps)))
    ex = StepwiseExample("q " + id_, tuple(steps), labels, id=id_)
    return LabelledSolution(ex, "mc", first_error, rollouts=16, rollout_tokens=300)


def test_keeps_only_solutions_whose_first_error_the_judge_names() -> None:
    xs = [
        _x("agree-error", ["ok", "WRONG here", "later"], 1),
        _x("agree-clean", ["ok", "fine"], -1),
        _x("judge-earlier", ["WRONG", "WRONG too"], 1),
        _x("judge-clean", ["ok", "ok", "ok"], 2),
        _x("garbled", ["WRONG"], 0),
    ]
    judge = KeywordJudge()
    verdicts = judge_solutions(xs, judge, n=3)
    assert [v.first_error for v in verdicts] == [1, -1, 0, -1, None]
    assert verdicts[0].votes == (1, 1, 1) and verdicts[0].tokens == 36
    res = consensus_filter(xs, verdicts)
    assert [x.id for x in res.kept] == ["agree-error", "agree-clean"]
    assert res.kept_fraction == pytest.approx(2 / 5)
    kept = res.kept[0]
    assert kept.method == "consensus" and kept.example == xs[0].example and kept.rollouts == 16
    assert kept.extra["labels_from"] == "mc" and kept.extra["judge_tokens"] == 36
    assert judge.prompts[0].startswith("<|im_start|>user\nThe following is a math problem")


def test_verdict_parsing_and_range() -> None:
    assert parse_verdict(r"\boxed{-1}") == -1
    assert parse_verdict(r"\boxed{\text{2}}") == 2
    assert parse_verdict(r"\boxed{two}") is None
    msgs = judge_messages("What?", ["a", "b"])
    assert "<paragraph_0>\na\n</paragraph_0>\n\n<paragraph_1>\nb\n</paragraph_1>" in msgs[0]["content"]


def test_out_of_range_index_counts_as_no_verdict() -> None:
    class Far:
        def generate(self, requests):
            return [[Sample(r"\boxed{7}", 3, "stop", 10)] for _ in requests]

    (v,) = judge_solutions([_x("a", ["s"], 0)], Far())
    assert v.first_error is None and v.votes == (None,)


def test_requests_follow_the_protocol() -> None:
    seen = []

    class Spy:
        def generate(self, requests):
            seen.extend(requests)
            return [[Sample(r"\boxed{0}", 3, "stop", 10)] * r.n for r in requests]

    judge_solutions([_x("a", ["s"], 0), _x("b", ["s"], 0)], Spy(), n=2, seed=5, temperature=0.6)
    assert all(isinstance(r, GenerationRequest) and r.n == 2 and r.temperature == 0.6 for r in seen)
    assert [r.seed for r in seen] == [5, 7]
