"""Live search end to end with the real SmolLM2-135M-Instruct policy and a tiny real-architecture PRM
(Qwen2 token classifier with the real Qwen2.5 tokenizer, prmkit-prm's conventions), scored incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from _require import installed, need_module

from prmkit.generation import Sampling
from prmkit.models import fetch
from prmkit.runtime import LocalRunner
from prmkit.scoring import get_spec, load_prm
from prmkit.search.beam import BeamSearch
from prmkit.search.live import run_search
from prmkit.search.particle import ParticleFilter
from prmkit.types import Problem, Solution, StepScores

torch = need_module("torch")
transformers = need_module("transformers")

from prmkit.generation.hf import HFGenerator  # noqa: E402
from prmkit.scoring.incremental import IncrementalScorer, incremental  # noqa: E402

pytestmark = pytest.mark.slow

PROBLEMS = [
    Problem("easy-1", "Tom has 3 apples and buys 4 more. How many apples does he have?", "7"),
    Problem("easy-2", "A box holds 6 eggs. How many eggs are in 2 boxes?", "12"),
]


@pytest.fixture(scope="module")
def policy(prmkit_home: Path) -> Iterator[HFGenerator]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        with installed():
            fetch("smollm2-135m-instruct")
        yield HFGenerator("smollm2-135m-instruct", batch_size=16)


@pytest.fixture(scope="module")
def prm() -> object:
    from transformers import Qwen2Config, Qwen2ForTokenClassification

    from prmkit.models.tokenizers import qwen_tokenizer

    tok = qwen_tokenizer()
    torch.manual_seed(7)
    cfg = Qwen2Config(vocab_size=len(tok), num_labels=2, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096)
    spec = replace(get_spec("prmkit-prm"), dtype="float32", threshold=0.5)
    return load_prm(spec, model=Qwen2ForTokenClassification(cfg).eval(), tokenizer=tok, dtype="float32")


@pytest.mark.parametrize("method", [BeamSearch(n=4, width=2, iterations=4, step_tokens=48),
                                    ParticleFilter(n=4, iterations=4, step_tokens=48)], ids=["beam", "particle"])
def test_a_real_policy_search_finishes_with_incremental_scores_equal_to_one_pass(tmp_path, policy, prm, method):
    scorer, why = incremental(prm)
    assert why is None and isinstance(scorer, IncrementalScorer)
    sampling = Sampling(style="boxed", temperature=0.8, max_tokens=96)
    run = run_search(PROBLEMS, method, LocalRunner(policy, batch_size=16), scorer, tmp_path, sampling=sampling,
                     policy_params=policy.model.num_parameters(), prm_params=prm.models[0].num_parameters())
    for rec in run.results:
        assert "failed" not in rec, rec
        c = rec["compute"]
        assert c["policy_tokens"] > 0 and c["prm_tokens"] > 0 and c["flops"] > 0
        assert rec["continuations"] > 0 and 0 <= rec["restarts"] <= rec["continuations"]
        assert rec["candidates"], "the last iteration samples every open beam to the end"
        # the scores the search acted on are the one-pass scores of the same steps
        sols = [Solution(p.problem, tuple(c["steps"])) for p in PROBLEMS if p.id == rec["id"]
                for c in rec["candidates"]]
        one_pass = prm.score(sols)
        for cand, res in zip(rec["candidates"], one_pass, strict=True):
            assert isinstance(res, StepScores)
            assert cand["step_scores"] == pytest.approx(list(res.scores), abs=1e-5)
    # the incremental scorer ran fewer tokens than re-scoring every prefix would have
    assert scorer.tokens_computed < scorer.tokens_requested
