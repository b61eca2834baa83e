"""A second identical run of every scoring command makes zero PRM calls: the cache's counters show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prmkit.cli import main


def _stats(db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    assert main(["cache", "stats", "--db", str(db), "--json"]) == 0
    (prm,) = json.loads(capsys.readouterr().out)["prms"]
    return {k: prm[k] for k in ("solutions", "hits", "misses", "calls")}


def test_second_runs_of_score_processbench_and_bon_are_served_by_the_cache(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "scores.sqlite"
    src = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    cands = tmp_path / "gsm8k25.jsonl"
    cands.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:25]), encoding="utf-8")
    bon = ["eval", "bon", "--candidates", str(cands), "--prm", "arith", "--selectors", "best_of_n",
           "--aggregators", "min", "--quiet", "--no-plot", "--bootstrap", "0", "--cache", str(db)]
    assert main([*bon, "--out", str(tmp_path / "bon1")]) == 0
    first = _stats(db, capsys)
    assert first["calls"] >= 1 and first["misses"] == 100 and first["hits"] == 0  # 25 problems x 4 solutions
    assert main([*bon, "--out", str(tmp_path / "bon2"), "--aggregators", "last"]) == 0  # a new aggregator
    second = _stats(db, capsys)
    assert second["calls"] == first["calls"]  # no PRM call at all
    assert second["hits"] == 100

    pb = ["eval", "processbench", "--prm", "arith", "--data", str(shared_data / "processbench" / "gsm8k.json"),
          "--cache", str(db)]
    assert main([*pb, "--out", str(tmp_path / "pb1")]) == 0
    after_pb = _stats(db, capsys)
    assert after_pb["calls"] > second["calls"]
    assert main([*pb, "--out", str(tmp_path / "pb2"), "--threshold", "0.3"]) == 0  # fresh output folder
    assert _stats(db, capsys)["calls"] == after_pb["calls"]


def test_a_combination_reuses_what_its_members_scored_alone(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "scores.sqlite"
    pb = ["eval", "processbench", "--data", str(shared_data / "processbench" / "gsm8k.json"), "--cache", str(db)]
    assert main([*pb, "--prm", "arith", "--out", str(tmp_path / "alone")]) == 0
    alone = _stats(db, capsys)
    assert main([*pb, "--prm", "arith*arith", "--out", str(tmp_path / "pair")]) == 0
    pair = _stats(db, capsys)  # still one PRM in the cache: members are cached, not the pair
    assert pair["calls"] == alone["calls"] and pair["misses"] == alone["misses"]
    assert pair["hits"] == alone["hits"] + 2 * 400
