"""transformers generator on SmolLM2-135M-Instruct, dequantized from its GGUF by to_transformers_dir."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _require import installed, need_module

from prmkit.errors import ContextLengthError
from prmkit.generation import GenerationRequest, Generator, Sample, cut_at_stop
from prmkit.models import fetch, to_transformers_dir

torch = need_module("torch")
transformers = need_module("transformers")

from prmkit.generation.hf import HFGenerator  # noqa: E402

pytestmark = pytest.mark.slow  # real pretrained weights, converted once per module

NAME = "smollm2-135m-instruct"
COUNT = "1, 2, 3, 4, 5,"
CHAT = "<|im_start|>user\nWhat is 12 * 7? Think step by step.<|im_end|>\n<|im_start|>assistant\n"
STORY = "<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def home(prmkit_home: Path) -> Iterator[Path]:
    """The session's model cache (``conftest.py``), offline, with one torch thread."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield prmkit_home
        finally:
            torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def hf_dir(home: Path) -> Path:
    with installed():
        fetch(NAME)
    return to_transformers_dir(NAME)


@pytest.fixture(scope="module")
def gen(hf_dir: Path) -> HFGenerator:
    return HFGenerator(NAME)


def test_conversion_is_cached_and_complete(hf_dir: Path, home: Path) -> None:
    assert hf_dir == home / "models" / "hf" / f"{NAME}-b179c9523d0e-float32"
    names = {p.name for p in hf_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "prmkit_converted.json"} <= names
    config = transformers.AutoConfig.from_pretrained(hf_dir)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("llama", 30, 576)
    tok = transformers.AutoTokenizer.from_pretrained(hf_dir)
    assert tok.chat_template is not None and len(tok) == 49152
    stamp = (hf_dir / "prmkit_converted.json").stat().st_mtime_ns
    t0 = time.monotonic()
    assert to_transformers_dir(NAME) == hf_dir
    assert time.monotonic() - t0 < 2 and (hf_dir / "prmkit_converted.json").stat().st_mtime_ns == stamp


def test_dequantized_weights_equal_gguf_py_dequantization(hf_dir: Path) -> None:
    gguf = need_module("gguf")
    from safetensors import safe_open

    reader = gguf.GGUFReader(str(fetch(NAME)))
    tensor = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
    ref = torch.from_numpy(gguf.quants.dequantize(tensor.data, tensor.tensor_type).copy())
    with safe_open(str(hf_dir / "model.safetensors"), "pt") as f:
        ours = f.get_tensor("model.layers.0.mlp.down_proj.weight")
    assert tensor.tensor_type.name == "Q4_1" and ours.shape == ref.shape == (576, 1536)
    assert torch.equal(ours, ref)


def _reference_greedy(gen: HFGenerator, prompt: str, max_tokens: int, stop: tuple[str, ...]) -> Sample:
    """Plain greedy loop: full forward each step, argmax, stop on EOS or a stop string."""
    ids = gen.tokenizer(prompt, return_tensors="pt").input_ids
    n_prompt, new = ids.shape[1], []
    eos = gen.model.generation_config.eos_token_id
    eos_ids = set(eos if isinstance(eos, list) else [eos])
    with torch.no_grad():
        for _ in range(max_tokens):
            nxt = int(gen.model(torch.tensor([ids[0].tolist() + new])).logits[0, -1].argmax())
            if nxt in eos_ids:
                return Sample(cut_at_stop(gen.tokenizer.decode(new), stop)[0], len(new), "stop", n_prompt)
            new.append(nxt)
            text, hit = cut_at_stop(gen.tokenizer.decode(new, skip_special_tokens=True), stop)
            if hit:
                return Sample(text, len(new), "stop", n_prompt)
    return Sample(gen.tokenizer.decode(new, skip_special_tokens=True), len(new), "length", n_prompt)


def test_greedy_matches_an_independent_greedy_loop(gen: HFGenerator) -> None:
    assert isinstance(gen, Generator)
    cases = [(COUNT, 8, ()), (COUNT, 16, (" 9",)), (CHAT, 40, ())]
    for prompt, max_tokens, stop in cases:
        (ours,) = gen.generate([GenerationRequest(prompt, max_tokens=max_tokens, temperature=0, stop=stop)])[0]
        assert ours == _reference_greedy(gen, prompt, max_tokens, stop), prompt
    (s,) = gen.generate([GenerationRequest(COUNT, max_tokens=16, temperature=0, stop=(" 9",))])[0]
    assert (s.text, s.finish_reason, s.n_prompt_tokens) == (" 6, 7, 8,", "stop", 14)


def test_stop_strings_are_not_matched_across_the_prompt(gen: HFGenerator) -> None:
    (s,) = gen.generate([GenerationRequest("1, 2, 3, 4, 5", max_tokens=4, temperature=0, stop=("5,",))])[0]
    assert s.finish_reason == "length" and s.n_tokens == 4 and s.text.startswith(",")


def test_seeded_sampling_is_reproducible_and_leaves_the_global_rng_alone(gen: HFGenerator) -> None:
    req = GenerationRequest(STORY, n=3, max_tokens=12, temperature=1.0, seed=3, stop=("\n",))
    torch.manual_seed(1234)
    expected_next = torch.rand(3)
    torch.manual_seed(1234)
    first = gen.generate([req])[0]
    assert torch.equal(torch.rand(3), expected_next)
    assert gen.generate([GenerationRequest(COUNT, max_tokens=2, seed=0), req])[1] == first
    assert gen.generate([GenerationRequest(STORY, max_tokens=12, temperature=1.0, seed=5, stop=("\n",))])[0][0] == first[2]
    assert len({s.text for s in first}) == 3
    for s in first:
        assert "\n" not in s.text and s.n_tokens <= 12 and (s.finish_reason == "stop" or s.n_tokens == 12)


def test_a_prompt_longer_than_the_model_names_the_request(gen: HFGenerator) -> None:
    with pytest.raises(ContextLengthError, match=r"request 1: the prompt has \d+ tokens; the model takes 8192"):
        gen.generate([GenerationRequest(COUNT), GenerationRequest(COUNT * 600)])
