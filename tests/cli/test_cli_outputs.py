"""User-caused input and output failures through the CLI, in a subprocess: a typed ``prmkit: error``
naming the file, exit code 2, no traceback, and output paths checked before any work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PB = {"id": "t-0", "generator": "g", "problem": "2 + 2?", "steps": ["2 + 2 = 4"], "final_answer_correct": True,
      "label": -1}
PRMB = {"original_question": "q", "modified_question": "q", "original_process": ["1. a"],
        "modified_process": ["1. a", "2. a again"], "modified_steps": [2], "error_steps": [2],
        "reason": "r", "idx": "t0", "question": "q", "classification": "redundency"}
CANDS = {"problem": "?", "reference": "2", "candidates": [
    {"steps": ["a"], "answer": "2", "step_scores": [0.6]}, {"steps": ["a"], "answer": "3", "step_scores": [0.1]}]}


def prmkit(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "prmkit", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def failed(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr


def write(path: Path, *recs: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def test_latin1_input_is_named_with_line_and_offset(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"problem": "caf\xe9", "steps": ["1 = 1"]}\n')
    failed(prmkit(tmp_path, "score", "--prm", "arith", "--input", "in.jsonl", "--output", "o.jsonl"),
           "prmkit: error: in.jsonl:1: not UTF-8: byte 0xe9 at byte offset 16")
    (tmp_path / "pb.json").write_bytes(json.dumps([PB]).encode().replace(b"2 + 2?", b"2 \xff 2?"))
    failed(prmkit(tmp_path, "eval", "processbench", "--prm", "arith", "--data", "pb.json", "--out", "o"),
           "pb.json:1: not UTF-8: byte 0xff")


def test_a_lone_surrogate_in_a_step_and_an_id_lets_the_run_finish(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a\\ud800", "problem": "?", "steps": ["1 + 1 = 2 \\udc80"]}\n', encoding="utf-8")
    for _ in range(2):  # the rerun resumes from the escaped line
        proc = prmkit(tmp_path, "score", "--prm", "arith", "--input", "in.jsonl", "--output", "o.jsonl")
        assert proc.returncode == 0, proc.stderr
    [row] = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["id"] == "a\ud800" and row["step_scores"] == [1.0]
    write(tmp_path / "pb.jsonl", {**PB, "id": "t\ud800", "steps": ["2 + 2 = 4 \udc80"]})
    for _ in range(2):
        proc = prmkit(tmp_path, "eval", "processbench", "--prm", "arith", "--data", "pb.jsonl", "--out", "o")
        assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", ["score", "processbench", "prmbench", "bon"])
@pytest.mark.parametrize("where", ["under-a-file", "a-folder-or-a-file"])
def test_an_output_that_cannot_be_written_fails_before_any_work(tmp_path: Path, command: str, where: str) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    write(tmp_path / "in.jsonl", {"problem": "?", "steps": ["1 + 1 = 2"]})
    write(tmp_path / "pb.jsonl", PB)
    write(tmp_path / "c.jsonl", CANDS)
    write(tmp_path / "redundency.jsonl", PRMB)
    out = {"under-a-file": "file/out", "a-folder-or-a-file": "folder" if command == "score" else "file"}[where]
    argv = {
        "score": ["score", "--prm", "arith", "--input", "in.jsonl", "--output", out],
        "processbench": ["eval", "processbench", "--prm", "arith", "--data", "pb.jsonl", "--out", out],
        "prmbench": ["eval", "prmbench", "--prm", "arith", "--data", "redundency.jsonl", "--out", out],
        "bon": ["eval", "bon", "--candidates", "c.jsonl", "--scores-from-file", "--quiet", "--out", out],
    }[command]
    proc = prmkit(tmp_path, *argv)
    said = {"under-a-file": "file: exists and is a file, not a folder",
            "a-folder-or-a-file": "folder: is a folder, not a file" if command == "score"
            else "file: exists and is a file, not a folder"}[where]
    failed(proc, f"prmkit: error: {said}")
    assert proc.stdout == ""  # nothing computed, nothing printed


@pytest.mark.parametrize("name", ["../evil", "../../evil", "sub/x", "ABS", "..", "a\\b"])
def test_a_split_name_never_writes_outside_out(tmp_path: Path, name: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write(work / "pb.jsonl", PB)
    name = str(tmp_path / "abs") if name == "ABS" else name
    proc = prmkit(work, "eval", "processbench", "--prm", "arith", "--split", f"{name}=pb.jsonl", "--out", "o")
    failed(proc, f"prmkit: error: split {name!r} is not a plain file name")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["pb.jsonl", "work"]  # nothing written anywhere


def test_run_processbench_checks_split_names_too(tmp_path: Path) -> None:
    from prmkit.errors import OutputError
    from prmkit.evaluation import run_processbench
    from prmkit.scoring.arith import ArithVerifier

    with pytest.raises(OutputError, match=r"split '\.\./x' is not a plain file name"):
        run_processbench(ArithVerifier(), {"../x": str(write(tmp_path / "pb.jsonl", PB))}, tmp_path / "o")
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "o").exists()


def test_a_split_name_that_is_not_utf8_still_finishes(tmp_path: Path) -> None:
    write(tmp_path / "pb.jsonl", PB)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [sys.executable, "-m", "prmkit", "eval", "processbench", "--prm", "arith", "--split",
            b"g\xff=pb.jsonl", "--out", "o"]  # argv bytes arrive as a lone surrogate in the name
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert "g\\udcff" in (tmp_path / "o" / "summary.json").read_text(encoding="utf-8")


def test_a_read_only_output_folder_fails_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """In process, with a file in ``ro`` refused as the kernel refuses it to a user (root, who runs CI, may
    write anywhere, so the folder's mode alone would not stop it)."""
    import tempfile

    from prmkit.cli import main

    write(tmp_path / "c.jsonl", CANDS)
    (tmp_path / "ro").mkdir()
    real = tempfile.TemporaryFile

    def refuse(*args, dir=None, **kwargs):  # type: ignore[no-untyped-def]
        if dir is not None and "ro" in Path(dir).parts:
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "bon", "--candidates", "c.jsonl", "--scores-from-file", "--quiet", "--out", "ro/bon"]) == 2
    out, err = capsys.readouterr()
    assert "ro/bon: cannot write in this folder (Permission denied)" in err and out == ""
    assert not list((tmp_path / "ro").rglob("*.json"))  # nothing computed, nothing written
