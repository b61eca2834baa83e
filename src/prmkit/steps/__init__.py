r"""Step-structured solutions: split into steps and join, read the stated answer, grade, and prompt.

A step-structured solution is plain text whose paragraphs (separated by a
blank line) are its steps; the last one states the final answer. Labelling
samples and continues such solutions with the prompts here; search, Best-of-N
and training read the same steps with :func:`split_steps`. Answers are read
and graded with :mod:`prmkit.answers` (answer style ``stated``).

>>> p = parse_solution("Half of 48 is 24.\n\n48 + 24 = 72.\n\nThe answer is: 72")
>>> p.steps, p.answer
(('Half of 48 is 24.', '48 + 24 = 72.', 'The answer is: 72'), '72')
>>> grade_text(join_steps(p.steps), "72")
True
>>> rollout_prompt("What is 2 + 3?", ["2 + 3 = 5."]).endswith("<|im_start|>assistant\n2 + 3 = 5.\n\n")
True
"""

from prmkit.steps._grading import GRADERS, Grader, grade_text, grade_text_lenient, grader_name
from prmkit.steps._parse import (
    STEP_SEPARATOR,
    ParsedSolution,
    gsm8k_reference,
    join_steps,
    parse_solution,
    split_steps,
    stated_answer,
)
from prmkit.steps._prompts import (
    ChatFormat,
    Dataset,
    PromptStyle,
    StepPrompt,
    continuation_prefix,
    render_chat,
    rollout_prompt,
    step_prompt,
)
from prmkit.steps._restart import is_restart, step_overlap

__all__ = [
    "GRADERS",
    "STEP_SEPARATOR",
    "ChatFormat",
    "Dataset",
    "Grader",
    "ParsedSolution",
    "PromptStyle",
    "StepPrompt",
    "continuation_prefix",
    "grade_text",
    "grade_text_lenient",
    "grader_name",
    "gsm8k_reference",
    "is_restart",
    "join_steps",
    "parse_solution",
    "render_chat",
    "rollout_prompt",
    "split_steps",
    "stated_answer",
    "step_overlap",
    "step_prompt",
]
