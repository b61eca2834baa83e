"""``prmkit eval calibration`` end to end with the arith verifier on the checked-in Monte Carlo labels."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from prmkit.cli import main
from prmkit.scoring import load_calibrator

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b" / "mc.jsonl.gz"


def _run(tmp_path: Path, name: str, *flags: str) -> dict[str, Any]:
    out = tmp_path / name
    argv = ["eval", "calibration", "--data", str(DATA), "--prm", "arith", "--no-cache", "--out", str(out), *flags]
    assert main(argv) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_outputs_and_the_held_out_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(tmp_path, "mc", "--target", "mc")
    printed = capsys.readouterr().out
    assert "isotonic" in printed and "Brier" in printed
    out = tmp_path / "mc"
    assert (out / "reliability.png").stat().st_size > 1000
    rows = [json.loads(line) for line in (out / "scores.jsonl").read_text(encoding="utf-8").splitlines()]
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        n_records = sum(1 for _ in fh)
    assert len(rows) == n_records == doc["n_fit"] + doc["n_eval"] and doc["n_fit"] == round(0.5 * n_records)
    # the numbers, recomputed here from the per-step file: raw and calibrated Brier on the held-out part
    held = [(s, c, t) for r in rows if r["part"] == "eval" for s, c, t in zip(r["scores"], r["calibrated"], r["mc"],
                                                                               strict=True) if t is not None]
    assert doc["before"]["n"] == len(held)
    assert doc["before"]["brier"] == pytest.approx(sum((s - t) ** 2 for s, _, t in held) / len(held))
    assert doc["after"]["brier"] == pytest.approx(sum((c - t) ** 2 for _, c, t in held) / len(held))
    assert doc["after"]["brier"] < doc["before"]["brier"] and doc["after"]["ece"] < doc["before"]["ece"]
    cal = load_calibrator(out / "calibrator.json")
    assert cal.to_json() == doc["calibrator"]
    assert {"before", "after"} == set(doc["reliability"])


def test_every_setting_changes_the_run(tmp_path: Path) -> None:
    base = _run(tmp_path, "base")
    assert base["target"] == "labels" and base["fit"] == "isotonic"
    mc = _run(tmp_path, "mc", "--target", "mc")
    assert mc["before"]["mean_target"] != base["before"]["mean_target"]
    none = _run(tmp_path, "none", "--fit", "none")
    assert none["after"] is None and none["n_fit"] == 0 and none["n_eval"] == base["n_fit"] + base["n_eval"]
    platt = _run(tmp_path, "platt", "--fit", "platt")
    assert platt["calibrator"]["kind"] == "platt" and platt["after"] != base["after"]
    temp = _run(tmp_path, "temp", "--fit", "temperature")
    assert temp["calibrator"]["kind"] == "temperature" and temp["calibrator"]["b"] == 0.0
    split = _run(tmp_path, "split", "--split", "0.3")
    assert split["n_fit"] == 30
    seed = _run(tmp_path, "seed", "--seed", "1")
    assert seed["before"] != base["before"]
    bins = _run(tmp_path, "bins", "--bins", "3")
    assert bins["before"]["bins"] == 3 and len(bins["reliability"]["before"]) <= 3
    batch = _run(tmp_path, "batch", "--batch-size", "3")
    assert batch["before"] == base["before"]


def test_bad_data_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "?", "completions": ["a", "b"], "labels": [1]}) + "\n", encoding="utf-8")
    assert main(["eval", "calibration", "--data", str(bad), "--prm", "arith", "--no-cache",
                 "--out", str(tmp_path / "o")]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    assert main(["eval", "calibration", "--data", str(bad), "--split", "1", "--out", str(tmp_path / "o")]) == 2
    assert "split must be in (0, 1)" in capsys.readouterr().err
