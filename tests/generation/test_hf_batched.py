"""Batched transformers generation on tiny real-architecture models (Qwen2 and Llama, real tokenizers).

Parity with ``model.generate`` (greedy, one prompt at a time), sampled tokens
that do not depend on the batch, per-row ends (EOS, stop strings, budgets,
the model's context) and the fallback for caches that cannot be re-padded.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from _require import need_module

from prmkit.errors import ConfigError, ContextLengthError
from prmkit.generation import GenerationRequest, Sample

torch = need_module("torch")
transformers = need_module("transformers")

from prmkit.generation.hf import HFGenerator  # noqa: E402
from prmkit.models.tokenizers import qwen_tokenizer, smollm2_tokenizer  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py, as are qwen_dir and save_policy

PROMPTS = [
    "Hello there",
    "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
    "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n",
    "x",
    "The quick brown fox jumps over the lazy dog. The quick brown fox",
]


@pytest.fixture(scope="module")
def qwen(qwen_dir: Path) -> HFGenerator:
    return HFGenerator(qwen_dir, batch_size=16)


@pytest.fixture(scope="module")
def llama(save_policy: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> HFGenerator:
    path = save_policy(tmp_path_factory.mktemp("tiny-llama"), "llama", smollm2_tokenizer())
    return HFGenerator(path, batch_size=2)


def _reference(gen: HFGenerator, prompt: str, max_tokens: int) -> list[int]:
    """Greedy tokens from ``model.generate``, one prompt alone (EOS kept if it came)."""
    ids = gen.tokenizer(prompt, return_tensors="pt").input_ids
    out = gen.model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_tokens,
        do_sample=False,
        temperature=None,
        top_p=None,
        top_k=None,
        eos_token_id=sorted(gen._eos),
        pad_token_id=0,
    )
    return [int(t) for t in out[0, ids.shape[1] :]]


def _as_sample(gen: HFGenerator, prompt: str, tokens: list[int]) -> Sample:
    ended = bool(tokens) and tokens[-1] in gen._eos
    kept = tokens[:-1] if ended else tokens
    n_prompt = len(gen.tokenizer(prompt).input_ids)
    text = gen.tokenizer.decode(kept, skip_special_tokens=True)
    return Sample(text, len(kept), "stop" if ended else "length", n_prompt)


@pytest.mark.parametrize("arch", ["qwen", "llama"])
def test_greedy_batched_equals_generate_one_at_a_time(arch: str, request: pytest.FixtureRequest) -> None:
    gen: HFGenerator = request.getfixturevalue(arch)
    budgets = [3, 9, 5, 12, 7]  # rows finish at different steps, so queued prompts join a running batch
    reqs = [GenerationRequest(p, max_tokens=m, temperature=0) for p, m in zip(PROMPTS, budgets, strict=True)]
    expected = [[_as_sample(gen, r.prompt, _reference(gen, r.prompt, r.max_tokens))] for r in reqs]
    for batch_size in (2, 16):
        gen.batch_size = batch_size
        out = gen.generate(reqs)
        assert out == expected, batch_size
    assert len({s.n_prompt_tokens for (s,) in out}) == 5


def test_a_seeded_sample_does_not_depend_on_its_batch(qwen: HFGenerator) -> None:
    target = GenerationRequest(PROMPTS[2], n=4, max_tokens=10, temperature=0.8, top_p=0.95, seed=11)
    others = [
        GenerationRequest(PROMPTS[4], n=3, max_tokens=6, temperature=1.0, seed=3),
        GenerationRequest(PROMPTS[0], n=2, max_tokens=12, temperature=0.7, seed=5),
        GenerationRequest(PROMPTS[1], max_tokens=4, temperature=0),
    ]
    qwen.batch_size = 16
    torch.manual_seed(99)
    expected_rand = torch.rand(3)
    torch.manual_seed(99)
    alone = qwen.generate([target])[0]
    assert torch.equal(torch.rand(3), expected_rand)  # the caller's RNG is untouched
    assert len({s.text for s in alone}) == 4
    for batch_size in (1, 7, 16):
        qwen.batch_size = batch_size
        assert qwen.generate([others[0], target, *others[1:]])[1] == alone, batch_size
        assert qwen.generate([*others, target])[3] == alone, batch_size
    qwen.batch_size = 16
    for seed, j in ((11, 0), (13, 2)):  # n=1 with seed + j is sample j
        single = GenerationRequest(PROMPTS[2], max_tokens=10, temperature=0.8, top_p=0.95, seed=seed)
        assert qwen.generate([single])[0] == [alone[j]]


def test_unseeded_requests_draw_fresh_randomness(qwen: HFGenerator) -> None:
    req = GenerationRequest(PROMPTS[0], n=2, max_tokens=12, temperature=1.0)
    a, b = qwen.generate([req, req])
    assert len({s.text for s in a + b}) == 4


def test_eos_and_stop_strings_end_only_their_own_row(
    qwen: HFGenerator, qwen_dir: Path, tmp_path: Path
) -> None:
    a, b, c = PROMPTS[0], PROMPTS[4], PROMPTS[1]
    ref_a, ref_b, ref_c = (_reference(qwen, p, 12) for p in (a, b, c))
    eos = ref_a[3]
    assert eos not in ref_a[:3] + ref_b + ref_c, "pick other prompts: the EOS token must end only row a"
    stop = qwen.tokenizer.decode(ref_b[4:6])
    assert stop.strip() and stop not in qwen.tokenizer.decode(ref_b[:5]) + qwen.tokenizer.decode(ref_c)
    shutil.copytree(qwen_dir, tmp_path / "m")
    config = json.loads((tmp_path / "m" / "generation_config.json").read_text())
    (tmp_path / "m" / "generation_config.json").write_text(json.dumps({**config, "eos_token_id": eos}))
    gen = HFGenerator(tmp_path / "m", batch_size=3)
    out = gen.generate(
        [
            GenerationRequest(a, max_tokens=12, temperature=0),
            GenerationRequest(b, max_tokens=12, temperature=0, stop=(stop, "never appears")),
            GenerationRequest(c, max_tokens=12, temperature=0),
        ]
    )
    (sa,), (sb,), (sc,) = out
    assert (sa.text, sa.n_tokens, sa.finish_reason) == (gen.tokenizer.decode(ref_a[:3]), 3, "stop")
    assert (sb.finish_reason, sb.n_tokens) == ("stop", 6)
    assert sb.text == gen.tokenizer.decode(ref_b[:6]).split(stop)[0]
    assert (sc.text, sc.n_tokens, sc.finish_reason) == (gen.tokenizer.decode(ref_c), 12, "length")


def test_stop_strings_are_matched_in_the_generated_text_only(qwen: HFGenerator) -> None:
    (ref,) = qwen.generate([GenerationRequest(PROMPTS[1], max_tokens=6, temperature=0)])[0]
    stops = ("12", "1, 2")  # both in the prompt
    (s,) = qwen.generate([GenerationRequest(PROMPTS[1], max_tokens=6, temperature=0, stop=stops)])[0]
    assert "12" not in ref.text and "1, 2" not in ref.text and s == ref


def test_budgets_and_the_context_limit(qwen: HFGenerator) -> None:
    near_full = " ".join(["go"] * 58)  # the tiny models take 64 positions
    n_prompt = len(qwen.tokenizer(near_full).input_ids)
    out = qwen.generate(
        [
            GenerationRequest(near_full, max_tokens=20, temperature=0.5, seed=1),
            GenerationRequest(PROMPTS[3], n=2, max_tokens=1, temperature=0.5, seed=1),
        ]
    )
    assert out[0][0].n_tokens == 64 - n_prompt and out[0][0].finish_reason == "length"
    assert [(s.n_tokens, s.finish_reason, s.n_prompt_tokens) for s in out[1]] == [(1, "length", 1)] * 2
    with pytest.raises(ContextLengthError, match=r"request 1: the prompt has \d+ tokens; the model takes 64$"):
        qwen.generate([GenerationRequest(PROMPTS[0]), GenerationRequest(near_full * 2)])


def test_batch_size_is_validated(qwen_dir: Path) -> None:
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        HFGenerator(qwen_dir, batch_size=0)


def test_sliding_window_caches_decode_one_prompt_at_a_time(save_policy: Callable[..., Path], tmp_path: Path) -> None:
    path = save_policy(
        tmp_path / "sliding", "qwen2", qwen_tokenizer(),
        use_sliding_window=True, sliding_window=6, max_window_layers=1,
    )
    gen = HFGenerator(path, batch_size=4)
    reqs = [GenerationRequest(p, max_tokens=8, temperature=0) for p in PROMPTS[:3]]
    for req, (sample,) in zip(reqs, gen.generate(reqs), strict=True):
        assert sample == _as_sample(gen, req.prompt, _reference(gen, req.prompt, 8))
    sampled = GenerationRequest(PROMPTS[2], n=3, max_tokens=8, temperature=0.9, seed=4)
    alone = gen.generate([sampled])[0]
    gen.batch_size = 2
    assert gen.generate([reqs[0], sampled])[1] == alone

