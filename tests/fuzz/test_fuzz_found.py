"""The faults the loader fuzzer found, each with the input that showed it (``docs/fuzzing.md``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from prmkit.config import load_config
from prmkit.data import load_candidates, load_processbench, read_jsonl
from prmkit.errors import ConfigError, DataFormatError
from prmkit.evaluation.report import write_report
from prmkit.scoring.config import ScoreFileConfig
from prmkit.training import read_stepwise

PB = {"id": "a-0", "generator": "g", "problem": "q", "steps": ["s"], "final_answer_correct": True, "label": -1}


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_a_number_past_4300_digits_is_a_data_error_not_a_valueerror(tmp_path: Path) -> None:
    # found: b'{"a": 777...7 (5000 digits)}\n' escaped json.loads as a bare ValueError
    p = _write(tmp_path / "x.jsonl", b'{"ok": 1}\n{"a": ' + b"7" * 5000 + b"}\n")
    with pytest.raises(DataFormatError, match=r"x\.jsonl:2: a number is too long") as e:
        list(read_jsonl(p))
    assert (e.value.path, e.value.line) == (p, 2)
    arr = _write(tmp_path / "gsm8k.json", b'[{"id": ' + b"1" * 5000 + b"}]")
    with pytest.raises(DataFormatError, match=r"gsm8k\.json: a number is too long"):
        load_processbench(arr)


def test_json_nested_past_the_recursion_limit_is_a_data_error(tmp_path: Path) -> None:
    # found: a ProcessBench-style line b'{"a": ' + b'[' * 5000 + b']' * 5000 + b'}' raised RecursionError
    p = _write(tmp_path / "val.jsonl", json.dumps(PB).encode() + b'\n{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    with pytest.raises(DataFormatError, match=r"val\.jsonl:2: JSON nested too deeply"):
        load_processbench(p, strict=False)
    arr = _write(tmp_path / "train.json", b"[" * 5000 + b"]" * 5000)
    with pytest.raises(DataFormatError, match=r"train\.json: JSON nested too deeply"):
        read_stepwise(arr, "soft")  # one JSON document: the line is not known


@pytest.mark.parametrize("name", ["gsm8k.json", "gsm8k.jsonl"])
def test_a_utf8_byte_order_mark_at_the_start_is_skipped(tmp_path: Path, name: str) -> None:
    # decided: a BOM (b'\xef\xbb\xbf', as Windows editors write) is skipped, in a JSON array or JSON Lines
    body = json.dumps([PB]) if name.endswith(".json") else json.dumps(PB) + "\n"
    p = _write(tmp_path / name, b"\xef\xbb\xbf" + body.encode())
    assert [c.id for c in load_processbench(p)] == ["a-0"]
    inner = _write(tmp_path / "two.jsonl", json.dumps(PB).encode() + b"\n\xef\xbb\xbf" + json.dumps(PB).encode())
    with pytest.raises(DataFormatError, match=r"two\.jsonl:2: malformed JSON \(Unexpected UTF-8 BOM"):
        load_processbench(inner)  # only the file's first bytes may be a BOM


def test_a_config_file_that_is_not_utf8_or_a_folder_is_a_config_error(tmp_path: Path) -> None:
    # found: b'input: a\noutput: b\xff\n' raised UnicodeDecodeError from read_yaml
    p = _write(tmp_path / "score.yaml", b"input: a\noutput: b\xff\n")
    with pytest.raises(ConfigError, match=r"score\.yaml: not UTF-8: byte 0xff at byte offset 18"):
        load_config(ScoreFileConfig, p)
    with pytest.raises(ConfigError, match=r"cannot read"):
        load_config(ScoreFileConfig, tmp_path)


def test_a_config_files_own_check_names_the_file(tmp_path: Path) -> None:
    # found: b"batch_size: 0\ninput: ''\noutput: ''\n" gave "batch_size must be >= 1, got 0" without the file
    p = _write(tmp_path / "score.yaml", b"batch_size: 0\ninput: ''\noutput: ''\n")
    with pytest.raises(ConfigError) as e:
        load_config(ScoreFileConfig, p)
    assert str(e.value) == f"{p}: batch_size must be >= 1, got 0"


def test_an_infinite_step_score_is_refused_and_nan_means_unscored(tmp_path: Path) -> None:
    # decided: NaN is the documented "unscored" step (best-of-N ranks the candidate unscored); Infinity
    # was loaded as a score before, and is now refused at load with the file, line and field
    rec = {"problem": "q", "candidates": [{"steps": ["a", "b"], "step_scores": [0.5, float("nan")]}]}
    ok = _write(tmp_path / "ok.jsonl", json.dumps(rec).encode() + b"\n")
    assert math.isnan(load_candidates(ok).problems[0].candidates[0].step_scores[1])  # type: ignore[index]
    rec["candidates"][0]["step_scores"] = [0.5, float("inf")]  # type: ignore[index]
    bad = _write(tmp_path / "bad.jsonl", b"\n" + json.dumps(rec).encode() + b"\n")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: field 'candidates\.0\.step_scores': step_scores\[1\] is inf"):
        load_candidates(bad)
    cot = {"idx": 0, "question": "q", "gt": "1", "response": ["r"], "pred": ["1"], "score": [True],
           "pred_score": [[float("-inf")]]}
    p = _write(tmp_path / "math_cot_100.jsonl", json.dumps(cot).encode() + b"\n")
    with pytest.raises(DataFormatError, match=r"math_cot_100\.jsonl:1: .*'pred_score' is infinite"):
        load_candidates(p)


@pytest.mark.parametrize("label", [7.5, -1.0, float("nan")])
def test_a_step_label_outside_0_1_is_refused(tmp_path: Path, label: float) -> None:
    # found: {"step_labels": [7.5]} (and NaN) loaded as a label; labels are 1, 0, a fraction or null
    rec = {"problem": "q", "candidates": [{"steps": ["a"], "step_labels": [label]}]}
    p = _write(tmp_path / "c.jsonl", json.dumps(rec).encode() + b"\n")
    with pytest.raises(DataFormatError, match=r"c\.jsonl:1: field 'candidates\.0\.step_labels\.0'"):
        load_candidates(p)


def test_a_lone_surrogate_in_a_runs_json_is_written_into_the_report_not_a_crash(tmp_path: Path) -> None:
    # found: summary.json {"model": "m\ud800"} (json.loads accepts the escape) raised UnicodeEncodeError
    # when report.html was written
    (tmp_path / "summary.json").write_text(json.dumps({"model": "m\ud800", "splits": {"a": {"acc": 0.5}}}))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "<td>m&#55296;</td>" in html and '<td class="num">0.5</td>' in html
