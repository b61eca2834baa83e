"""Judge selectors (knockout, elo) in Best-of-N: every pair judged once, every subset answered from the memo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from prmkit.answers import Answer
from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet, write_candidates
from prmkit.errors import ConfigError
from prmkit.evaluation import format_table
from prmkit.evaluation._bon_judge import subset_seeds
from prmkit.evaluation._bon_stats import subset_masks
from prmkit.evaluation.bon import BonConfig, BonJudge, evaluate_bon
from prmkit.evaluation.config import BonJudgeConfig
from prmkit.generation import GenerationRequest, Sample
from prmkit.search.pairwise import JsonlMemo, PairwiseJudge
from prmkit.search.tournament import elo, knockout

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "search"))
from _judge_script import ScriptedJudge

SRC = Path(__file__).resolve().parents[2] / "src"
SIZE = 6
# candidate k of problem p is correct when CORRECT[p][k]; the script prefers the higher strength
CORRECT = [[0, 1, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0]]


def cset(correct: Sequence[Sequence[int]] = CORRECT) -> CandidateSet:
    """Problem p's candidate k is the text ``cand <10 p + k>`` (so one strength table covers all problems)."""
    probs = []
    for p, row in enumerate(correct):
        cands = tuple(
            Candidate((f"cand {10 * p + k}",), Answer.of(str(10 * p + k)), bool(ok), (0.5,))
            for k, ok in enumerate(row)
        )
        probs.append(CandidateProblem(f"p{p}", f"problem {p}?", cands))
    return CandidateSet(tuple(probs))


def strengths(correct: Sequence[Sequence[int]] = CORRECT) -> list[float]:
    """A judge that always prefers a correct candidate (and otherwise the higher index)."""
    table = [0.0] * (10 * len(correct))
    for p, row in enumerate(correct):
        for k, ok in enumerate(row):
            table[10 * p + k] = 100 * ok + k
    return table


class Counting:
    """A generator wrapper that counts generated requests."""

    def __init__(self, inner: object) -> None:
        self.inner, self.requests = inner, 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        self.requests += len(requests)
        return self.inner.generate(requests)  # type: ignore[attr-defined,no-any-return]


def pairs_total(cs: CandidateSet) -> int:
    return sum(len(p.candidates) * (len(p.candidates) - 1) for p in cs.problems)  # C(n, 2) x 2 orders


CFG = BonConfig(ns=(1, 2, 3, 6), n_subsets=8, n_bootstrap=0)


def test_judge_selectors_match_direct_tournaments_with_no_new_generations() -> None:
    cs = cset()
    script = ScriptedJudge(strengths())
    bj = BonJudge(PairwiseJudge(script), chunk=25)
    res = evaluate_bon(cs, ["knockout", "elo", "pass_at_n"], ["last"], CFG, judge=bj)
    # every pair once, both orders, one generate call per chunk of 25 requests
    assert bj.judge.generated == pairs_total(cs) == 120 and [len(c) for c in script.calls] == [25] * 4 + [20]
    # golden: a judge that always prefers a correct candidate is as accurate as the oracle
    for n in CFG.ns or ():
        oracle = next(r.accuracy for r in res.rows if r.selector == "pass_at_n" and r.n == n)
        for kind in ("knockout", "elo"):
            assert next(r.accuracy for r in res.rows if r.selector == kind and r.n == n) == oracle
    # parity: each subset's tournament, run with the judge itself over the memo, chooses the same,
    # costs the reported tokens, and generates nothing
    counted = Counting(script)
    direct = PairwiseJudge(counted, memo=bj.judge.memo)  # type: ignore[arg-type]
    for kind, run in (("knockout", knockout), ("elo", elo)):
        for n in CFG.ns or ():
            hits, tokens = [], []
            for pi, p in enumerate(cs.problems):
                masks = subset_masks(SIZE, n, CFG.n_subsets, np.random.default_rng([CFG.seed, pi, n]))
                seeds = subset_seeds(CFG.seed, pi, n, masks.shape[0])
                sols = ["\n\n".join(c.steps) for c in p.candidates]
                h = t = 0.0
                for r, row in enumerate(masks):
                    idx = list(np.flatnonzero(row))
                    tour = run(direct, p.problem, [sols[k] for k in idx], [0.5] * n, seed=seeds[r])
                    h += bool(p.candidates[idx[tour.index]].correct)
                    t += tour.n_tokens
                hits.append(h / masks.shape[0])
                tokens.append(t / masks.shape[0])
            row_ = next(r for r in res.rows if r.selector == kind and r.n == n)
            assert row_.accuracy == pytest.approx(np.mean(hits))
            assert row_.judge_tokens == pytest.approx(np.mean(tokens))
            assert row_.aggregator == "last"  # ties broke on the scores, so the row names their aggregator
    assert counted.requests == 0 and direct.calls == 0


def test_judge_tokens_are_reported_in_rows_and_table() -> None:
    cs = cset()
    res = evaluate_bon(cs, ["majority", "elo"], ["last"], CFG, judge=BonJudge(PairwiseJudge(ScriptedJudge(strengths()))))
    rows = {(r.selector, r.n): r for r in res.rows}
    assert rows[("elo", 1)].judge_tokens == 0 and rows[("majority", 6)].judge_tokens == 0
    # at n = 6 elo plays every pair of the one subset; the script spends 5 + a + b tokens per order
    want = np.mean([
        sum(2 * (5 + a + b) for a in range(10 * p, 10 * p + 6) for b in range(a + 1, 10 * p + 6))
        for p in range(len(CORRECT))
    ])
    assert rows[("elo", 6)].judge_tokens == want == 1200  # (300 + 900 + 1500 + 2100) / 4
    table = format_table(res)
    assert table.splitlines()[0].endswith("judge tok") and table.splitlines()[-1].endswith(" 1,200")
    assert "judge_tokens" in res.to_json()["results"][0]


class Killed(Exception):
    pass


class DiesAfter:
    """Generates ``calls`` chunks, then dies (a killed run)."""

    def __init__(self, inner: ScriptedJudge, calls: int) -> None:
        self.inner, self.left = inner, calls

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        if not self.left:
            raise Killed
        self.left -= 1
        return self.inner.generate(requests)


def test_a_resumed_run_regenerates_nothing_already_judged(tmp_path: Path) -> None:
    cs, memo = cset(), tmp_path / "judge.jsonl"
    first = PairwiseJudge(DiesAfter(ScriptedJudge(strengths()), 2), memo=JsonlMemo(memo))  # type: ignore[arg-type]
    with pytest.raises(Killed):
        evaluate_bon(cs, ["knockout"], ["last"], CFG, judge=BonJudge(first, chunk=30))
    kept = JsonlMemo(memo)
    before = set(kept)
    assert len(before) == 60
    script = ScriptedJudge(strengths())
    again = PairwiseJudge(script, memo=kept)
    res = evaluate_bon(cs, ["knockout"], ["last"], CFG, judge=BonJudge(again, chunk=30))
    asked = {again.key(again.request(*_parse(r))) for c in script.calls for r in c}
    assert again.generated == len(asked) == 60 and not asked & before
    assert set(JsonlMemo(memo)) == before | asked
    full = evaluate_bon(cs, ["knockout"], ["last"], CFG, judge=BonJudge(PairwiseJudge(ScriptedJudge(strengths()))))
    assert [r.accuracy for r in res.rows] == [r.accuracy for r in full.rows]
    assert [r.judge_tokens for r in res.rows] == [r.judge_tokens for r in full.rows]


def _parse(pair: tuple[int, int]) -> tuple[str, str, str]:
    a, b = pair
    return f"problem {a // 10}?", f"cand {a}", f"cand {b}"


def test_judge_selectors_refuse_a_missing_judge_and_too_many_candidates() -> None:
    with pytest.raises(ConfigError, match="need a pairwise judge"):
        evaluate_bon(cset(), ["elo"], ["last"], CFG)
    small = BonJudge(PairwiseJudge(ScriptedJudge(strengths())), max_n=5)
    with pytest.raises(ConfigError, match=r"problem 'p0' has 6 .*more than the cap max_n=5"):
        evaluate_bon(cset(), ["knockout"], ["last"], CFG, judge=small)
    with pytest.raises(ConfigError, match="backend openai needs a url"):
        BonJudgeConfig(backend="openai")
    with pytest.raises(ConfigError, match="pairwise max_n must be >= 2, got 1"):
        BonJudgeConfig(max_n=1)


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from _require import need_module
    from _tiny import save_tiny_lm

    need_module("torch")
    need_module("transformers")

    from prmkit.models.tokenizers import qwen_tokenizer

    return save_tiny_lm(tmp_path_factory.mktemp("judge"), "qwen2", qwen_tokenizer(), max_position_embeddings=512)


def test_cli_runs_judge_selectors_with_a_tiny_real_judge(
    tmp_path: Path, tiny_qwen: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cands = tmp_path / "c.jsonl"
    write_candidates(cset([CORRECT[3][:4]]), cands)  # 1 problem x 4: 12 judge generations
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "prmkit", "eval", "bon", "--candidates", str(cands), "--scores-from-file",
            "--selectors", "majority,knockout,elo", "--ns", "1,2,3", "--subsets", "5", "--bootstrap", "0",
            "--out", str(out), "--no-plot", "--quiet", "--pairwise-backend", "hf", "--pairwise-model",
            str(tiny_qwen), "--pairwise-max-tokens", "2"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "bon.json").read_text())
    assert doc["judge"]["generated"] == 12 == doc["judge"]["memo"]
    assert len((out / "judge.jsonl").read_text().splitlines()) == 12
    rows = {(x["selector"], x["n"]): x for x in doc["results"]}
    assert rows[("elo", 3)]["judge_tokens"] > rows[("knockout", 3)]["judge_tokens"] > 0 == rows[("elo", 1)]["judge_tokens"]
    assert "judge tok" in r.stdout
    # a random-weight judge writes no verdict: every comparison fails and the tie-break decides
    bad = [json.loads(x) for x in (out / "judge.jsonl").read_text().splitlines()]
    assert all("\\boxed" not in x["text"] for x in bad)
    from prmkit.cli._bon import main

    assert main([*argv[3:-6], "--pairwise-max-n", "3"]) == 2  # in-process: no second interpreter
    assert "more than --pairwise-max-n 3" in capsys.readouterr().err
