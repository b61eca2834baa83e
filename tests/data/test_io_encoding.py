"""Non-UTF-8 input is a DataFormatError naming file, line and byte offset in every loader; a lone
surrogate is written as an escape and reads back unchanged."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prmkit.data import (
    JsonlAppender,
    load_candidates,
    load_prmbench,
    load_processbench,
    read_json_records,
    read_jsonl,
    read_problems,
)
from prmkit.errors import DataFormatError

PB = {"id": "t-0", "generator": "g", "problem": "2 + 2?", "steps": ["2 + 2 = 4"], "final_answer_correct": True,
      "label": -1}
CAND = {"problem": "1+1?", "reference": "2", "candidates": [{"steps": ["1+1=2"], "answer": "2"}]}
PRMB = {"original_question": "q", "modified_question": "q", "original_process": ["1. a"],
        "modified_process": ["1. a", "2. a again"], "modified_steps": [2], "error_steps": [2],
        "reason": "r", "idx": "t0", "question": "q", "classification": "redundency"}
PROBLEM = {"problem": "1+1?", "answer": "2", "unique_id": "t/1"}

LOADERS: dict[str, tuple[dict[str, Any], Callable[[Path], object]]] = {
    "read_jsonl": (PB, lambda p: list(read_jsonl(p))),
    "read_json_records": (PB, read_json_records),
    "processbench": (PB, load_processbench),
    "candidates": (CAND, load_candidates),
    "prmbench": (PRMB, load_prmbench),
    "problems": (PROBLEM, read_problems),
}


def latin1_second_line(path: Path, rec: dict[str, Any]) -> int:
    """Two records, the second with a Latin-1 'é' in its problem; return the bad byte's offset."""
    first = (json.dumps(rec) + "\n").encode()
    second = json.dumps({**rec, "problem": "caf\u00e9"}, ensure_ascii=False).encode("latin-1") + b"\n"
    path.write_bytes(first + second)
    return len(first) + second.index(b"\xe9")


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_latin1_line_names_file_line_and_offset(tmp_path: Path, loader: str) -> None:
    rec, load = LOADERS[loader]
    path = tmp_path / "toy_redundency.jsonl"
    offset = latin1_second_line(path, rec)
    with pytest.raises(DataFormatError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:2: not UTF-8: byte 0xe9 at byte offset {offset}")


def test_stray_byte_in_a_json_array_and_a_gzip_file(tmp_path: Path) -> None:
    arr = tmp_path / "a.json"
    arr.write_bytes(b'[\n{"id": "a"},\n{"id": "b\xff"}\n]')
    with pytest.raises(DataFormatError, match=r"a\.json:3: not UTF-8: byte 0xff at byte offset 24"):
        read_json_records(arr)
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "a"}\n{"id": "\x80"}\n'))
    with pytest.raises(DataFormatError, match=r"a\.jsonl\.gz:2: not UTF-8: byte 0x80 at byte offset 20"):
        list(read_jsonl(gz))
    with pytest.raises(DataFormatError, match=r"a\.jsonl\.gz:2: not UTF-8: byte 0x80 at byte offset 20"):
        read_json_records(gz)


def test_a_folder_or_a_damaged_gzip_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="is a folder"):
        list(read_jsonl(tmp_path))
    gz = tmp_path / "b.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "a"}\n' * 100)[:30])
    with pytest.raises(DataFormatError, match="cannot read"):
        list(read_jsonl(gz))


def test_lone_surrogate_is_escaped_and_reads_back(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "x\\ud800", "steps": ["a \\udfff b", "caf\u00e9"]}\n', encoding="utf-8")
    [(_, obj)] = read_jsonl(src)
    out = tmp_path / "out.jsonl"
    with JsonlAppender(out) as w:
        w.write(obj)
        w.write({"id": "plain", "steps": ["caf\u00e9"]})
    raw = out.read_bytes().decode("utf-8")  # valid UTF-8 throughout
    assert "\\ud800" in raw and "caf\u00e9" in raw.splitlines()[1]
    assert [o for _, o in read_jsonl(out)] == [obj, {"id": "plain", "steps": ["caf\u00e9"]}]


def test_stepwise_writes_a_lone_surrogate_escaped(tmp_path: Path) -> None:
    from prmkit.data import write_stepwise
    from prmkit.types import StepwiseExample

    out = tmp_path / "s.jsonl"
    assert write_stepwise([StepwiseExample("q\ud800", ("1 + 1 = 2 \udcff",), labels=(1.0,))], out) == 1
    [(_, rec)] = read_jsonl(out)
    assert rec["prompt"] == "q\ud800" and rec["completions"] == ["1 + 1 = 2 \udcff"]
