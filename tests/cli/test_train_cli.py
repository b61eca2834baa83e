"""``prmkit train`` and ``prmkit train-data`` through argparse, as the CLI runs them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest
from _require import need_module
from _shared_data import shared_path

from prmkit.errors import DataFormatError

sys.path.insert(0, str(Path(__file__).parents[1] / "training"))

from _train_fixtures import tiny_qwen2

from prmkit.cli._train import add_parser

__all__ = ["tiny_qwen2"]  # a session fixture, shared with tests/training


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="prmkit")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_train_help_lists_every_config_field(capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import fields

    from prmkit.training.config import TrainConfig

    with pytest.raises(SystemExit):
        _main(["train", "--help"])
    text = capsys.readouterr().out
    for f in fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in text
    assert "comparative Q-value ranking" in text


@pytest.mark.slow
def test_train_from_yaml_with_a_flag_override(tiny_qwen2: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_module("peft")
    from _train_fixtures import arithmetic_records, write_jsonl

    data = write_jsonl(tmp_path / "t.jsonl", arithmetic_records(4))
    out = tmp_path / "o"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"train_path: {data}\nmodel: {tiny_qwen2}\noutput_dir: {out}\nloss: bce\nmax_steps: 5\n"
        "learning_rate: 1e-4\nbatch_size: 2\nthreads: 1\nlog_every: 1\n"
    )
    assert _main(["train", "--config", str(cfg), "--max-steps", "2", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]  # the flag beat the file's max_steps: 5
    spec = json.loads((out / "prmkit_spec.json").read_text())
    assert spec["readout"] == "token_classify" and spec["model"] == "."


def test_train_data_converts_files(tmp_path: Path) -> None:
    out = tmp_path / "bbm.jsonl"
    files = [str(shared_path("big_bench_mistake", f)) for f in ("multistep_arithmetic.jsonl", "logical_deduction.jsonl")]
    assert _main(["train-data", "big-bench-mistake", *files, "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 600
    first = json.loads(lines[0])
    assert first["labels"] == [1.0, 1.0, 1.0, 0.0] and first["outcome"] is False


def test_train_data_rectified_appends_the_minimal_pairs(tmp_path: Path) -> None:
    out = tmp_path / "mrben.jsonl"
    assert _main(["train-data", "mr-ben", str(shared_path("mr_ben", "math.json")), "--rectified", "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 918 + 1538
    assert lines[918]["id"].endswith("/rectified-0") and set(lines[918]["labels"]) == {1.0}
    with pytest.raises(DataFormatError, match="only Mr-Ben has rectified steps"):
        _main(["train-data", "big-bench-mistake", str(shared_path("big_bench_mistake", "word_sorting.jsonl")),
               "--rectified", "--out", str(out)])


def test_train_data_candidates_drop_the_processbench_problems(tmp_path: Path) -> None:
    out = tmp_path / "cot.jsonl"
    cot = str(shared_path("bon_qwen25math_math_cot_100", "math_cot_100.jsonl"))
    pb = [str(shared_path("processbench", f"{s}.json")) for s in ("gsm8k", "math")]
    assert _main(["train-data", "candidates", cot, "--exclude-problems-of", *pb, "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    # 13 of the set's 100 MATH problems are ProcessBench MATH problems: 87 x 8 responses stay
    assert len(lines) == 696 and sum(x["outcome"] for x in lines) == 634
    pb_problems = {x["problem"].strip() for p in pb for x in json.loads(Path(p).read_text())}
    assert not pb_problems & {x["prompt"].strip() for x in lines}
    wrong = next(x for x in lines if not x["outcome"])
    assert wrong["labels"][-1] == 0.0 and set(wrong["labels"][:-1]) <= {None}


def test_train_data_gsm8k_reference_drops_the_processbench_problems(tmp_path: Path) -> None:
    out = tmp_path / "ref.jsonl"
    pb = [str(shared_path("processbench", f"{s}.json")) for s in ("gsm8k", "math")]
    assert _main(["train-data", "gsm8k-reference", str(shared_path("gsm8k", "example_model_solutions.jsonl")),
                  "--exclude-problems-of", *pb, "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 2686 and sum(x["outcome"] for x in lines) == 672
    pb_problems = {" ".join(x["problem"].split()) for p in pb for x in json.loads(Path(p).read_text())}
    assert not pb_problems & {" ".join(x["prompt"].split()) for x in lines}
    assert all(x["outcome"] or (x["labels"][-1] == 0.0 and set(x["labels"][:-1]) <= {1.0}) for x in lines)
