"""Per-row token sampling: exact distributions (candidates, tail, nucleus), own streams."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from _require import need_module

torch = need_module("torch")

from prmkit.generation._sampling import RowSampler, gumbel_noise, next_tokens  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _frequencies(
    logits: torch.Tensor, temperature: float, top_p: float, draws: int, cutoff: float = 20.0
) -> torch.Tensor:
    """Token frequencies over ``draws`` samples (100 streams at a time, one key per token each)."""
    rows = [RowSampler.make(temperature, top_p, seed=1000 + s) for s in range(100)]
    counts = torch.zeros(logits.shape[0])
    batch = logits.expand(len(rows), -1)
    for _ in range(draws // len(rows)):
        for t in next_tokens(batch, rows, cutoff=cutoff):
            counts[t] += 1
    return counts / counts.sum()


def _tv(p: torch.Tensor, q: torch.Tensor) -> float:
    return 0.5 * float((p - q).abs().sum())


def _logits_with_a_heavy_tail() -> torch.Tensor:
    """Five head tokens, one just under a cutoff of 4, and 1,000 tail tokens 7 below the best,
    which hold ~30% of the mass: with ``cutoff=4`` the tail path runs on most draws."""
    x = torch.full((1_006,), -7.0)
    x[[3, 7, 11, 1_000, 1_002, 1_005]] = torch.tensor([0.0, -0.5, -1.0, -2.0, -3.0, -4.5])
    return x


HEAD = [3, 7, 11, 1_000, 1_002, 1_005]


def _buckets(p: torch.Tensor) -> list[float]:
    """Each head token's mass, then the tail's (1,000 tokens too many to compare one by one)."""
    tail = torch.ones_like(p, dtype=torch.bool)
    tail[HEAD] = False
    return [float(p[t]) for t in HEAD] + [float(p[tail].sum())]


@pytest.mark.parametrize("cutoff", [4.0, 20.0])
def test_sampling_matches_softmax_including_the_tail(cutoff: float) -> None:
    x = _logits_with_a_heavy_tail()
    exact = _buckets(torch.softmax(x.double(), -1))
    freq = _frequencies(x, 1.0, 1.0, 6_000, cutoff).double()
    assert 0.25 < exact[-1] < 0.35
    for p, f in zip(exact, _buckets(freq), strict=True):
        assert abs(f - p) < 4 * math.sqrt(p * (1 - p) / 6_000) + 1e-4  # 4 standard errors
    assert int((freq > 0).sum()) > 800  # the tail's own race spreads over its tokens


def test_temperature_and_nucleus_give_the_exact_truncated_distribution() -> None:
    x = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0, -3.0] + [-30.0] * 300)
    # temperature 0.5: probabilities ~ (.83, .11, .04, .015, ...); top_p 0.9 keeps the fewest most
    # likely tokens whose mass reaches 0.9: the first two (the reference sorts the whole vocabulary)
    p = torch.softmax(x.double() / 0.5, -1)
    freq = _frequencies(x, 0.5, 0.9, 5_000).double()
    assert freq[2:].sum() == 0
    assert _tv(freq, _truncated(p, 0.9)) < 0.02
    assert _tv(_frequencies(x, 0.5, 1.0, 5_000).double(), p) < 0.03  # temperature alone


def test_a_nucleus_that_reaches_into_the_tail() -> None:
    x = _logits_with_a_heavy_tail()
    truncated = _truncated(torch.softmax(x.double(), -1), 0.9)
    freq = _frequencies(x, 1.0, 0.9, 6_000, cutoff=4.0).double()
    assert 500 < int((truncated > 0).sum()) < 950  # part of the tail is in the nucleus
    assert freq[truncated == 0].sum() == 0
    for p, f in zip(_buckets(truncated), _buckets(freq), strict=True):
        assert abs(f - p) < 4 * math.sqrt(p * (1 - p) / 6_000) + 1e-4


def _truncated(p: torch.Tensor, top_p: float) -> torch.Tensor:
    order = torch.argsort(p, descending=True, stable=True)
    n_keep = int((torch.cumsum(p[order], 0) - p[order] < top_p).sum())
    out = torch.zeros_like(p)
    out[order[:n_keep]] = p[order[:n_keep]]
    return out / out.sum()


def test_greedy_is_the_argmax_and_draws_nothing() -> None:
    x = torch.tensor([[0.1, 3.0, 2.9], [5.0, -1.0, 5.0]])
    assert next_tokens(x, [RowSampler.make(0.0, 1.0, seed=5)] * 2) == [1, 0]  # ties: the first index
    assert RowSampler.make(0.0, 1.0, seed=5).generator is None


def test_a_row_depends_only_on_its_logits_and_its_seed() -> None:
    torch.manual_seed(0)
    x = torch.randn(6, 5000) * 3
    alone = [[next_tokens(x[i : i + 1], [s])[0] for _ in range(20)] for i, s in enumerate(_samplers(6))]
    rows = _samplers(6)
    together = list(zip(*[next_tokens(x, rows) for _ in range(20)], strict=True))
    assert [list(t) for t in together] == alone
    # the batch's composition does not matter either: reversed rows, other rows greedy
    rows = [*_samplers(6)[::-1], RowSampler.make(0, 1, None)]
    rev = list(zip(*[next_tokens(torch.cat([x.flip(0), x[:1]]), rows) for _ in range(20)], strict=True))
    assert [list(t) for t in rev[:6][::-1]] == alone
    assert len({tuple(a) for a in alone}) == 6


def test_seeds_and_the_global_rng() -> None:
    x = torch.randn(1, 1000)
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    a = [next_tokens(x, [r])[0] for r in [RowSampler.make(1.0, 1.0, seed=3)] for _ in range(30)]
    assert torch.equal(torch.rand(2), expected)
    b = [next_tokens(x, [r])[0] for r in [RowSampler.make(1.0, 1.0, seed=3)] for _ in range(30)]
    fresh = [[next_tokens(x, [r])[0] for _ in range(30)] for r in [RowSampler.make(1.0, 1.0, None)] * 2]
    assert a == b and fresh[0] != fresh[1]


def test_gumbel_noise_is_standard_gumbel_and_a_function_of_key_and_id() -> None:
    ids = torch.arange(200_000)
    g = gumbel_noise(torch.tensor(12345), ids)
    assert abs(float(g.mean()) - 0.5772) < 0.01 and abs(float(g.var()) - math.pi**2 / 6) < 0.03
    assert torch.equal(gumbel_noise(torch.tensor(12345), ids.flip(0)), g.flip(0))
    other = gumbel_noise(torch.tensor(12346), ids)
    assert abs(float(torch.corrcoef(torch.stack([g, other]))[0, 1])) < 0.01


def _samplers(n: int) -> list[RowSampler]:
    return [RowSampler.make(0.7 + 0.1 * i, 1.0 if i % 2 else 0.9, seed=10 + i) for i in range(n)]
