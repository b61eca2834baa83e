"""``prmkit score --prm arith`` in a subprocess on steps past every limit of the verifier: the run finishes
with the right scores and no traceback, and a rerun finds nothing left to do (before, such a step raised
``ValueError``/``OverflowError`` or ran for minutes, and every rerun stopped on it again)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from _arith_cases import PAST_LIMITS

SRC = Path(__file__).resolve().parents[2] / "src"


def score(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = ["score", "--prm", "arith", "--no-cache", "--input", "in.jsonl", "--output", "out.jsonl"]
    return subprocess.run(
        [sys.executable, "-m", "prmkit", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_steps_past_every_limit_are_scored_and_the_rerun_completes(tmp_path: Path) -> None:
    records = [
        {"id": name, "problem": "?", "steps": [text, f"{text}. Then 2 + 2 = 5.", "3 * 4 = 12"]}
        for name, text, _ in PAST_LIMITS
    ]
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    for _ in range(2):
        proc = score(tmp_path)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    rows = [
        json.loads(line)
        for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [r["id"] for r in rows] == [
        name for name, _, _ in PAST_LIMITS
    ]  # written once, not again
    for row in rows:
        # skipped past a limit: 1.0; the false claim beside it is still found: 0.0
        assert row["step_scores"] == [1.0, 0.0, 1.0], row["id"]
