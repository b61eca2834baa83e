"""One writer of stepwise records: training examples and labelled solutions, plain or gzipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from prmkit.data import write_stepwise
from prmkit.labeling import LabelledSolution
from prmkit.types import UNLABELLED, StepwiseExample

EXAMPLES = [
    StepwiseExample("1+1?", ("1+1=2", "So 2."), (1.0, 1.0), True, "a"),
    StepwiseExample("2×3?", ("2×3=5",), (UNLABELLED,), False),  # non-ASCII kept, unknown label as null
]


def test_examples_are_written_one_object_a_line(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "train.jsonl"
    assert write_stepwise(EXAMPLES, p) == 2
    assert p.read_text(encoding="utf-8") == (
        '{"prompt": "1+1?", "completions": ["1+1=2", "So 2."], "labels": [1.0, 1.0], "outcome": true, "id": "a"}\n'
        '{"prompt": "2×3?", "completions": ["2×3=5"], "labels": [null], "outcome": false}\n'
    )
    assert [q.name for q in p.parent.iterdir()] == ["train.jsonl"]  # no temporary file is left


def test_labelled_solutions_keep_their_accounting(tmp_path: Path) -> None:
    ex = StepwiseExample("q", ("s0", "s1"), (0.5, 0.0), id="t1")
    x = LabelledSolution(ex, "mc", 1, rollouts=8, rollout_tokens=70, mc=(0.5, 0.0), extra={"k": 8})
    write_stepwise([x], tmp_path / "labels.jsonl")
    rec = json.loads((tmp_path / "labels.jsonl").read_text())
    assert list(rec) == ["id", "prompt", "completions", "labels", "first_error", "method", "rollouts",
                         "rollout_tokens", "prompt_tokens", "mc", "extra"]
    assert LabelledSolution.from_record(rec) == x


def test_gzip_output_depends_on_the_records_alone(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "mc.jsonl.gz", tmp_path / "b" / "mc.jsonl.gz"
    write_stepwise(EXAMPLES, a)
    write_stepwise(EXAMPLES, b)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes()[4:8] == b"\0\0\0\0"  # no time stamp
    assert b"mc.jsonl\0" in a.read_bytes()[:32]  # the header names the file, not its temporary name
    write_stepwise(EXAMPLES, tmp_path / "plain.jsonl")
    with gzip.open(a, "rb") as fh:
        assert fh.read() == (tmp_path / "plain.jsonl").read_bytes()
