"""The transformers generator's prompt-prefix cache, on a tiny Qwen2 policy with the real tokenizer.

A chain of calls whose prompts extend, branch from and cut short earlier ones
samples exactly what the generator samples without the cache, while the model
runs only on the tokens past each prompt's longest cached beginning; a tiny
budget, changed weights and caches that cannot be cut fall back to whole
prefills with the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from _require import need_module

from prmkit.errors import ConfigError
from prmkit.generation import GenerationRequest

torch = need_module("torch")
need_module("transformers")

from prmkit.generation._prefix import PrefixCache  # noqa: E402
from prmkit.generation.hf import HFGenerator  # noqa: E402
from prmkit.models.tokenizers import qwen_tokenizer  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py, as are qwen_dir and save_policy

CHAT = "<|im_start|>user\nWhat is 2 + 2? Think step by step.<|im_end|>\n<|im_start|>assistant\n"


def _requests(prompts: Sequence[str], seed: int) -> list[GenerationRequest]:
    return [GenerationRequest(p, n=2, max_tokens=5, temperature=0.9, seed=seed + 10 * i) for i, p in enumerate(prompts)]


def _chain(gen: HFGenerator, ref: HFGenerator) -> list[list[int]]:
    """Four calls, each continuing the previous one's samples as a search does (``prompt + step + "\\n\\n"``);
    every call's samples must equal ``ref``'s. The distinct prompts, in prefill order, as token ids."""
    prefilled: list[list[int]] = []
    prompts = [CHAT]
    for call in range(4):
        reqs = _requests(prompts, seed=call * 100)
        out = gen.generate(reqs)
        assert out == ref.generate(reqs), call
        prefilled += [gen.tokenizer(p).input_ids for p in dict.fromkeys(prompts)]
        a, b = (prompts[0] + s.text + "\n\n" for s in out[0])
        if call == 0:
            prompts = [a, b]  # two extensions of one prompt
        elif call == 1:
            prompts = [a, CHAT, b]  # ... and the first prompt again: wholly cached
        else:
            prompts = [a, prompts[0][: len(prompts[0]) - 4]]  # and a strict prefix of a cached prompt
    return prefilled


def _computed(prefilled: Sequence[Sequence[int]]) -> list[int]:
    """Tokens the model must run on: each prompt past its longest common beginning with an earlier one,
    its last token always."""
    out = []
    for i, ids in enumerate(prefilled):
        hit = max((_common(ids, earlier) for earlier in prefilled[:i]), default=0)
        out.append(len(ids) - min(hit, len(ids) - 1))
    return out


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _prefixes(ids: Sequence[int]) -> list[tuple[int, ...]]:
    return [tuple(ids[: i + 1]) for i in range(len(ids))]


@pytest.fixture(scope="module")
def uncached(qwen_dir: Path) -> HFGenerator:
    return HFGenerator(qwen_dir, batch_size=4, prefix_cache_tokens=0)


def test_a_search_chain_samples_the_same_and_prefills_only_new_tokens(qwen_dir: Path, uncached: HFGenerator) -> None:
    gen = HFGenerator(qwen_dir, batch_size=4)
    prefilled = _chain(gen, uncached)
    lengths, computed = [len(ids) for ids in prefilled], _computed(prefilled)
    assert gen.prompt_tokens == sum(lengths) and gen.prefill_tokens == sum(computed)
    hits = [n - c for n, c in zip(lengths, computed, strict=True)]
    assert prefilled[4] == prefilled[0] and hits[4] == lengths[0] - 1  # wholly cached: one token runs
    assert hits[0] == 0 and min(hits[1:]) > 10
    assert max(lengths) > 35 and gen.prefill_tokens < 0.5 * gen.prompt_tokens
    assert gen._prefix.size == len({t for ids in prefilled for t in _prefixes(ids)})  # each position once


def test_the_generator_without_a_cache_prefills_every_prompt_whole(qwen_dir: Path) -> None:
    gen, ref = HFGenerator(qwen_dir, batch_size=4, prefix_cache_tokens=0), HFGenerator(qwen_dir, batch_size=2)
    prefilled = _chain(gen, ref)
    assert gen.prefill_tokens == gen.prompt_tokens == sum(len(ids) for ids in prefilled)
    assert gen._prefix.size == 0


@pytest.mark.parametrize("budget", [1, 30])
def test_a_small_budget_evicts_and_samples_the_same(qwen_dir: Path, uncached: HFGenerator, budget: int) -> None:
    gen = HFGenerator(qwen_dir, batch_size=4, prefix_cache_tokens=budget)
    _chain(gen, uncached)
    assert gen._prefix.size <= budget
    assert (gen.prefill_tokens == gen.prompt_tokens) == (budget == 1)


def test_changed_weights_empty_the_cache(qwen_dir: Path) -> None:
    gen, ref = HFGenerator(qwen_dir), HFGenerator(qwen_dir, prefix_cache_tokens=0)
    reqs = _requests([CHAT], seed=7)
    gen.generate(reqs)
    for g in (gen, ref):
        with torch.no_grad():
            g.model.get_input_embeddings().weight.mul_(1.5)
    before = gen.prefill_tokens
    assert gen.generate(reqs) == ref.generate(reqs)
    assert gen.prefill_tokens - before == len(gen.tokenizer(CHAT).input_ids)


def test_caches_that_cannot_be_cut_are_not_kept(save_policy: Callable[..., Path], tmp_path: Path) -> None:
    path = save_policy(
        tmp_path / "sliding", "qwen2", qwen_tokenizer(),
        use_sliding_window=True, sliding_window=6, max_window_layers=1,
    )
    gen = HFGenerator(path)
    first = gen.generate(_requests([CHAT], seed=1))[0][0]
    gen.generate(_requests([CHAT + first.text, CHAT], seed=2))
    assert gen.prefill_tokens == gen.prompt_tokens and gen._prefix.size == 0


def test_prefix_cache_tokens_is_validated(qwen_dir: Path) -> None:
    with pytest.raises(ConfigError, match="prefix_cache_tokens must be a non-negative integer"):
        HFGenerator(qwen_dir, prefix_cache_tokens=-1)


# --- the radix tree itself -------------------------------------------------------------------------


def _kv(ids: Sequence[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two layers whose keys at each position hold its token id (values: its negative)."""
    k = torch.tensor(ids, dtype=torch.float32).view(1, 1, -1, 1)
    return [(k, -k), (k + 0.5, -k - 0.5)]


def _read(cache: PrefixCache, ids: Sequence[int]) -> tuple[int, list[float]]:
    hit, segments = cache.read(ids)
    if not hit:
        return 0, []
    keys, values = segments[1]
    got = torch.cat(keys, dim=2).flatten()
    assert torch.equal(torch.cat(values, dim=2).flatten(), -got)
    return hit, (got - 0.5).tolist()


def test_reads_find_the_longest_cached_beginning_short_of_the_last_token() -> None:
    cache = PrefixCache(budget=100)
    cache.write([1, 2, 3, 4], _kv([1, 2, 3, 4]))
    cache.write([1, 2, 5, 6], _kv([1, 2, 5, 6]))  # splits [1, 2, 3, 4] after [1, 2]
    assert cache.size == 6
    assert _read(cache, [1, 2, 3, 4, 9]) == (4, [1, 2, 3, 4])
    assert _read(cache, [1, 2, 3, 4]) == (3, [1, 2, 3])  # wholly cached: the last token is run again
    assert _read(cache, [1, 2, 5, 7]) == (3, [1, 2, 5])
    assert _read(cache, [1, 9]) == (1, [1])
    assert _read(cache, [2, 1]) == (0, [])
    cache.write([1, 2], _kv([1, 2]))  # a strict prefix stores nothing new
    assert cache.size == 6


def test_the_least_recently_used_leaves_go_first() -> None:
    cache = PrefixCache(budget=8)
    cache.write([1, 2, 3, 4], _kv([1, 2, 3, 4]))
    cache.write([1, 2, 5, 6], _kv([1, 2, 5, 6]))
    _read(cache, [1, 2, 3, 4, 0])  # [5, 6] is now the least recently used leaf
    cache.write([7, 8, 9], _kv([7, 8, 9]))
    assert cache.size == 7
    assert _read(cache, [1, 2, 5, 6, 0]) == (2, [1, 2])
    assert _read(cache, [1, 2, 3, 4, 0]) == (4, [1, 2, 3, 4])
    assert _read(cache, [7, 8, 9, 0]) == (3, [7, 8, 9])
    cache.write(list(range(20, 30)), _kv(list(range(20, 30))))  # longer than the budget: not kept
    assert cache.size == 0 and _read(cache, [1, 2, 3]) == (0, [])
