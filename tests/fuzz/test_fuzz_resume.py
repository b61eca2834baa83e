"""Kill ``score`` anywhere, run it again: the output is byte for byte the uninterrupted run's.

Two ways to be killed: the output file cut at any byte (what a kill in the middle of a write leaves), and
a real SIGKILL of a child process after a drawn number of records. The PRM is ``arith`` (exact, fast).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import _fuzz_strategies as fs
from hypothesis import given
from hypothesis import strategies as st

from prmkit.data import JsonlAppender
from prmkit.scoring import load_prm, read_score_inputs, score_file

ARITH_STEP = st.sampled_from(["2 + 2 = 4", "2 + 2 = 5", "3 * 4 = 12", "10 / 4 = 2.5", "x = 3", "So 7 - 9 = -2."])
STEP = ARITH_STEP | fs.TEXT
RECORDS = st.lists(st.fixed_dictionaries({"problem": fs.TEXT, "steps": st.lists(STEP, max_size=4)},
                                         optional={"meta": fs.JSON_VALUE}), min_size=1, max_size=8)
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _inputs(records: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    path = folder / "in.jsonl"
    with JsonlAppender(path, fsync=False) as w:
        for r in records:
            w.write(r)
    return read_score_inputs(path)


@fs.fuzz_settings(suite=25, long=1_000)
@given(RECORDS, st.data())
def test_output_cut_at_any_byte_resumes_to_the_uninterrupted_output(records: list[dict[str, Any]],
                                                                    data: st.DataObject) -> None:
    prm = load_prm("arith")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = _inputs(records, folder)
        score_file(prm, inputs, folder / "whole.jsonl", batch_size=3)
        whole = (folder / "whole.jsonl").read_bytes()
        cut = data.draw(st.integers(0, len(whole)), label="cut at byte")
        (folder / "out.jsonl").write_bytes(whole[:cut])
        stats = score_file(prm, inputs, folder / "out.jsonl", batch_size=data.draw(st.integers(1, 4)))
        assert (folder / "out.jsonl").read_bytes() == whole
        assert stats.skipped == whole[:cut].count(b"\n") and stats.scored + stats.skipped == len(inputs)


CHILD = """
import os, signal, sys
from prmkit.scoring import load_prm, read_score_inputs, score_file
kill_after, done = int(sys.argv[3]), []
def progress(n):
    done.append(n)
    if sum(done) >= kill_after:
        os.kill(os.getpid(), signal.SIGKILL)
score_file(load_prm("arith"), read_score_inputs(sys.argv[1]), sys.argv[2], batch_size=1, progress=progress)
"""


@fs.fuzz_settings(suite=3, long=50)
@given(st.lists(st.fixed_dictionaries({"problem": fs.TEXT, "steps": st.lists(STEP, min_size=1, max_size=3)}),
                min_size=2, max_size=6), st.data())
def test_a_sigkilled_score_run_resumes_to_the_uninterrupted_output(records: list[dict[str, Any]],
                                                                  data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = _inputs(records, folder)
        score_file(load_prm("arith"), inputs, folder / "whole.jsonl")
        kill_after = data.draw(st.integers(1, len(records) - 1), label="killed after records")
        env = {**os.environ, "PYTHONPATH": SRC}
        proc = subprocess.run([sys.executable, "-c", CHILD, str(folder / "in.jsonl"), str(folder / "out.jsonl"),
                               str(kill_after)], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert (folder / "out.jsonl").read_bytes().count(b"\n") == kill_after
        stats = score_file(load_prm("arith"), inputs, folder / "out.jsonl")
        assert (stats.skipped, stats.scored) == (kill_after, len(records) - kill_after)
        assert (folder / "out.jsonl").read_bytes() == (folder / "whole.jsonl").read_bytes()
