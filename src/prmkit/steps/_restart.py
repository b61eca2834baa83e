"""Did a continuation start the solution over? A trap of instruct policies asked to continue a prefix.

A chat policy shown a partial solution in its own reply usually continues it;
sometimes it starts again from the beginning ("To solve this problem, ...").
A continuation *restarts* when its first step repeats a step of the prefix:
its words overlap the prefix's first step by at least ``first`` (Jaccard
similarity of lower-cased word sets), or any prefix step by at least ``any_step``.
Short steps (under ``min_words`` words: "So", "Therefore:") never count.

>>> is_restart(["To find the total, add the apples and pears.", "3 + 4 = 7."],
...            "To find the total, we add the apples and the pears.")
True
>>> is_restart(["To find the total, add the apples and pears.", "3 + 4 = 7."], "So she has 7 fruits.")
False
>>> is_restart([], "To find the total, add the apples.")
False
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prmkit.steps._parse import split_steps

__all__ = ["is_restart", "step_overlap"]

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def step_overlap(a: str, b: str) -> float:
    """Jaccard similarity of the word sets of two steps (0 when either has no words).

    >>> step_overlap("Add 3 and 4.", "add 4 and 3")
    1.0
    """
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def is_restart(
    prefix: Sequence[str], continuation: str, *, first: float = 0.6, any_step: float = 0.8, min_words: int = 4
) -> bool:
    """Whether ``continuation`` (the text after ``prefix``) begins by repeating a prefix step."""
    if not prefix:
        return False
    head = split_steps(continuation)
    if not head or len(_words(head[0])) < min_words:
        return False
    step = head[0]
    if step_overlap(step, prefix[0]) >= first:
        return True
    return max(step_overlap(step, p) for p in prefix) >= any_step


