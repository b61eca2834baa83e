r"""From steps to tokens: where each step sits in a tokenized completion, and its reward on its last token.

RL trainers want one reward per response token. A step's reward goes on the
step's last token (PURE, Clip/Delta and potential shaping all do this) and
every other token gets 0; the outcome reward is on the last token of the
response. A step's token span comes from the tokenizer's character offsets:
the tokens that overlap the step's characters.

>>> text = "2 + 2 = 4.\n\nThe answer is: 4"
>>> offsets = [(0, 1), (1, 3), (3, 5), (5, 7), (7, 9), (9, 10), (10, 12), (12, 15), (15, 22), (22, 25), (25, 26), (26, 28)]
>>> spans = step_token_spans(text, ["2 + 2 = 4.", "The answer is: 4"], offsets)
>>> spans
[(0, 6), (7, 12)]
>>> place_at_step_ends([0.5, 1.0], [end - 1 for _, end in spans], 12).tolist()
[0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from prmkit.rewards.credit import FloatArray, as_scores

__all__ = ["place_at_step_ends", "step_token_spans", "tokenize_steps"]


def place_at_step_ends(values_S: Sequence[float] | FloatArray, ends_S: Sequence[int], n_tokens: int) -> FloatArray:
    """A per-token array with each step's value on its last token (``ends_S``), 0 elsewhere.

    Steps that end on the same token add up there.

    >>> place_at_step_ends([1.0, 2.0], [0, 2], 4).tolist()
    [1.0, 0.0, 2.0, 0.0]
    """
    v = as_scores(values_S, "values_S")
    if len(ends_S) != v.size:
        raise ValueError(f"ends_S has {len(ends_S)} positions for {v.size} steps")
    bad = [e for e in ends_S if not 0 <= e < n_tokens]
    if bad:
        raise ValueError(f"ends_S: positions {bad} are outside 0..{n_tokens - 1}")
    out = np.zeros(n_tokens)
    np.add.at(out, np.asarray(ends_S, dtype=np.int64), v)
    return out


def step_token_spans(
    text: str, steps: Sequence[str], offsets: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    r"""The token range ``[start, end)`` of every step of ``text``, from the tokens' character ``offsets``.

    Steps are found in order in ``text`` (as :func:`prmkit.steps.split_steps` cuts them); a token
    overlapping a step's characters belongs to it, and tokens with empty offsets (special tokens)
    belong to none.

    >>> step_token_spans("ab\n\ncd", ["ab", "cd"], [(0, 2), (2, 4), (4, 6)])
    [(0, 1), (2, 3)]
    """
    spans, cursor = [], 0
    for k, step in enumerate(steps):
        start = text.find(step, cursor) if step else -1
        if start < 0:
            raise ValueError(f"step {k} ({step[:40]!r}) is not in the text after character {cursor}")
        end = start + len(step)
        cursor = end
        hit = [t for t, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
        if not hit:
            raise ValueError(f"step {k} ({step[:40]!r}) covers no token: the offsets do not reach character {start}")
        spans.append((hit[0], hit[-1] + 1))
    return spans


def tokenize_steps(tokenizer: Any, text: str, steps: Sequence[str]) -> tuple[list[int], list[tuple[int, int]]]:
    """``text``'s token ids under a Hugging Face fast tokenizer, and each step's token span.

    >>> from prmkit.models.tokenizers import smollm2_tokenizer  # doctest: +SKIP
    >>> ids, spans = tokenize_steps(smollm2_tokenizer(), "1 + 1 = 2.\\n\\nSo 2.", ["1 + 1 = 2.", "So 2."])  # doctest: +SKIP
    """
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"]]
    return list(enc["input_ids"]), step_token_spans(text, steps, offsets)
