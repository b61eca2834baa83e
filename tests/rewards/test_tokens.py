"""Step -> token mapping: spans found with a real tokenizer's offsets, and step rewards on last tokens."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _require import need_module

from prmkit.rewards import min_credit, place_at_step_ends, step_token_spans, tokenize_steps
from prmkit.steps import split_steps

TEXT = "Half of 48 is 24.\n\n48 + 24 = 72.\n\n\nThe answer is: 72"


def test_spans_with_the_smollm2_tokenizer() -> None:
    need_module("transformers")
    from prmkit.models.tokenizers import smollm2_tokenizer

    tok = smollm2_tokenizer()
    steps = split_steps(TEXT)
    ids, spans = tokenize_steps(tok, TEXT, steps)
    assert [tok.decode(ids[a:b]).strip() for a, b in spans] == list(steps)
    assert all(a < b <= c for (a, b), (c, _) in itertools.pairwise(spans))
    between = [tok.decode(ids[b:c]) for (_, b), (c, _) in itertools.pairwise(spans)]
    assert all(gap.strip() == "" for gap in between)  # only the blank lines lie between steps

    credit = min_credit([0.9, 0.2, 0.8], outcome=1.0)
    per_token = place_at_step_ends(credit.rewards, [b - 1 for _, b in spans], len(ids))
    assert per_token.sum() == pytest.approx(credit.value)
    assert np.flatnonzero(per_token).tolist() == [b - 1 for _, b in spans]


def test_spans_errors_and_collisions() -> None:
    with pytest.raises(ValueError, match="step 1"):
        step_token_spans("a\n\nb", ["a", "c"], [(0, 1), (1, 3), (3, 4)])
    with pytest.raises(ValueError, match="covers no token"):
        step_token_spans("a\n\nb", ["a", "b"], [(0, 1), (1, 3)])
    assert step_token_spans("ab", ["a", "b"], [(0, 2)]) == [(0, 1), (0, 1)]
    assert place_at_step_ends([1.0, 2.0], [0, 0], 2).tolist() == [3.0, 0.0]
    with pytest.raises(ValueError, match="outside"):
        place_at_step_ends([1.0], [5], 3)
