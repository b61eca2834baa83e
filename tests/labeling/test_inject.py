import json
import re
from collections import Counter
from pathlib import Path

import pytest
from _golden import update_golden
from _shared_data import shared_path

from prmkit.labeling._inject_arith import NUMBER, find_equations
from prmkit.labeling.inject import ERROR_TYPES, gsm8k_solution, inject_error, inject_errors
from prmkit.types import Solution, first_error_to_labels

HERE = Path(__file__).resolve().parent
N_PROBLEMS = 200
MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def _model_solutions() -> list[Solution]:
    """Correct solutions written by models (GSM8K's example model solutions, test problems)."""
    path = shared_path("gsm8k", "example_model_solutions.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:N_PROBLEMS]]
    return [
        gsm8k_solution(r["question"], r[m]["solution"], id=f"gsm8k-test-{i}-{m}")
        for i, r in enumerate(rows)
        for m in MODELS
        if r[m]["is_correct"]
    ]


@pytest.fixture(scope="module", params=["reference", "model"])
def source(request):
    return request.param


@pytest.fixture(scope="module")
def solutions(source, gsm8k_train):
    if source == "model":
        return _model_solutions()
    return [gsm8k_solution(r["question"], r["answer"], id=f"gsm8k-train-{i}") for i, r in enumerate(gsm8k_train[:N_PROBLEMS])]


@pytest.fixture(scope="module")
def injections(solutions):
    return inject_errors(solutions, seed=0)


def test_every_type_is_produced_on_real_solutions(injections) -> None:
    counts = Counter(i.error_type for i in injections)
    assert set(counts) == set(ERROR_TYPES)
    assert min(counts.values()) >= 20, counts


def test_label_is_the_injected_step(injections) -> None:
    for inj in injections:
        orig, new, i = inj.original.steps, inj.solution.steps, inj.first_error
        assert inj.labels == first_error_to_labels(i, len(new))
        assert new[:i] == orig[:i], "steps before the injected one are untouched"
        assert new[-1] == orig[-1], "the final answer paragraph is never edited"
        if inj.error_type == "unjustified_leap":
            assert new == orig[:i] + orig[i + 1 :]
        else:
            assert len(new) == len(orig) and new[i + 1 :] == orig[i + 1 :] and new[i] != orig[i]
        labelled = inj.to_labelled()
        assert labelled.first_error == i and labelled.example.labels == inj.labels and labelled.rollouts == 0
        assert labelled.id == f"{inj.original.id}#{inj.error_type}"


def _skeleton(step: str) -> list[str]:
    """The step's words with numbers and operators removed."""
    return re.sub(r"[-+*/×÷=()]|(?<=\s)x(?=\s)", " ", NUMBER.sub(" ", step)).split()


def test_edits_change_only_numbers_operators_or_one_unit_word(injections) -> None:
    for inj in injections:
        if inj.error_type == "unjustified_leap":
            continue
        before, after = inj.original.steps[inj.first_error], inj.solution.steps[inj.first_error]
        sb, sa = _skeleton(before), _skeleton(after)
        if inj.error_type == "wrong_unit" and inj.detail.startswith("unit"):
            assert len(sa) == len(sb) and sum(x != y for x, y in zip(sa, sb, strict=True)) == 1
        else:
            assert sa == sb, (before, after)
        assert after.count("  ") <= before.count("  ") and "None" not in after


def test_edits_do_what_their_type_says(injections) -> None:
    for inj in injections:
        step = inj.solution.steps[inj.first_error]
        eqs = find_equations(step)
        if inj.error_type == "arithmetic_slip":
            assert any(not e.correct for e in eqs)
        elif inj.error_type in ("misread_quantity", "wrong_operation", "dropped_condition"):
            assert eqs and all(e.correct for e in eqs), step  # the step computes consistently on a wrong premise
        elif inj.error_type == "unjustified_leap":
            deleted = inj.original.steps[inj.first_error]
            assert deleted not in inj.solution.steps


def test_injection_is_deterministic_and_seeded(gsm8k_train) -> None:
    solutions = [gsm8k_solution(r["question"], r["answer"], id=f"t{i}") for i, r in enumerate(gsm8k_train[:40])]
    a = inject_errors(solutions, seed=0)
    assert a == inject_errors(solutions, seed=0)
    b = inject_errors(solutions, seed=1)
    assert [x.solution for x in a] != [x.solution for x in b]


def test_not_applicable_returns_none() -> None:
    sol = Solution("What colour is the sky?", ("The sky is blue.", "The answer is: blue"), id="x")
    assert all(inject_error(sol, t) is None for t in ERROR_TYPES)
    with pytest.raises(ValueError, match="unknown error type"):
        inject_error(sol, "typo")  # type: ignore[arg-type]


def _golden_sample(injections):
    out = {}
    for t in ERROR_TYPES:
        inj = next(i for i in injections if i.error_type == t)
        out[t] = {
            "id": inj.original.id,
            "first_error": inj.first_error,
            "detail": inj.detail,
            "original_step": inj.original.steps[inj.first_error],
            "injected_step": inj.solution.steps[inj.first_error],
            "labels": list(inj.labels),
        }
    return out


def test_golden_sample_per_type(source, injections) -> None:
    golden = HERE / f"golden_injections_{source}.json"
    got = _golden_sample(injections)
    update_golden(golden, json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(golden.read_text())


def test_latex_operators_in_policy_text_are_edited_in_their_own_notation() -> None:
    sol = Solution(
        "A company paves 4 miles a day and uses 2 bags of gravel per mile. How many bags in 3 days?",
        (
            "Each day it uses \\( 4 \\times 2 = 8 \\) bags of gravel.",
            "In 3 days it uses \\( 8 \\times 3 = 24 \\) bags.",
            "The answer is: 24",
        ),
        id="latex",
    )
    op = inject_error(sol, "wrong_operation")
    assert op is not None and "\\div" in op.solution.steps[op.first_error]
    slip = inject_error(sol, "arithmetic_slip")
    assert slip is not None and "\\times" in slip.solution.steps[slip.first_error]
    assert any(not e.correct for e in find_equations(slip.solution.steps[slip.first_error]))


def test_a_zero_or_negative_quantity_is_misread_only_by_a_slip() -> None:
    """A problem quantity of 0 once divided by zero when looking for similar-sized quantities."""
    sol = Solution("A team scored 0 goals on Monday and 12 goals on Tuesday, 3 points a goal. Points on Monday?",
                   ("0 * 3 = 0 points.", "The answer is: 0"), id="zero")
    inj = inject_error(sol, "misread_quantity", seed=0)
    assert inj is not None and inj.first_error == 0, inj
    assert inj.solution.steps[0] != sol.steps[0] and inj.solution.steps[1] == sol.steps[1]
