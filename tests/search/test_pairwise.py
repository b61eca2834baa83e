"""The pairwise judge: the strict verdict parser (rules and fuzz), combining both orders, and a
knockout judged by a tiny real Qwen2 through the transformers generator."""

from __future__ import annotations

from pathlib import Path

import pytest
from _judge_script import ScriptedJudge
from _require import need_module
from _tiny import save_tiny_lm
from hypothesis import given, settings
from hypothesis import strategies as st

from prmkit.generation import Sample
from prmkit.search.pairwise import PairwiseJudge, VerdictError, combine, parse_verdict
from prmkit.search.tournament import knockout

B = "\\boxed"


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (f"{B}{{A}}", "A"),
        (f"first {B}{{A}}, then on reflection {B}{{B}}.", "B"),
        (f"{B}{{ b }}", "B"),
        (f"{B}{{\\text{{A}}}}", "A"),
        (f"{B}{{\\textbf{{ B }}}} and some trailing words", "B"),
        (f"{B}{{{B}{{A}}}}", "A"),  # the last box opens inside the first
    ],
)
def test_verdicts(text: str, verdict: str) -> None:
    assert parse_verdict(text) == verdict


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("A is better.", "no \\boxed{} verdict"),
        ("", "no \\boxed{} verdict"),
        (f"{B}{{A}} but {B}{{A or B}}", 'last \\boxed{} holds "A or B", not A or B'),
        (f"{B}{{C}}", 'last \\boxed{} holds "C", not A or B'),
        (f"{B}{{}}", 'last \\boxed{} holds "", not A or B'),
        (f"{B}{{AB}}", 'last \\boxed{} holds "AB", not A or B'),
        (f"{B}{{B}} then {B}{{A", "last \\boxed{ is never closed"),
    ],
)
def test_malformed_verdicts_are_typed_failures(text: str, reason: str) -> None:
    with pytest.raises(VerdictError) as e:
        parse_verdict(text)
    assert (e.value.message, e.value.raw) == (reason, text)
    assert e.value.reason in ("missing", "incomplete", "malformed")
    assert isinstance(e.value, ValueError)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["A", "B", "a", "{", "}", "\\", " ", "or", "\\boxed{", "\\text{"]),
        max_size=12,
    ).map("".join)
    | st.text()
)
def test_fuzz_only_verdict_error_escapes(text: str) -> None:
    try:
        assert parse_verdict(text) in ("A", "B")
    except VerdictError as e:
        assert e.raw == text
    assert parse_verdict(text + f"{B}{{B}}") == "B"  # a clean verdict at the end always decides


def test_both_orders_combine() -> None:
    def s(text: str) -> Sample:
        return Sample(text, 4, "stop", 50)

    win = combine(3, 7, s(f"{B}{{B}}"), s(f"{B}{{A}}"))
    assert (win.outcome, win.winner, win.verdicts, win.n_tokens) == ("win", 7, ("B", "A"), 8)
    tie = combine(3, 7, s(f"{B}{{A}}"), s(f"{B}{{A}}"))
    assert (tie.outcome, tie.winner) == ("tie", None)
    failed = combine(3, 7, s(f"{B}{{A}}"), s("none"))
    assert (failed.outcome, failed.winner, failed.verdicts) == ("failed", None, ("A", None))
    assert failed.raw == (f"{B}{{A}}", "none") and failed.errors == (None, "no \\boxed{} verdict")


def test_requests_are_seeded_by_content() -> None:
    judge, other = (
        PairwiseJudge(ScriptedJudge([]), seed=4),
        PairwiseJudge(ScriptedJudge([]), seed=5),
    )
    a, b = judge.request("q", "x", "y"), judge.request("q", "y", "x")
    assert a.prompt.count("Solution A:\nx\n\nSolution B:\ny\n") == 1 and a.seed != b.seed
    assert judge.request("q", "x", "y") == a and other.request("q", "x", "y").seed != a.seed


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = need_module("torch")
    need_module("transformers")
    from prmkit.models.tokenizers import qwen_tokenizer

    torch.set_num_threads(1)
    return save_tiny_lm(
        tmp_path_factory.mktemp("judge"), "qwen2", qwen_tokenizer(), max_position_embeddings=512
    )


def test_knockout_with_a_tiny_real_judge(tiny_qwen: Path) -> None:
    from prmkit.generation.hf import HFGenerator

    gen = HFGenerator(tiny_qwen, batch_size=8)
    problem, solutions = "2 + 2?", ["2 + 2 = 4.", "2 + 2 = 5.", "It is 4."]

    def judge() -> PairwiseJudge:  # a short template keeps the tiny model's prefill small
        return PairwiseJudge(
            gen, max_tokens=4, temperature=1.0, seed=11, template="{problem}\nA: {a}\nB: {b}\n"
        )

    first = judge()
    t = knockout(first, problem, solutions, seed=0)
    assert len(t.comparisons) == 2 and first.calls == 2 and len(first.memo) == 4
    # a random-weight judge never writes a verdict: every comparison is a failure, resolved by index
    assert t.n_failures == 2 and t.index == 0
    assert all(c.errors == ("no \\boxed{} verdict",) * 2 for c in t.comparisons)
    # what is recorded is exactly what the generator returns for the two orders' requests
    c = t.comparisons[-1]
    reqs = [first.request(problem, solutions[x], solutions[y]) for x, y in ((c.i, c.j), (c.j, c.i))]
    direct = [s[0] for s in gen.generate(reqs)]
    assert c.raw == (direct[0].text, direct[1].text)
    assert c.n_tokens == direct[0].n_tokens + direct[1].n_tokens > 0
    assert t.n_tokens == sum(s.n_tokens for s in first.memo.values())
    # a fresh judge with the same seed reproduces the record
    assert knockout(judge(), problem, solutions) == t
