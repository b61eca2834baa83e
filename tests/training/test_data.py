"""Stepwise records at the file boundary, and the converters from human-labelled sets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _shared_data import shared_path

from prmkit.data import write_stepwise
from prmkit.errors import DataFormatError
from prmkit.training.convert import convert, paragraph_steps
from prmkit.training.data import read_first_error_records, read_stepwise
from prmkit.types import StepwiseExample


def _write(tmp_path: Path, *objs: object) -> Path:
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return p


def test_hard_soft_and_outcome_labels(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        {"prompt": "q", "completions": ["a", "b"], "labels": [True, 0], "outcome": False, "id": 7},
        {"prompt": "q", "completions": ["a"], "labels": [1.0]},
    )
    hard = read_stepwise(p, "hard")
    assert hard[0] == StepwiseExample("q", ("a", "b"), (1.0, 0.0), False, "7")
    assert all(isinstance(v, float) for v in hard[0].labels or ())
    assert read_stepwise(p, "soft")[1].labels == (1.0,)
    with pytest.raises(DataFormatError, match=r"d.jsonl:2: field 'outcome'"):
        read_stepwise(p, "outcome")


@pytest.mark.parametrize(
    ("record", "kind", "match"),
    [
        ({"prompt": "q", "completions": ["a"], "labels": [0.25]}, "hard", r":1: field 'labels\[0\]': hard-label .*\(got 0.25\)"),
        ({"prompt": "q", "completions": ["a"], "labels": [1.5]}, "soft", r"field 'labels\[0\]': a soft label must be in \[0, 1\] \(got 1.5\)"),
        ({"prompt": "q", "completions": ["a"], "labels": ["yes"]}, "soft", r"field 'labels\[0\]'.*\(got 'yes'\)"),
        ({"prompt": "q", "completions": ["a", "b"], "labels": [1]}, "hard", r"field 'labels': 1 labels for 2 completions"),
        ({"prompt": 3, "completions": ["a"], "labels": [1]}, "hard", r"field 'prompt'.*\(got 3\)"),
        ({"prompt": "q", "completions": ["a", 5], "labels": [1, 1]}, "hard", r"field 'completions\[1\]'.*\(got 5\)"),
        ({"prompt": "q", "completions": ["a"], "labels": [1], "extra": 1}, "hard", r"field 'extra'"),
        ({"prompt": "q", "completions": ["a"]}, "soft", r"field 'labels': step labels are required"),
    ],
)
def test_bad_records_name_file_line_field_value(tmp_path: Path, record: dict, kind: str, match: str) -> None:
    p = _write(tmp_path, record)
    with pytest.raises(DataFormatError, match=match) as e:
        read_stepwise(p, kind)  # type: ignore[arg-type]
    assert e.value.path == str(p) and e.value.line == 1


def test_write_then_read_round_trips_soft_labels(tmp_path: Path) -> None:
    exs = [StepwiseExample("q", ("a", "b"), (0.375, 1.0), True, "x")]
    assert write_stepwise(exs, tmp_path / "o.jsonl") == 1
    assert read_stepwise(tmp_path / "o.jsonl", "soft") == exs


def test_first_error_records_from_processbench_and_stepwise(tmp_path: Path) -> None:
    pb = tmp_path / "pb.json"
    pb.write_text(json.dumps([{"id": "a", "problem": "q", "steps": ["x", "y"], "label": 1}]))
    (sol, fe), = read_first_error_records(pb)
    assert sol.steps == ("x", "y") and fe == 1 and sol.id == "a"
    sw = _write(tmp_path, {"prompt": "q", "completions": ["x", "y"], "labels": [1, 0.2]})
    assert read_first_error_records(sw)[0][1] == 1
    pb.write_text(json.dumps([{"problem": "q", "steps": ["x"], "label": 1}]))
    with pytest.raises(DataFormatError, match=r"record 0\).*field 'label'.*\(got 1\)"):
        read_first_error_records(pb)


def test_processbench_conversion_truncates_after_the_first_error(tmp_path: Path) -> None:
    p = tmp_path / "pb.json"
    p.write_text(json.dumps([
        {"id": "g-0", "problem": "q", "steps": ["a", "b", "c"], "label": 1, "final_answer_correct": True},
        {"id": "g-1", "problem": "q", "steps": ["a", "b"], "label": -1, "final_answer_correct": True},
    ]))
    a, b = convert("processbench", p)
    assert (a.completions, a.labels, a.outcome, a.id) == (("a", "b"), (1.0, 0.0), True, "g-0")
    assert b.labels == (1.0, 1.0)
    z = convert("processbench", p, after_error="zero")[0]
    assert z.labels == (1.0, 0.0, 0.0)


def test_mr_ben_conversion() -> None:
    exs = convert("mr-ben", shared_path("mr_ben", "math.json"))
    assert len(exs) == 918
    assert sum(e.outcome for e in exs) == 149
    assert sum(e.first_error == -1 for e in exs) == 149
    first = exs[0]  # Claude2 on the xy = 8 question, first error at step 1
    assert first.prompt.startswith("The shortest distance from the curve xy = 8 to the origin is\nA: 4")
    assert first.labels == (0.0,) and first.completions[0].startswith("The curve xy = 8 represents")
    assert not any(c.startswith("Step ") for e in exs for c in e.completions)


def test_mr_ben_rectified_steps_make_minimal_pairs() -> None:
    exs = convert("mr-ben", shared_path("mr_ben", "math.json"), rectified=True)
    plain, fixed = exs[:918], exs[918:]
    assert plain == convert("mr-ben", shared_path("mr_ben", "math.json"))
    assert len(fixed) == 1538  # two rewrites for each of the 769 wrong solutions
    assert all(e.labels == (1.0,) * len(e.completions) and e.outcome is None for e in fixed)
    wrong = {e.id: e for e in plain if e.first_error >= 0}
    for e in fixed:  # the same prompt and correct steps; only the wrong step is replaced
        sid, _, k = e.id.rpartition("/rectified-")
        w = wrong[sid]
        assert k in ("0", "1") and e.prompt == w.prompt and e.completions[:-1] == w.completions[:-1]
        assert e.completions[-1] != w.completions[-1] and not e.completions[-1].startswith("Step ")
    first = fixed[0]  # xy = 8: the rewrite sets up a distance function instead of a perpendicular line
    assert first.id.endswith("/Claude2/rectified-0")
    assert first.completions == ("The curve xy = 8 represents a hyperbola. To find the shortest distance from a point to "
                                 "the hyperbola, we need to determine the expression for any point (x, y) on the curve "
                                 "and establish a distance function from the origin to these points.",)


def test_mr_ben_rectified_errors(tmp_path: Path) -> None:
    sol = {"Question_UUID": "q", "Sampled_Model": "m", "Question": "1+1?", "Model_Solution_Steps": ["Step 1: 3"],
           "Model_Solution_Correctness": "incorrect", "Model_Solution_First_Error_Step": "1",
           "Model_Solution_Rectified_First_Error_Step": "Step 1: 2"}
    p = tmp_path / "m.json"
    p.write_text(json.dumps({"q": [sol]}))
    assert [e.completions for e in convert("mr-ben", p, rectified=True)] == [("3",), ("2",)]
    p.write_text(json.dumps({"q": [dict(sol, Model_Solution_Rectified_First_Error_Step=7)]}))
    with pytest.raises(DataFormatError, match=r"m.json.*Model_Solution_Rectified_First_Error_Step.*\(got 7\)"):
        convert("mr-ben", p, rectified=True)
    with pytest.raises(DataFormatError, match="only Mr-Ben"):
        convert("processbench", p, rectified=True)


def test_big_bench_mistake_conversion() -> None:
    exs = convert("big-bench-mistake", shared_path("big_bench_mistake", "multistep_arithmetic.jsonl"))
    assert len(exs) == 300
    assert sum(e.first_error != -1 for e in exs) == 238
    e0 = exs[0]  # mistake_index 3 of 5 steps, answer 1244 vs target -2116
    assert e0.labels == (1.0, 1.0, 1.0, 0.0) and e0.outcome is False and e0.id == "multistep_arithmetic-1"


def test_converter_errors_name_the_field(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text(json.dumps({"input": "x", "steps": ["a"], "mistake_index": 4}) + "\n")
    with pytest.raises(DataFormatError, match=r"b.jsonl:1: field 'mistake_index'.*\(got 4\)"):
        convert("big-bench-mistake", p)


def test_labelling_job_records_and_label_thresholds(tmp_path: Path) -> None:
    rec = {  # what a prmkit.labeling job writes: TRL fields plus accounting
        "id": "q1", "prompt": "q", "completions": ["a", "b", "c"], "labels": [0.75, 0.0, 0.125], "first_error": 1,
        "method": "mc", "rollouts": 24, "rollout_tokens": 900, "prompt_tokens": 300, "mc": [0.75, 0.0, None],
        "extra": {"k": 8},
    }
    p = _write(tmp_path, rec)
    assert read_stepwise(p, "soft")[0].labels == (0.75, 0.0, 0.125)
    with pytest.raises(DataFormatError, match="hard-label"):
        read_stepwise(p, "hard")
    assert read_stepwise(p, "hard", threshold=0.0)[0].labels == (1.0, 0.0, 1.0)  # Lessons: any success
    assert read_stepwise(p, "hard", threshold=0.5)[0].labels == (1.0, 0.0, 0.0)
    assert read_stepwise(_write(tmp_path, {**rec, "outcome": False}), "outcome")[0].outcome is False
    with pytest.raises(DataFormatError, match="field 'mc"):
        read_stepwise(_write(tmp_path, {**rec, "mc": "x"}), "soft")


def test_null_labels_are_unlabelled_steps(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        {"prompt": "q", "completions": ["a", "b", "c"], "labels": [None, None, False], "outcome": False},
        {"prompt": "q", "completions": ["a", "b"], "labels": [True, None]},
        {"prompt": "q", "completions": ["a"], "labels": [None]},
    )
    with pytest.raises(DataFormatError, match=r"d.jsonl:3: field 'labels': every step is unlabelled"):
        read_stepwise(p, "hard")
    p.write_text("".join(p.read_text().splitlines(keepends=True)[:2]))
    wrong, tail = read_stepwise(p, "hard")
    assert [math.isnan(v) for v in wrong.labels or ()] == [True, True, False] and (wrong.labels or ())[2] == 0.0
    assert not wrong.fully_labelled and StepwiseExample("q", ("a",), (1.0,)).fully_labelled
    with pytest.raises(ValueError, match="first error, which is unknown"):
        _ = wrong.first_error
    with pytest.raises(ValueError, match="unknown"):  # no error is labelled, but the last step is open
        _ = tail.first_error
    assert read_stepwise(p, "soft")[1].to_record()["labels"] == [1.0, None]
    write_stepwise([wrong, tail], tmp_path / "w.jsonl")  # written as null, read back the same
    again = read_stepwise(tmp_path / "w.jsonl", "hard")
    assert [e.to_record() for e in again] == [wrong.to_record(), tail.to_record()]
    assert "NaN" not in (tmp_path / "w.jsonl").read_text()
    with pytest.raises(DataFormatError, match=r"w.jsonl:1: field 'labels': validation needs the first error"):
        read_first_error_records(tmp_path / "w.jsonl")


def test_paragraph_steps_join_formulas_bullets_and_lead_ins() -> None:
    pieces = ["We need:", "\\[ x = 2 \\]", "Then:", "1. **Add.** 2 + 2 = 4", "2. **Check.**", "- ok", "$$y$$", "Done."]
    assert paragraph_steps(pieces) == ("We need:\n\\[ x = 2 \\]", "Then:", "1. **Add.** 2 + 2 = 4",
                                       "2. **Check.**\n- ok\n$$y$$", "Done.")
    assert paragraph_steps([]) == ()


def test_candidate_sets_give_outcome_labels_without_the_excluded_problems() -> None:
    path = shared_path("bon_qwen25math_math_cot_100", "math_cot_100.jsonl")
    exs = convert("candidates", path)
    assert len(exs) == 800 and sum(bool(e.outcome) for e in exs) == 728  # the file's 'score' fields
    for e in exs:
        n = len(e.completions)
        if e.outcome:
            assert e.labels == (1.0,) * n
        else:  # only the last step (the wrong answer) is labelled
            assert (e.labels or ())[-1] == 0.0 and all(math.isnan(v) for v in (e.labels or ())[:-1])
    first = exs[0]  # idx 0, the first response: approximate 10 * 6 * 7 = 420
    assert first.id == "0/0" and first.prompt.startswith("What is $10.0000198")
    assert len(first.completions) == 5
    assert first.completions[0].endswith("we can approximate them as follows:\n- \\(10.0000198 \\approx 10\\)\n"
                                         "- \\(5.9999985401 \\approx 6\\)\n- \\(6.9999852 \\approx 7\\)")
    assert first.completions[1] == "Now, we can multiply these approximated values together:\n\\[\n10 \\cdot 6 \\cdot 7\n\\]"
    assert first.completions[4].endswith("to the nearest whole number is \\(\\boxed{420}\\).")
    problems = sorted({e.prompt for e in exs})
    kept = convert("candidates", path, exclude_problems=[" " + problems[0] + "\n", problems[1]])
    assert len(kept) == 800 - 16 and not {problems[0], problems[1]} & {e.prompt for e in kept}
    with pytest.raises(DataFormatError, match="only candidate sets"):
        convert("mr-ben", shared_path("mr_ben", "math.json"), exclude_problems=["x"])


def test_ungraded_candidates_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "p", "problem": "1+1?", "candidates": [{"text": "2", "answer": "2"}]}) + "\n")
    with pytest.raises(DataFormatError, match=r"c.jsonl.*problems\[p\]\.candidates\[0\]\.correct.*not graded"):
        convert("candidates", p)


def _gsm8k_row(question: str, reference: str, **solutions: tuple[str, bool]) -> dict[str, object]:
    from prmkit.data._candidates_formats import GSM8K_EXAMPLE_MODELS

    sols = {m: solutions.get(m, ("x = <<1+1=2>>2\nA: 2", False)) for m in GSM8K_EXAMPLE_MODELS}
    return {"question": question, "ground_truth": reference, **{m: {"solution": s, "is_correct": c}
                                                                  for m, (s, c) in sols.items()}}


def test_gsm8k_reference_locates_the_first_step_off_the_reference_path(tmp_path: Path) -> None:
    from prmkit.training._gsm8k_reference import gsm8k_reference_examples

    q = "Janet's ducks lay 16 eggs. She eats 3 and bakes with 4. She sells the rest at $2 each. How much?"
    ref = "She sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\nShe makes 9 * 2 = $<<9*2=18>>18.\nA: 18"
    row = _gsm8k_row(
        q, ref,
        **{"175b_verification": ("She has 16 - 3 = <<16-3=13>>13 left\nThen 13 - 4 = <<13-4=9>>9\n"
                                 "So 9 * 2 = $<<9*2=18>>18\nA: 18", True),
           "175b_finetuning": ("She uses 3 + 4 = <<3+4=7>>7\nA: 7", True),  # a second right one: not kept
           "6b_verification": ("She has 16 - 3 = <<16-3=13>>13 left\nShe sells 13 * 2 = <<13*2=26>>26\n"
                               "So 26 + 2 = <<26+2=28>>28\nA: 28", False),
           "6b_finetuning": ("She sells 9 * 2 = <<9*2=18>>18 then doubles it\nA: 36", False)})  # no value off the path
    cut = _gsm8k_row("Another problem with 5 apples?", "5 * 2 = <<5*2=10>>10\nA: 10",
                     **{m: ("5 * 3 = <<5*3=15>>15 and so on", False) for m in ("175b_verification", "6b_finetuning")})
    p = tmp_path / "ex.jsonl"
    p.write_text(json.dumps(row) + "\n\n" + json.dumps(cut) + "\n")
    got = gsm8k_reference_examples(p)
    right, wrong = got.examples[0], got.examples[1]
    assert right.id == "gsm8k-test-0/175b_verification" and right.labels == (1.0, 1.0, 1.0) and right.outcome
    # annotations removed, the answer line joined to the last step
    assert right.completions == ("She has 16 - 3 = 13 left", "Then 13 - 4 = 9", "So 9 * 2 = $18 The answer is 18.")
    # 13 is an intermediate value of the reference's 16-3-4, 26 is reached by nothing: the first error
    assert wrong.id == "gsm8k-test-0/6b_verification" and wrong.labels == (1.0, 0.0) and wrong.outcome is False
    assert wrong.completions == ("She has 16 - 3 = 13 left", "She sells 13 * 2 = 26")
    # the second problem: two solutions without their answer line, two wrong ones whose 2 = 1+1 is off its path
    assert got.counts() == {"problems": 2, "excluded_problems": 0, "located": 3, "unlocated": 1, "correct": 1,
                            "cut_off": 2, "examples": 4}
    assert [e.id for e in got.examples[2:]] == ["gsm8k-test-1/175b_finetuning", "gsm8k-test-1/6b_verification"]
    two = gsm8k_reference_examples(p, correct_per_problem=2, exclude_problems=["Another  problem with 5 apples? "])
    assert two.counts()["excluded_problems"] == 1 and [e.id for e in two.examples][:2] == [
        "gsm8k-test-0/175b_verification", "gsm8k-test-0/175b_finetuning"]
    row["6b_finetuning"] = {"solution": "A: 3"}
    p.write_text(json.dumps(cut) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataFormatError, match=r"ex.jsonl:2: field .6b_finetuning.: expected"):
        gsm8k_reference_examples(p)
    with pytest.raises(DataFormatError, match="only candidate sets and gsm8k-reference"):
        convert("big-bench-mistake", p, exclude_problems=["x"])


def test_gsm8k_reference_on_the_example_model_solutions_without_processbench() -> None:
    from prmkit.training._gsm8k_reference import gsm8k_reference_examples

    pb = [x["problem"] for s in ("gsm8k", "math") for x in json.loads(shared_path("processbench", f"{s}.json").read_text())]
    got = gsm8k_reference_examples(shared_path("gsm8k", "example_model_solutions.jsonl"), exclude_problems=pb)
    # 375 of ProcessBench GSM8K's 400 problems are GSM8K test problems of this file (whitespace collapsed)
    assert got.counts() == {"problems": 944, "excluded_problems": 375, "located": 2014, "unlocated": 196,
                            "correct": 672, "cut_off": 9, "examples": 2686}
    errors = [e.first_error for e in got.examples if not e.outcome]
    assert [errors.count(i) for i in range(4)] == [904, 569, 324, 141]
    janet = [e for e in got.examples if e.id and e.id.startswith("gsm8k-test-0/")]
    assert [(e.id, e.labels) for e in janet] == [
        ("gsm8k-test-0/175b_verification", (1.0, 1.0, 1.0)),
        ("gsm8k-test-0/175b_finetuning", (1.0, 1.0, 0.0)),  # 4 - 2 = 2 is missed: 2 is a number of the question
        ("gsm8k-test-0/6b_verification", (0.0,)),
        ("gsm8k-test-0/6b_finetuning", (1.0, 0.0)),
    ]
    assert convert("gsm8k-reference", shared_path("gsm8k", "example_model_solutions.jsonl"), exclude_problems=pb) == \
        got.examples
