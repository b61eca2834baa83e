"""Resume keyed by content, one writer per output, and one error boundary, through the CLI in subprocesses
with the arith PRM: a changed case is recomputed, a second writer is refused, a killed run resumes to the
uninterrupted result, and every failure the user's files or machine cause is one typed line (exit 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
MC = SRC.parent / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b" / "mc.jsonl.gz"

# A CLI run whose PRM blocks in its second scoring call (``hold``) or kills its own process there
# (``kill``): a real second writer, and a real SIGKILL in the middle of a run.
STALLING = """
import os, signal, sys, time
from prmkit.scoring.arith import ArithVerifier
real, calls = ArithVerifier.score, []
def score(self, sols):
    calls.append(1)
    if len(calls) == 2:
        print("stalled", flush=True)
        if os.environ["STALL"] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(120)
    return real(self, sols)
ArithVerifier.score = score
from prmkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), **extra}


def prmkit(cwd: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prmkit", *argv], cwd=cwd, env=env(**extra),
                          capture_output=True, text=True, timeout=120)


def stalled(cwd: Path, how: str, *argv: str) -> subprocess.Popen[str]:
    """A run started with the stalling PRM, returned once it is inside its second batch."""
    proc = subprocess.Popen([sys.executable, "-c", STALLING, *argv], cwd=cwd, env=env(STALL=how),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "stalled\n"
    return proc


def failed(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr


def write(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pb_cases(n: int = 6) -> list[dict[str, Any]]:
    """Cases s-0..s-(n-1); every third has a wrong second step (label 1), the others none (-1)."""
    out = []
    for i in range(n):
        wrong = i % 3 == 0
        out.append({"id": f"s-{i}", "generator": "g", "problem": "?", "final_answer_correct": not wrong,
                    "steps": [f"{i} + 1 = {i + 1}", f"{i} * 2 = {2 * i + wrong}"], "label": 1 if wrong else -1})
    return out


PB = ["eval", "processbench", "--prm", "arith", "--no-cache", "--batch-size", "2", "--data", "g.jsonl"]


def test_a_changed_label_or_step_is_recomputed_and_the_metrics_follow(tmp_path: Path) -> None:
    cases = pb_cases()
    write(tmp_path / "g.jsonl", cases)
    assert prmkit(tmp_path, *PB, "--out", "o").returncode == 0
    before = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert before["splits"]["g"]["f1"] == 1.0

    cases[1]["label"] = 0  # same id, same steps: only the label changes
    cases[4]["steps"][1] = "4 * 2 = 9"  # same id, same number of steps: now wrong
    write(tmp_path / "g.jsonl", cases)
    rerun = prmkit(tmp_path, *PB, "--out", "o")
    assert rerun.returncode == 0 and "2 cases changed since the last run" in rerun.stderr
    fresh = prmkit(tmp_path, *PB, "--out", "fresh")
    assert fresh.returncode == 0 and "changed" not in fresh.stderr
    after = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert after == json.loads((tmp_path / "fresh" / "summary.json").read_text())
    # s-1 is now labelled wrong at step 0, which the PRM misses; s-4 is still labelled correct but its
    # second step is now wrong, which the PRM flags (the old scores would have kept correct_acc at 1.0)
    assert (before["splits"]["g"]["error_acc"], after["splits"]["g"]["error_acc"]) == (1.0, 2 / 3)
    assert (before["splits"]["g"]["correct_acc"], after["splits"]["g"]["correct_acc"]) == (1.0, 2 / 3)
    stored = {r["id"]: r for r in rows(tmp_path / "o" / "g.jsonl")}
    assert len(rows(tmp_path / "o" / "g.jsonl")) == 6  # stale lines are replaced, not added to
    assert stored["s-1"]["label"] == 0 and stored["s-4"]["step_scores"] == [1.0, 0.0]

    again = prmkit(tmp_path, *PB, "--out", "o")  # nothing changed: nothing recomputed
    assert again.returncode == 0 and "changed" not in again.stderr


def test_score_recomputes_a_changed_solution_and_lines_written_without_keys(tmp_path: Path) -> None:
    recs = [{"id": f"r{i}", "problem": "?", "steps": [f"{i} + {i} = {2 * i}"]} for i in range(4)]
    write(tmp_path / "in.jsonl", recs)
    argv = ["score", "--prm", "arith", "--no-cache", "--input", "in.jsonl", "--output", "out.jsonl"]
    assert prmkit(tmp_path, *argv).returncode == 0
    recs[2]["steps"] = ["2 + 2 = 5"]
    write(tmp_path / "in.jsonl", recs)
    rerun = prmkit(tmp_path, *argv)
    assert "1 solutions changed since the last run" in rerun.stderr and "skipped 3" in rerun.stderr
    assert {r["id"]: r["step_scores"] for r in rows(tmp_path / "out.jsonl")} == {
        "r0": [1.0], "r1": [1.0], "r2": [0.0], "r3": [1.0]}
    # lines written before content keys existed cannot be trusted: scored again, the file stays one line per id
    write(tmp_path / "out.jsonl", [{k: v for k, v in r.items() if k != "content_key"}
                                   for r in rows(tmp_path / "out.jsonl")])
    old = prmkit(tmp_path, *argv)
    assert "4 solutions changed since the last run (or had no content key)" in old.stderr
    assert [r["id"] for r in rows(tmp_path / "out.jsonl")] == ["r0", "r1", "r2", "r3"]


@pytest.mark.parametrize("command", ["processbench", "score"])
def test_a_second_writer_is_refused_and_a_killed_one_leaves_nothing_in_the_way(tmp_path: Path,
                                                                               command: str) -> None:
    write(tmp_path / "g.jsonl", pb_cases())
    write(tmp_path / "in.jsonl", pb_cases())
    argv, out = {"processbench": ([*PB, "--out", "o"], "o"),
                 "score": (["score", "--prm", "arith", "--no-cache", "--batch-size", "2", "--input", "in.jsonl",
                            "--output", "o.jsonl"], "o.jsonl")}[command]
    partial = tmp_path / out / "g.jsonl" if command == "processbench" else tmp_path / out
    # SIGKILL in the middle of a run (the second batch): the lock goes with the process
    killed = stalled(tmp_path, "kill", *argv)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert len(rows(partial)) == 2  # the first batch
    # a run that resumes it (its first call scores the next batch) holds the output; a second writer is refused
    first = stalled(tmp_path, "hold", *argv)
    try:
        failed(prmkit(tmp_path, *argv), f"prmkit: error: {out}: is in use by another prmkit run (pid {first.pid})")
    finally:
        first.kill()
        first.communicate()
    assert len(rows(partial)) == 4
    rerun = prmkit(tmp_path, *argv)
    assert rerun.returncode == 0, rerun.stderr
    whole = prmkit(tmp_path, *argv[:-1], "whole" + out[1:])
    assert whole.returncode == 0 and rerun.stdout == whole.stdout
    uninterrupted = tmp_path / ("whole/g.jsonl" if command == "processbench" else "whole.jsonl")
    assert sorted(rows(partial), key=lambda r: r["id"]) == sorted(rows(uninterrupted), key=lambda r: r["id"])


@pytest.mark.parametrize("command", ["calibration", "inject", "train-data", "report", "label-run", "train", "search",
                                     "search-compare", "search-calibrate", "label-sample", "label-dataset",
                                     "consensus", "cache-export", "bon-save-scored"])
def test_every_command_checks_its_output_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], command: str) -> None:
    """In process (score, processbench, prmbench and bon are in tests/cli/test_cli_outputs.py, in a subprocess)."""
    from prmkit.cli import main

    (tmp_path / "file").write_text("x")
    write(tmp_path / "in.jsonl", [{"id": "a", "problem": "1 + 1?", "steps": ["1 + 1 = 2", "The answer is 2"],
                                   "reference": "2"}])
    write(tmp_path / "g.jsonl", pb_cases())
    argv = {
        "calibration": ["eval", "calibration", "--data", str(MC), "--prm", "arith", "--out", "file/o"],
        "inject": ["label", "inject", "--input", "in.jsonl", "--out", "file/o.jsonl"],
        "train-data": ["train-data", "processbench", "g.jsonl", "--out", "file/o.jsonl"],
        "report": ["report", "o", "--out", "file/r.html"],
        "label-run": ["label", "run", "--input", "in.jsonl", "--job", "file/job"],
        "train": ["train", "--train-path", "in.jsonl", "--model", "none", "--output-dir", "file/o"],
        "search": ["search", "--problems", "in.jsonl", "--out", "file/o"],
        "search-compare": ["search-compare", "--problems", "in.jsonl", "--out", "file/o"],
        "search-calibrate": ["search-calibrate", str(MC), "--prm", "arith", "--out", "file/c.json"],
        "label-sample": ["label", "sample", "--problems", "in.jsonl", "--out", "file/s.jsonl"],
        "label-dataset": ["label", "dataset", "--problems", "in.jsonl", "--job", "file/job"],
        "consensus": ["label", "consensus", "--labels", str(MC), "--judge", "none", "--out", "file/c.jsonl"],
        "cache-export": ["cache", "export", "--db", "c.sqlite", "--out", "file/e.jsonl"],
        "bon-save-scored": ["eval", "bon", "--candidates", "in.jsonl", "--save-scored", "file/x.jsonl"],
    }[command]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    said = "prmkit cache" if command == "cache-export" else "prmkit"
    assert err == f"{said}: error: file: exists and is a file, not a folder\n" and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "g.jsonl", "in.jsonl"]  # nothing written


def test_user_caused_failures_are_one_typed_line(tmp_path: Path) -> None:
    write(tmp_path / "g.jsonl", pb_cases())
    (tmp_path / "folder").mkdir()
    # an input that is a folder
    failed(prmkit(tmp_path, "score", "--prm", "arith", "--input", "folder", "--output", "o.jsonl"),
           "prmkit: error: folder: is a folder, not a file")
    # damaged run files: the manifest, a stored case
    assert prmkit(tmp_path, *PB, "--out", "o").returncode == 0
    good = (tmp_path / "o" / "run.json").read_text()
    (tmp_path / "o" / "run.json").write_text("{not json")
    failed(prmkit(tmp_path, *PB, "--out", "o"), "o/run.json: damaged run manifest")
    (tmp_path / "o" / "run.json").write_text(good)
    lines = (tmp_path / "o" / "g.jsonl").read_text().splitlines()
    (tmp_path / "o" / "g.jsonl").write_text("\n".join([lines[0], "{oops", *lines[2:]]) + "\n")
    failed(prmkit(tmp_path, *PB, "--out", "o"), "o/g.jsonl:2: malformed JSON")
    # a terminal that cannot show the split's name: the results are kept, the failure is one line
    write(tmp_path / "caf\u00e9.jsonl", pb_cases(2))
    proc = prmkit(tmp_path, "eval", "processbench", "--prm", "arith", "--no-cache", "--data", "caf\u00e9.jsonl",
                  "--out", "o2", PYTHONIOENCODING="ascii")
    failed(proc, "prmkit: error: text cannot be written as ascii ('\\xe9'")
    assert (tmp_path / "o2" / "summary.json").exists()


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (PermissionError(13, "Permission denied", "data/in.jsonl"), "data/in.jsonl: permission denied"),
        (OSError(28, "No space left on device", "o/g.jsonl"), "o/g.jsonl: no space left on the device"),
        (OSError(30, "Read-only file system", "o/g.jsonl"), "o/g.jsonl: the file system is read-only"),
        (MemoryError(), "out of memory; use a smaller --batch-size"),
        (__import__("sqlite3").DatabaseError("file is not a database"), "a SQLite file (the score cache?)"),
    ],
)
def test_the_machine_refusing_is_a_typed_line_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str],
                                                         raised: BaseException, said: str) -> None:
    """In process: root (who runs CI) is never refused a permission, and a full disk cannot be arranged."""
    from prmkit.cli import main
    from prmkit.scoring.arith import ArithVerifier

    def refuse(self: Any, sols: Any) -> Any:
        raise raised

    write(tmp_path / "g.jsonl", pb_cases())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ArithVerifier, "score", refuse)
    assert main([*PB, "--out", "o"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert last.startswith(f"prmkit: error: {said}")


@pytest.mark.parametrize("bug", [KeyError("step"), TypeError("bad operand"), AssertionError("one score per step")])
def test_a_bug_keeps_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bug: Exception) -> None:
    from prmkit.cli import main
    from prmkit.scoring.arith import ArithVerifier

    def broken(self: Any, sols: Any) -> Any:
        raise bug

    write(tmp_path / "g.jsonl", pb_cases())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ArithVerifier, "score", broken)
    with pytest.raises(type(bug)):
        main([*PB, "--out", "o"])
    # and the lock went with the failed run: the next run is not refused
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main([*PB, "--out", "o"]) == 0
