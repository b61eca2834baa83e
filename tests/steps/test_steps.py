"""Step-structured solutions: splitting, the stated answer, GSM8K references and the continuation prompts."""

import json
from pathlib import Path

from prmkit.steps import (
    continuation_prefix,
    gsm8k_reference,
    join_steps,
    parse_solution,
    rollout_prompt,
    split_steps,
    stated_answer,
    step_prompt,
)


def test_policy_output_is_cut_into_paragraph_steps_and_answer() -> None:
    text = "  Half of 48 is 24.\n\n  \n48 + 24 = 72.\nSo 72 in all.\n\nThe answer is: 72.\n\nProblem: another one"
    p = parse_solution(text)
    assert p.steps == ("Half of 48 is 24.", "48 + 24 = 72.\nSo 72 in all.", "The answer is: 72.")
    assert p.answer == "72"


def test_split_steps_on_blank_lines() -> None:
    assert split_steps("a\n\nb\n \nc\nd\n\n\n") == ("a", "b", "c\nd")
    assert split_steps("a\n\n\n b \n \t\nc") == ("a", "b", "c")
    assert split_steps("  \n\n") == () and split_steps("") == ()
    assert join_steps([" a ", "b\nc"]) == "a\n\nb\nc"


def test_answer_forms() -> None:
    assert stated_answer("The answer is: $1,200") == "1,200"
    assert stated_answer("the answer is 5\nmore text") == "5"
    assert stated_answer(r"The answer is: \boxed{\frac{3}{4}}") == r"\frac{3}{4}"
    assert stated_answer(r"so \boxed{2} and The answer is: 3") == "2"  # boxed wins
    assert stated_answer("72 apples") is None
    assert stated_answer("A: 18") == "18" and stated_answer("#### 18") == "18"
    assert stated_answer(r"\fbox{18}") == "18" and stated_answer(r"so \boxed 18") == "18"
    assert parse_solution("no answer at all\n\nstill none").answer is None


def test_a_heading_or_an_empty_marker_does_not_end_the_solution() -> None:
    text = "**Step 1:** 2 + 2 = 4.\n\n#### Part 2: the rest\n\n**Final answer:**\n\n\\(\\boxed{4}\\)"
    p = parse_solution(text)
    assert len(p.steps) == 4 and p.answer == "4"
    assert parse_solution("Put it in \\boxed{}.\n\nSo \\boxed{5}.").answer == "5"


def test_rollout_prompt_continues_the_prefix_inside_the_assistant_turn() -> None:
    prompt = rollout_prompt("Tom has 3 apples. How many?", ("Tom has 3 apples.",))
    assert prompt.count("<|im_start|>") == 5  # system, example user/assistant, user, assistant
    assert prompt.endswith("<|im_start|>assistant\nTom has 3 apples.\n\n")
    assert "Problem: Tom has 3 apples. How many?\n\nOne step per paragraph; end with: The answer is: <number><|im_end|>" in prompt
    assert rollout_prompt("q", (), chat_format="plain").endswith("Problem: q\n\nOne step per paragraph; end with: The answer is: <number>\n\nSolution:\n")
    assert "The answer is: \\boxed{" in step_prompt("q", "math").messages[0]["content"]


def test_prefix_round_trips_through_split() -> None:
    steps = ("a = 1", "b = 2\nc = 3")
    assert split_steps(continuation_prefix(steps)) == steps
    assert continuation_prefix(()) == ""


def test_gsm8k_reference(shared_data: Path) -> None:
    with (shared_data / "gsm8k" / "train.jsonl").open(encoding="utf-8") as fh:
        train = [json.loads(line) for line in fh]
    assert gsm8k_reference(train[0]["answer"]) == "72"
    assert all(gsm8k_reference(r["answer"]).lstrip("-").replace(".", "").isdigit() for r in train[:500])
