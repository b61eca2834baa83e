"""Judges on real engines: seeded K-vote reproducibility and kill-and-resume on a tiny real Qwen2 model;
the log-probability readout's parity between llama.cpp and transformers on SmolLM2-135M-Instruct."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _judge_tiny import judge_on
from _require import installed, need_module
from _tiny import save_tiny_lm

from prmkit.evaluation import run_processbench
from prmkit.generation import GenerationRequest
from prmkit.scoring import get_spec
from prmkit.scoring.judges import JudgeScorer, get_judge
from prmkit.types import ScoreFailure, Solution, StepScores

torch = need_module("torch")
need_module("transformers")

HERE = Path(__file__).parent
SOL = Solution("What is 2 + 2, times 3?", ("2 + 2 = 4", "4 * 3 = 13", "The answer is 13."))
OTHER = Solution(
    "Tom has 3 apples and eats one. How many are left?", ("3 - 1 = 2", "So 2 are left.")
)

PARITY_TOL = 0.05
"""Largest difference in a step score (a probability) between llama.cpp and transformers for one judge
on one model: SmolLM2-135M-Instruct's Q4_1 GGUF, which llama.cpp runs with 8-bit activations in its
quantized matmuls and transformers as dequantized float32 weights (measured: 0.019 on ThinkPRM's
verdicts, 0.038 on the critic's index distribution)."""


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from prmkit.models.tokenizers import qwen_tokenizer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    path = save_tiny_lm(
        tmp_path_factory.mktemp("tiny-judge"),
        "qwen2",
        qwen_tokenizer(),
        max_position_embeddings=1024,
        initializer_range=1.0,
    )
    yield path
    torch.set_num_threads(threads)


def _texts(result: StepScores | ScoreFailure) -> tuple[str, ...]:
    assert result.judgement is not None
    return result.judgement.texts


def test_k_votes_are_reproducible_from_seeds(tiny_dir: Path) -> None:
    first_judge = judge_on(str(tiny_dir), seed=3)
    first = first_judge.score([SOL, OTHER])
    again = judge_on(first_judge.generator, seed=3)  # type: ignore[arg-type]
    again.score([Solution("Something else?", ("x",))])  # what the engine ran before changes nothing
    second = again.score([OTHER, SOL])[::-1]  # nor does the order in the batch
    assert [_texts(r) for r in first] == [_texts(r) for r in second]
    assert [type(r) for r in first] == [type(r) for r in second]
    for a, b in zip(first, second, strict=True):
        assert getattr(a, "scores", None) == getattr(b, "scores", None)
    assert len(set(_texts(first[0]))) == 3  # K different samples
    other_seed = judge_on(first_judge.generator, seed=4).score([SOL])[0]  # type: ignore[arg-type]
    assert _texts(other_seed) != _texts(first[0])


def test_processbench_resumes_after_sigkill_without_regenerating(
    tiny_dir: Path, tmp_path: Path
) -> None:
    cases = [
        {
            "id": f"gsm8k-{i}",
            "problem": p.problem,
            "steps": list(p.steps),
            "label": -1 if i % 2 else 1,
            "final_answer_correct": bool(i % 2),
            "generator": "test",
        }
        for i, p in enumerate([SOL, OTHER, SOL, OTHER, SOL])
    ]
    cases[2]["problem"] += " Think."  # five distinct cases
    cases[4]["problem"] += " Again."
    data = tmp_path / "gsm8k.json"
    data.write_text(json.dumps(cases))
    out = tmp_path / "run"
    worker = [
        sys.executable,
        str(HERE / "_judge_resume_worker.py"),
        str(tiny_dir),
        str(data),
        str(out),
        "4",
    ]
    proc = subprocess.run(worker, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # SIGKILLed while asking for the 4th case
    lines = (out / "gsm8k.jsonl").read_text().splitlines()
    assert len(lines) == 3 and not (out / "summary.json").exists()

    scorer = judge_on(str(tiny_dir))
    inner, calls = scorer.generator, []

    class Counting:
        identity = inner.identity

        def generate(self, requests):  # type: ignore[no-untyped-def]
            calls.append(requests[0].prompt)
            return inner.generate(requests)

    scorer.generator = Counting()  # type: ignore[assignment]
    report = run_processbench(scorer, {"gsm8k": str(data)}, str(out), batch_size=1)
    assert len(calls) == 2 and report.splits["gsm8k"].n == 5  # only the two unfinished cases
    after = (out / "gsm8k.jsonl").read_text().splitlines()
    assert after[:3] == lines and len(after) == 5
    # and what the killed run stored is what an uninterrupted run writes
    fresh = judge_on(inner).score([Solution(cases[0]["problem"], tuple(cases[0]["steps"]))])[0]
    assert json.loads(lines[0])["judge"]["texts"] == list(_texts(fresh))


def _check_alignment(gen: Any, prompt: str) -> None:
    """The log-probabilities are read at the right positions: the greedy next token is the most likely of
    the candidates, and the chain rule holds over two tokens."""
    (greedy,) = gen.generate([GenerationRequest(prompt, max_tokens=2, temperature=0)])[0]
    ids = (
        gen.tokenizer(greedy.text, add_special_tokens=False).input_ids
        if hasattr(gen, "tokenizer")
        else None
    )
    first = gen.tokenizer.decode(ids[:1]) if ids else greedy.text[:1]
    others = [" the", " 7", "!", " zebra", "\n", " Step"]
    lps = gen.continuation_logprobs(prompt, [first, *[o for o in others if o != first]])
    assert lps[0] == max(lps)
    (both,) = gen.continuation_logprobs(prompt, [greedy.text])
    (one,) = gen.continuation_logprobs(prompt, [first])
    (two,) = gen.continuation_logprobs(prompt + first, [greedy.text[len(first) :]])
    assert both == pytest.approx(one + two, abs=1e-3)


def test_continuation_logprobs_read_the_right_positions(tiny_dir: Path) -> None:
    from prmkit.generation.hf import HFGenerator

    _check_alignment(
        HFGenerator(str(tiny_dir)),
        "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n",
    )


@pytest.mark.slow  # real pretrained weights on two engines
def test_logprob_scores_agree_between_llamacpp_and_transformers() -> None:
    need_module("llama_cpp")
    from prmkit.generation.hf import HFGenerator
    from prmkit.generation.llamacpp import LlamaCppGenerator
    from prmkit.models import fetch

    with installed():
        fetch("smollm2-135m-instruct")
    chain = " Step 1: 2 + 2 = 4 is right. \\boxed{correct}\nStep 2: 4 * 3 is 12, not 13. \\boxed{incorrect}"
    critique = "Paragraph 1 multiplies wrongly, so the earliest error is \\boxed{1}"
    scores = {}
    with LlamaCppGenerator("smollm2-135m-instruct", n_ctx=1024, n_threads=1) as llama:
        for name, gen in (("llamacpp", llama), ("hf", HFGenerator("smollm2-135m-instruct"))):
            thinkprm = JudgeScorer(get_spec("judge-thinkprm"), get_judge("thinkprm"), gen).rescore(
                SOL, [chain]
            )
            critic = JudgeScorer(
                get_spec("judge-critic-logprob"), get_judge("critic-logprob"), gen
            ).rescore(SOL, [critique])
            assert isinstance(thinkprm, StepScores) and isinstance(critic, StepScores)
            scores[name] = thinkprm.scores + critic.scores
    assert scores["hf"] == pytest.approx(scores["llamacpp"], abs=PARITY_TOL)
    # the readout is not flat: the wrong step is read as wrong, and after it the chain's verdict holds
    assert scores["hf"][0] < 0.5 and scores["hf"][1] < 0.01 and scores["hf"][2] == 0.0
