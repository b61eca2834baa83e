"""``prmkit eval prmbench`` with the arith verifier on the shipped PRMBench file: summary, table, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _shared_data import shared_path

from prmkit.cli import main
from prmkit.errors import ConfigError
from prmkit.evaluation.config import PRMBenchConfig
from prmkit.scoring.arith import ArithVerifier

CIRCULAR = ("prmbench", "prm800k_test_p1_4o_circular.jsonl")


def test_arith_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = shared_path(*CIRCULAR)
    assert main(["eval", "prmbench", "--data", str(data), "--prm", "arith", "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["prm"] == ArithVerifier().identity
    assert (summary["threshold"], summary["threshold_mode"], summary["fit_on"]) == (0.5, "fixed", None)
    assert set(summary) == {"prm", "threshold", "threshold_mode", "fit_on", "prmscore", "overall", "categories",
                            "groups"}
    overall = summary["overall"]
    # arith passes circular reasoning (its arithmetic is right) and flags one right step with a false equation
    assert (overall["tp"], overall["fp"], overall["tn"], overall["fn"]) == (787, 276, 0, 1)
    assert (overall["n"], overall["n_failed"]) == (90, 0)
    assert overall["negative_f1"] == -1  # no wrong step predicted wrong: P- = 0, R- = 0, undefined in PRMBench
    assert overall["f1"] == pytest.approx(2 * 787 / (2 * 787 + 276 + 1))
    assert summary["prmscore"] == 0.0  # 0.5 F1 + 0.5 (-1) < 0, clipped
    assert list(summary["categories"]) == ["circular"] and summary["groups"] == {}
    assert "circular     90       0    787    276      0      1   85.0      -       0.0" in table
    assert "PRMScore: 0.0" in table
    lines = (tmp_path / "cases.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["id"] == "circular_prm_test_p1_0" and first["error_steps"] == [3, 4, 5]
    assert first["validity_labels"] == [True] * 7 and first["threshold"] == 0.5 and len(lines) == 90


def test_a_killed_run_resumes_to_the_same_summary(tmp_path: Path) -> None:
    data = shared_path(*CIRCULAR)
    args = ["eval", "prmbench", "--data", str(data), "--prm", "arith", "--batch-size", "8"]
    script = tmp_path / "killed.py"
    lines = [
        "import os, signal",
        "from prmkit.cli import main",
        "from prmkit.scoring.arith import ArithVerifier",
        "seen = [0]",
        "score = ArithVerifier.score",
        "def killing(self, solutions):",
        "    seen[0] += len(solutions)",
        "    if seen[0] > 40:",
        "        os.kill(os.getpid(), signal.SIGKILL)",
        "    return score(self, solutions)",
        "ArithVerifier.score = killing",
        f"main({[*args, '--out', str(tmp_path / 'run')]!r})",
    ]
    script.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0, proc.stderr
    assert len((tmp_path / "run" / "cases.jsonl").read_text().splitlines()) == 40
    assert not (tmp_path / "run" / "summary.json").exists()
    assert main([*args, "--out", str(tmp_path / "run")]) == 0
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    resumed = (tmp_path / "run" / "cases.jsonl").read_text().splitlines()
    assert len(resumed) == 90 and len({json.loads(line)["id"] for line in resumed}) == 90
    assert (tmp_path / "run" / "summary.json").read_text() == (tmp_path / "whole" / "summary.json").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prm", "arith", "--out", "o"], "no data"),
        (["--prm", "arith", "--out", "o", "--data", "x.jsonl", "--grid", "0.5"], "--grid needs"),
    ],
)
def test_bad_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "prmbench", *args]) == 2
    assert message in capsys.readouterr().err


def test_config_checks_the_threshold_protocol() -> None:
    with pytest.raises(ConfigError, match="give at most one of threshold, fit_on and sweep; batch_size"):
        PRMBenchConfig(out="o", threshold=0.5, sweep=True, batch_size=0)
    with pytest.raises(SystemExit):  # argparse already refuses two of them
        main(["eval", "prmbench", "--out", "o", "--threshold", "0.5", "--sweep"])


def test_sweep_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = shared_path(*CIRCULAR)
    assert main(["eval", "prmbench", "--data", str(data), "--prm", "arith", "--out", str(tmp_path),
                 "--sweep", "--grid", "0", "1"]) == 0
    out = capsys.readouterr().out
    assert "PRMScore (%) by threshold" in out
    assert [r["threshold"] for r in json.loads((tmp_path / "summary.json").read_text())["sweep"]] == [0.0, 1.0]
