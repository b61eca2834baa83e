"""Step continuation: the request that has a policy continue a prefix of steps, and the text that makes.

A prefix of ``t`` steps is written as the start of the policy's reply (see
:func:`prmkit.steps.rollout_prompt`), so the policy's continuation
completes it: prefix and continuation together are one solution text
(:func:`continued_text`). No prefix asks for a whole solution. :class:`Sampling`
holds what every such request shares: sampling settings and prompt format.

>>> req = Sampling(max_tokens=64).request("1+1?", ("1 + 1 = 2.",), "gsm8k", n=4, seed=7)
>>> req.n, req.seed, req.prompt.endswith("1 + 1 = 2.\\n\\n")
(4, 7, True)
>>> continued_text(("1 + 1 = 2.",), "The answer is: 2")
'1 + 1 = 2.\\n\\nThe answer is: 2'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prmkit.generation._protocol import GenerationRequest
from prmkit.steps import ChatFormat, Dataset, PromptStyle, continuation_prefix, rollout_prompt

__all__ = ["Sampling", "continued_text"]


@dataclass(frozen=True)
class Sampling:
    """How a policy is sampled: settings and prompt format shared by every continuation request."""

    temperature: float = 0.7
    """Sampling temperature (RLHFlow's Math-Shepherd-style data: 0.7)."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    max_tokens: int = 512
    """Most tokens one rollout may generate; a rollout cut off without an answer counts as wrong."""
    stop: tuple[str, ...] = ()
    """Extra stop strings (the policy's end-of-turn token always stops)."""
    example: bool = True
    """Put the one-shot worked example in the prompt (see :func:`prmkit.steps.step_prompt`)."""
    chat_format: ChatFormat = "chatml"
    """How the prompt is rendered for the policy: ChatML (instruct models) or plain text."""
    style: PromptStyle = "structured"
    """What the prompt asks for: prmkit's structured steps or the policy's own boxed chain of thought."""

    def stop_strings(self) -> tuple[str, ...]:
        """The stop strings sent: ``stop`` plus the chat format's turn markers."""
        extra = ("<|im_end|>", "<|im_start|>") if self.chat_format == "chatml" else ()
        return tuple(dict.fromkeys((*self.stop, *extra)))

    def request(
        self, problem: str, steps: Sequence[str], dataset: Dataset, *, n: int, seed: int | None, partial: str = ""
    ) -> GenerationRequest:
        """The request for ``n`` continuations of ``steps`` (none: a whole solution) of ``problem``;
        ``partial``: the start of an unfinished step after them, which the continuation completes.

        >>> Sampling(max_tokens=64).request("1+1?", (), "gsm8k", n=2, seed=5).stop
        ('<|im_end|>', '<|im_start|>')
        """
        prompt = rollout_prompt(problem, steps, dataset, chat_format=self.chat_format, example=self.example,
                                style=self.style) + partial
        return GenerationRequest(prompt, n=n, max_tokens=self.max_tokens, temperature=self.temperature,
                                 top_p=self.top_p, stop=self.stop_strings(), seed=seed)


def continued_text(steps: Sequence[str], continuation: str, partial: str = "") -> str:
    """The solution text a continuation of ``steps`` (and of an unfinished step ``partial``) makes:
    the prefix as the policy read it, then the continuation.

    >>> continued_text(("a = 1.",), " 2.", partial="b = a +")
    'a = 1.\\n\\nb = a + 2.'
    """
    return continuation_prefix(steps) + partial + continuation
