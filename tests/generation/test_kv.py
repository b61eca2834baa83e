"""The in-place KV layer against transformers' concatenating ``DynamicLayer``: appends past the spare
columns, row selection, left trimming and joining rows of different lengths."""

from __future__ import annotations

from _require import need_module

torch = need_module("torch")
need_module("transformers")

from transformers.cache_utils import DynamicLayer  # noqa: E402

from prmkit.generation._kv import GrowingLayer, join  # noqa: E402


def _states(rows: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, 2, length, 4, generator=g), torch.randn(rows, 2, length, 4, generator=g)


def test_appends_match_dynamic_layer_past_the_spare_columns() -> None:
    k0, v0 = _states(1, 5, 0)
    ours = join(None, k0, v0, copies=3)
    assert isinstance(ours, GrowingLayer)
    ref = DynamicLayer()
    ref.update(k0.expand(3, -1, -1, -1), v0.expand(3, -1, -1, -1))
    for step in range(300):  # 128 spare columns: grows twice
        k, v = _states(3, 1, step + 1)
        got, want = ours.update(k, v), ref.update(k, v)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert ours.get_seq_length() == ref.get_seq_length() == 305
    assert ours._k.shape[2] >= 305


def test_select_trim_and_join_keep_each_row_right_aligned() -> None:
    long_k, long_v = _states(1, 7, 1)
    short_k, short_v = _states(1, 3, 2)
    batch = join(None, long_k, long_v, copies=2)  # rows 0-1: 7 columns
    batch = join(batch, short_k, short_v, copies=1)  # row 2: 3 columns, left-padded with 4 zeros
    assert batch.get_seq_length() == 7
    assert torch.equal(batch.keys[2, :, :4], torch.zeros(2, 4, 4)) and torch.equal(batch.keys[2, :, 4:], short_k[0])
    assert torch.equal(batch.values[1], long_v[0])
    batch.select(torch.tensor([2]))  # the long rows leave: their 4 leading columns are unused
    batch.trim(4)
    assert batch.get_seq_length() == 3 and torch.equal(batch.keys, short_k) and torch.equal(batch.values, short_v)
    k, v = _states(1, 1, 3)
    keys, values = batch.update(k, v)
    assert torch.equal(keys, torch.cat([short_k, k], dim=2)) and torch.equal(values, torch.cat([short_v, v], dim=2))
    joined = join(batch, long_k, long_v, copies=1)  # now the new row is the longer one
    assert joined.get_seq_length() == 7
    assert torch.equal(joined.keys[0, :, 3:], keys[0]) and torch.equal(joined.keys[0, :, :3], torch.zeros(2, 3, 4))
    assert torch.equal(joined.keys[1], long_k[0])
