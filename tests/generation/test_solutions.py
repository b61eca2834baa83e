"""The policy layer above the engines: step continuation requests and seeded, resumable solution sampling."""

from _scripted import ScriptedPolicy, exact_grader, parse_prompt

from prmkit.generation import (
    Problem,
    Sampling,
    continued_text,
    pick_problems,
    sample_solutions,
    solution_seed,
)
from prmkit.steps import parse_solution

TABLE = {"q1": ("4", [0.9, 0.9, 0.9]), "q2": ("7", [0.5, 0.0, 0.0]), "q3": ("9", [0.2, 0.2, 0.2])}
PROBLEMS = [Problem(q, q, ref) for q, (ref, _) in TABLE.items()]
SAMPLING = Sampling(style="structured", max_tokens=32)


def test_a_continuation_request_opens_the_prefix_in_the_reply_and_its_text_completes_it() -> None:
    steps = ("Half of 48 is 24.", "48 + 24 = 72.")
    req = Sampling(temperature=0.3, top_p=0.9, max_tokens=40, stop=("###",)).request("q1", steps, "gsm8k", n=3, seed=11)
    assert parse_prompt(req.prompt) == ("q1", steps)
    assert (req.n, req.seed, req.max_tokens, req.temperature, req.top_p) == (3, 11, 40, 0.3, 0.9)
    assert req.stop == ("###", "<|im_end|>", "<|im_start|>")
    assert Sampling(chat_format="plain").stop_strings() == ()
    text = continued_text(steps, "The answer is: 72")
    assert parse_solution(text).steps == (*steps, "The answer is: 72")
    assert continued_text((), "The answer is: 72") == "The answer is: 72"


def test_sampled_solutions_are_seeded_by_id_and_resume(tmp_path) -> None:
    policy = ScriptedPolicy(TABLE)
    path = tmp_path / "solutions.jsonl"
    first = sample_solutions(PROBLEMS[:2], policy, path, seed=3, sampling=SAMPLING, grader=exact_grader)
    assert [r["id"] for r in first] == ["q1-s0", "q2-s0"] and policy.samples == 2
    assert [r["seed"] for r in first] == [solution_seed(3, "q1-s0"), solution_seed(3, "q2-s0")]
    every = sample_solutions(PROBLEMS, policy, path, seed=3, sampling=SAMPLING, grader=exact_grader)
    assert policy.samples == 3  # only q3 was missing
    assert every[:2] == first
    for rec in every:
        assert rec["steps"][-1].startswith("The answer is: ") and rec["correct"] == (rec["answer"] == TABLE[rec["problem"]][0])
    # q2's reference changed under the same id: its solution is sampled (and graded) again, the others kept
    changed = [PROBLEMS[0], Problem("q2", "q2", "8"), PROBLEMS[2]]
    again = sample_solutions(changed, policy, path, seed=3, sampling=SAMPLING, grader=exact_grader)
    assert policy.samples == 4 and again[0] == every[0] and again[2] == every[2]
    assert again[1]["reference"] == "8" and again[1]["correct"] is False
    assert [line.count('"id"') for line in path.read_text().splitlines()] == [1, 1, 1]


def test_a_smaller_draw_is_the_start_of_a_larger_one() -> None:
    big = pick_problems(range(7473), 200, seed=0)
    assert pick_problems(range(7473), 100, seed=0) == big[:100] and len(set(big)) == 200
    assert pick_problems(range(7473), 100, seed=1) != big[:100]
