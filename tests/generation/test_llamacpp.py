"""llama.cpp generator on the real SmolLM2-135M-Instruct GGUF (and Qwen2.5-Coder-0.5B, slow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _require import installed, need_module

from prmkit.errors import ContextLengthError
from prmkit.generation import GenerationRequest, Generator, load_generator
from prmkit.models import fetch

need_module("llama_cpp", "llama-cpp-python is not installed: pip install 'prmkit[llamacpp]'")

from prmkit.generation.llamacpp import LlamaCppGenerator  # noqa: E402

pytestmark = pytest.mark.slow  # real pretrained weights

CHAT = "<|im_start|>user\nWhat is 12 * 7? Think step by step.<|im_end|>\n<|im_start|>assistant\n"
COUNT = "1, 2, 3, 4, 5,"


def _gguf(name: str) -> Path:
    with installed():
        return fetch(name)


@pytest.fixture(scope="module")
def gen() -> Iterator[LlamaCppGenerator]:
    g = LlamaCppGenerator(_gguf("smollm2-135m-instruct"), n_ctx=1024)
    yield g
    g.close()


def test_is_a_generator_and_counts_prompt_tokens(gen: LlamaCppGenerator) -> None:
    assert isinstance(gen, Generator)
    (s,) = gen.generate([GenerationRequest(COUNT, max_tokens=5, temperature=0)])[0]
    assert s.n_prompt_tokens == len(gen.tokenize(COUNT)) == 14
    assert (s.text, s.n_tokens, s.finish_reason) == (" 6, 7", 5, "length")


def test_greedy_golden_and_stop_strings(gen: LlamaCppGenerator) -> None:
    (full,) = gen.generate([GenerationRequest(COUNT, max_tokens=16, temperature=0)])[0]
    assert full.text == " 6, 7, 8, 9, 10,"
    (cut,) = gen.generate([GenerationRequest(COUNT, max_tokens=16, temperature=0, stop=(" 9", "zzz"))])[0]
    assert (cut.text, cut.finish_reason) == (" 6, 7, 8,", "stop")
    assert cut.n_tokens < full.n_tokens  # generation ended at the stop string
    # the stop string is searched in the generated text only, never across the prompt
    (tail,) = gen.generate([GenerationRequest("1, 2, 3, 4, 5", max_tokens=4, temperature=0, stop=("5,",))])[0]
    assert tail.finish_reason == "length" and tail.text.startswith(",")


def test_end_of_sequence_finishes_with_stop(gen: LlamaCppGenerator) -> None:
    (s,) = gen.generate([GenerationRequest(CHAT, max_tokens=200, temperature=0)])[0]
    assert s.finish_reason == "stop" and s.n_tokens < 200
    assert "<|im_end|>" not in s.text and s.text.strip()


def test_seeded_samples_are_reproducible_whatever_ran_before(gen: LlamaCppGenerator) -> None:
    req = GenerationRequest(CHAT, n=3, max_tokens=24, temperature=0.8, seed=1)
    first = gen.generate([req])[0]
    gen.generate([GenerationRequest("Something else entirely.", n=2, max_tokens=8, seed=9)])
    again = gen.generate([GenerationRequest(COUNT, max_tokens=3, temperature=0), req])[1]
    assert again == first
    # sample j uses seed + j: asking for one sample with seed 2 gives sample 1 above
    assert gen.generate([GenerationRequest(CHAT, max_tokens=24, temperature=0.8, seed=2)])[0][0] == first[1]
    assert len({s.text for s in first}) == 3  # different seeds, different samples


def test_n_samples_token_counts_and_finish_reasons(gen: LlamaCppGenerator) -> None:
    reqs = [
        GenerationRequest(CHAT, n=4, max_tokens=12, temperature=1.0, seed=0, stop=("\n",)),
        GenerationRequest(COUNT, n=2, max_tokens=3, temperature=0.5, seed=5),
    ]
    out = gen.generate(reqs)
    assert [len(x) for x in out] == [4, 2]
    for s in out[0]:
        assert "\n" not in s.text and 1 <= s.n_tokens <= 12
        assert s.finish_reason == "stop" or s.n_tokens == 12
        assert s.n_prompt_tokens == len(gen.tokenize(CHAT))
    for s in out[1]:
        assert (s.n_tokens, s.finish_reason, s.n_prompt_tokens) == (3, "length", 14)


def test_a_prompt_longer_than_the_context_names_the_request() -> None:
    small = LlamaCppGenerator(_gguf("smollm2-135m-instruct"), n_ctx=256, n_threads=1)
    assert small.n_ctx == 256
    with pytest.raises(ContextLengthError, match="request 1: the prompt has 280 tokens; the context window is 256"):
        small.generate([GenerationRequest(COUNT, max_tokens=2), GenerationRequest(COUNT * 20, max_tokens=2)])
    # a long max_tokens is cut to what the context leaves, and ends as "length"
    (s,) = small.generate([GenerationRequest(COUNT * 18, max_tokens=100, temperature=0)])[0]
    assert (s.n_prompt_tokens, s.n_tokens, s.finish_reason) == (252, 256 - 252, "length")
    small.close()


def test_load_generator_builds_it_from_a_catalog_name() -> None:
    _gguf("smollm2-135m-instruct")
    g = load_generator("llamacpp", model="smollm2-135m-instruct", n_ctx=256, n_threads=1)
    assert g.identity == "llamacpp:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"  # type: ignore[attr-defined]
    g.close()  # type: ignore[attr-defined]


def test_qwen_coder_generates_code_and_stops_at_end_of_turn() -> None:
    with LlamaCppGenerator(_gguf("qwen2.5-coder-0.5b-instruct"), n_ctx=512) as g:
        code, chat = g.generate(
            [
                GenerationRequest("def add(a, b):\n    return", max_tokens=16, temperature=0, stop=("\n\n",)),
                GenerationRequest("<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n", max_tokens=32, temperature=0),
            ]
        )
    assert (code[0].text, code[0].finish_reason, code[0].n_prompt_tokens) == (" a + b", "stop", 8)
    assert chat[0].finish_reason == "stop" and chat[0].n_tokens < 32 and chat[0].text.startswith("Hi")
