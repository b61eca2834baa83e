"""Step-continuation prompts: ask a policy for a solution written one step per paragraph.

A step-structured solution is plain text whose paragraphs (separated by a blank
line) are its steps, ending with a final paragraph that states the answer:
``The answer is: 72`` for GSM8K, ``The answer is: \\boxed{\\frac{1}{2}}`` for MATH.
The same prompt is used to sample whole solutions and to continue a prefix
(a Monte Carlo rollout): the prefix is the first ``t`` steps followed by a
blank line, written as the start of the assistant's reply.

>>> continuation_prefix(["Half of 48 is 24.", "48 + 24 = 72."])
'Half of 48 is 24.\\n\\n48 + 24 = 72.\\n\\n'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from prmkit.steps._parse import STEP_SEPARATOR, join_steps
from prmkit.types import Dataset

__all__ = [
    "ChatFormat",
    "Dataset",
    "PromptStyle",
    "StepPrompt",
    "continuation_prefix",
    "render_chat",
    "rollout_prompt",
    "step_prompt",
]

ChatFormat = Literal["chatml", "plain"]
"""How messages become one prompt string: ChatML (Qwen2.5, SmolLM2) or plain text (base models)."""
PromptStyle = Literal["structured", "boxed"]
"""``structured``: prmkit's instructions (one short step per paragraph, ``The answer is:`` line, optional
one-shot example). ``boxed``: the chain-of-thought instruction Qwen2.5 models are trained on ("Please
reason step by step, and put your final answer within \\boxed{}."), zero-shot; the policy writes in its
own style and its paragraphs are the steps. A small policy solves far more problems in its own style
(Qwen2.5-Coder-0.5B-Instruct on 20 GSM8K train problems, greedy: see ``docs/labeling.md``), and its
LaTeX paragraphs look like the solutions PRM benchmarks are written in."""

_BOXED_SYSTEM = "You are a helpful assistant."
_BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

_SYSTEM = (
    "You are a careful math tutor. Solve the problem step by step. Write each step as its own "
    "short paragraph and separate steps with a blank line; never put a blank line inside a step. "
    "Each step does one thing: state a quantity from the problem or compute one new quantity. "
    "The last paragraph is the final answer and nothing else."
)

_FORMAT = {
    "gsm8k": "The last paragraph must be exactly: The answer is: <number>",
    "math": "The last paragraph must be exactly: The answer is: \\boxed{<answer>}",
}

_REMINDER = {
    "gsm8k": "One step per paragraph; end with: The answer is: <number>",
    "math": "One step per paragraph; end with: The answer is: \\boxed{<answer>}",
}

# One worked example per dataset, written for prmkit (not taken from any benchmark split).
_EXAMPLE = {
    "gsm8k": (
        "A baker makes 3 trays of 12 muffins. She sells 20 muffins and gives away half of the rest. "
        "How many muffins does she have left?",
        (
            "The baker makes 3 * 12 = 36 muffins.",
            "After selling 20, she has 36 - 20 = 16 muffins.",
            "She gives away half of them, 16 / 2 = 8 muffins.",
            "She has 16 - 8 = 8 muffins left.",
            "The answer is: 8",
        ),
    ),
    "math": (
        "What is the sum of the roots of $x^2 - 5x + 6 = 0$?",
        (
            "The quadratic factors as $(x - 2)(x - 3) = 0$.",
            "So the roots are $x = 2$ and $x = 3$.",
            "Their sum is $2 + 3 = 5$.",
            "The answer is: \\boxed{5}",
        ),
    ),
}


@dataclass(frozen=True)
class StepPrompt:
    """The chat messages that ask a policy for a step-structured solution.

    ``messages`` are ``{"role", "content"}`` dicts (system, then a worked
    example as a user/assistant turn, then the problem); ``text`` is the same
    content as one plain-text prompt for policies without a chat template.
    """

    messages: tuple[dict[str, str], ...]
    text: str


def step_prompt(
    problem: str, dataset: Dataset = "gsm8k", *, example: bool = True, style: PromptStyle = "structured"
) -> StepPrompt:
    """The prompt for one problem; ``example`` adds a one-shot worked example (``structured`` style only).

    >>> sp = step_prompt("What is 2 + 3?")
    >>> sp.messages[-1]["content"].startswith("Problem: What is 2 + 3?")
    True
    >>> step_prompt("What is 2 + 3?", style="boxed").messages[-1]["content"]
    'What is 2 + 3?\\nPlease reason step by step, and put your final answer within \\\\boxed{}.'
    """
    if dataset not in _FORMAT:
        raise ValueError(f"dataset must be one of {sorted(_FORMAT)}, got {dataset!r}")
    if style == "boxed":
        user = f"{problem}\n{_BOXED_INSTRUCTION}"
        return StepPrompt(
            ({"role": "system", "content": _BOXED_SYSTEM}, {"role": "user", "content": user}),
            f"{_BOXED_SYSTEM}\n\n{user}\n\n",
        )
    if style != "structured":
        raise ValueError(f"style must be 'structured' or 'boxed', got {style!r}")
    system = f"{_SYSTEM} {_FORMAT[dataset]}"
    msgs: list[dict[str, str]] = [{"role": "system", "content": system}]
    text = system + "\n\n"
    if example:
        q, steps = _EXAMPLE[dataset]
        msgs += [
            {"role": "user", "content": f"Problem: {q}\n\n{_REMINDER[dataset]}"},
            {"role": "assistant", "content": join_steps(steps)},
        ]
        text += f"Problem: {q}\n\n{_REMINDER[dataset]}\n\nSolution:\n{join_steps(steps)}\n\n"
    msgs.append({"role": "user", "content": f"Problem: {problem}\n\n{_REMINDER[dataset]}"})
    text += f"Problem: {problem}\n\n{_REMINDER[dataset]}\n\nSolution:\n"
    return StepPrompt(tuple(msgs), text)


def render_chat(messages: Sequence[dict[str, str]], assistant_prefix: str = "") -> str:
    """ChatML text of ``messages`` with the assistant's turn opened and ``assistant_prefix`` written in it.

    >>> render_chat([{"role": "user", "content": "Hi"}], "Hel")
    '<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\nHel'
    """
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return f"{turns}<|im_start|>assistant\n{assistant_prefix}"


def rollout_prompt(
    problem: str,
    steps: Sequence[str] = (),
    dataset: Dataset = "gsm8k",
    *,
    chat_format: ChatFormat = "chatml",
    example: bool = True,
    style: PromptStyle = "structured",
) -> str:
    """The full prompt string that asks for a solution continuing ``steps`` (none: a whole solution).

    >>> rollout_prompt("What is 2 + 3?", ["2 + 3 = 5."]).endswith("<|im_start|>assistant\\n2 + 3 = 5.\\n\\n")
    True
    """
    sp = step_prompt(problem, dataset, example=example, style=style)
    prefix = continuation_prefix(steps)
    if chat_format == "chatml":
        return render_chat(sp.messages, prefix)
    if chat_format == "plain":
        return sp.text + prefix
    raise ValueError(f"chat_format must be 'chatml' or 'plain', got {chat_format!r}")


def continuation_prefix(steps: Sequence[str]) -> str:
    """The assistant-reply prefix a rollout continues: the steps, then a blank line ('' for none)."""
    return join_steps(steps) + STEP_SEPARATOR if steps else ""
