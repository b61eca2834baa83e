import pytest

from prmkit.errors import DataFormatError, UnknownNameError
from prmkit.scoring import get_spec
from prmkit.types import (
    ScoreFailure,
    Solution,
    StepScores,
    first_error_to_labels,
    from_record,
    labels_to_first_error,
    to_record,
)


def test_first_error_round_trip() -> None:
    for n in range(1, 5):
        for fe in range(-1, n):
            assert labels_to_first_error(first_error_to_labels(fe, n)) == fe


def test_first_error_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        first_error_to_labels(3, 3)


def test_solution_steps_become_tuple() -> None:
    assert Solution("p", ["a", "b"]).steps == ("a", "b")  # type: ignore[arg-type]
    assert StepScores([1, 0]).scores == (1.0, 0.0)  # type: ignore[arg-type]


def test_error_names_file_line_field_value() -> None:
    e = DataFormatError("out of range", path="d.json", line=7, field="label", value=12)
    assert str(e) == "d.json:7: field 'label': out of range (got 12)"
    assert isinstance(e, ValueError)


def test_unknown_prm_suggests() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'math-shepherd'"):
        get_spec("math-shepard")


def test_stepwise_example_is_the_one_labelled_steps_type() -> None:
    from prmkit.types import UNLABELLED, StepwiseExample

    ex = StepwiseExample("q", ["a", "b"], [1, UNLABELLED], id="x")  # type: ignore[arg-type]
    assert ex.completions == ("a", "b") and ex.labels is not None and ex.labels[0] == 1.0
    assert ex.to_record() == {"prompt": "q", "completions": ["a", "b"], "labels": [1.0, None], "id": "x"}
    assert not ex.fully_labelled and ex.solution == Solution("q", ("a", "b"), "x")
    assert StepwiseExample("q", ("a",), outcome=True).to_record() == {"prompt": "q", "completions": ["a"], "outcome": True}
    cut = StepwiseExample.from_first_error("q", ["a", "b", "c"], 1, outcome=False, id="y")
    assert (cut.completions, cut.labels, cut.first_error, cut.outcome) == (("a", "b"), (1.0, 0.0), 1, False)
    assert StepwiseExample.from_first_error("q", ["a", "b"], -1).labels == (1.0, 1.0)


def test_results_round_trip_through_their_records() -> None:
    for result in (StepScores((0.25, 1.0), tokens=12), ScoreFailure("context_length", "5000 > 4096", "s1")):
        record = {"id": "s1", "problem": "p", **to_record(result)}
        assert from_record(record, id="s1") == result
    assert from_record({"step_scores": [1, 0]}) == StepScores((1.0, 0.0))  # tokens default to 0


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({}, "step_scores"),
        ({"step_scores": ["x"]}, "step_scores"),
        ({"step_scores": [0.5], "tokens": -1}, "tokens"),
        ({"failure": {"reason": "tired", "detail": ""}}, "failure"),
    ],
)
def test_a_malformed_result_record_names_its_field(record: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"field '{field}'"):
        from_record(record)
