import json

import pytest

from prmkit.data import write_stepwise
from prmkit.errors import DataFormatError
from prmkit.labeling import LabelledSolution
from prmkit.labeling.io import read_tasks
from prmkit.types import StepwiseExample


def _write(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_reads_prmkit_and_gsm8k_records(tmp_path) -> None:
    p = _write(
        tmp_path / "s.jsonl",
        {"id": "a", "problem": "q", "steps": ["x", "The answer is: 3"], "reference": 3, "correct": False},
        {"prompt": "q2", "completions": ["y"], "answer": "5", "dataset": "math"},
        {"question": "1+1?", "answer": "1+1 = <<1+1=2>>2\n#### 2"},
    )
    a, b, c = read_tasks(p)
    assert (a.id, a.reference, a.correct, a.dataset) == ("a", "3", False, "gsm8k")
    assert (b.id, b.solution.steps, b.correct, b.dataset) == ("s-2", ("y",), None, "math")
    assert c.solution.steps == ("1+1 = 2", "The answer is: 2") and c.correct is True


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"problem": "q", "reference": "1"}, "missing field \\(steps or completions\\)"),
        ({"problem": "q", "steps": ["a", ""], "reference": "1"}, "field 'steps': steps must be non-empty"),
        ({"problem": "q", "steps": "a", "reference": "1"}, "field 'steps': expected list"),
        ({"problem": "q", "steps": ["a"], "reference": "1", "correct": "yes"}, "field 'correct'"),
        ({"question": "q", "answer": "no marker"}, "field 'answer'"),
    ],
)
def test_bad_records_name_file_line_and_field(tmp_path, record, message) -> None:
    p = _write(tmp_path / "bad.jsonl", {"problem": "ok", "steps": ["a"], "reference": "1"}, record)
    with pytest.raises(DataFormatError, match=rf"bad.jsonl:2: {message}"):
        read_tasks(p)


def test_labelled_solutions_are_written_and_read_back(tmp_path) -> None:
    ex = StepwiseExample("q", ("s0", "s1"), (0.625, 0.0), id="a")
    x = LabelledSolution(ex, "mc", 1, rollouts=8, rollout_tokens=77, mc=(0.625, 0.0))
    assert write_stepwise([x], tmp_path / "o.jsonl") == 1
    rec = json.loads((tmp_path / "o.jsonl").read_text())
    assert rec["labels"] == [0.625, 0.0] and rec["prompt"] == "q" and rec["completions"] == ["s0", "s1"]
    assert LabelledSolution.from_record(rec) == x


def test_read_problems_takes_both_shapes_and_names_bad_lines(tmp_path) -> None:
    import json

    import pytest

    from prmkit.errors import DataFormatError
    from prmkit.labeling.io import read_problems

    path = tmp_path / "gsm8k" / "train.jsonl"
    path.parent.mkdir()
    rows = [{"question": "1+1?", "answer": "1+1=2\n#### 2"}, {"id": "m1", "problem": "x?", "reference": "\\frac{1}{2}", "dataset": "math"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    a, b = read_problems(path)
    assert (a.id, a.reference, a.dataset) == ("gsm8k-train-0", "2", "gsm8k")
    assert (b.id, b.reference, b.dataset) == ("m1", "\\frac{1}{2}", "math")
    path.write_text(json.dumps(rows[0]) + "\n" + json.dumps({"question": "q", "answer": "no marker"}) + "\n")
    with pytest.raises(DataFormatError, match=r"train.jsonl:2: field .answer."):
        read_problems(path)
