"""Comparing live searches: rows on the problems every run finished, votes read off the Best-of-N pool,
paired differences, and majority vote at matched compute (``prmkit search-compare --report-only``).

The run folders are written by hand through the job store, with answers chosen so that every selector's
pick is known (no ties), so every accuracy below is worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prmkit.cli import main
from prmkit.evaluation.search import (
    SearchRow,
    common_ids,
    comparison_lines,
    majority_curve,
    matched_baseline,
    paired,
    pool_rows,
    summarize,
)
from prmkit.runtime import RolloutStore

# problem -> (answers, correct, PRM scores) of the pool's four samples, in sample order
POOL = {
    "p0": (["5", "5", "5", "7"], [True, True, True, False], [0.2, 0.3, 0.4, 0.8]),
    "p1": (["3", "3", "4", "3"], [False, False, True, False], [0.1, 0.2, 0.9, 0.1]),
    "p2": (["8", "8", "8", "8"], [True] * 4, [0.5] * 4),
    "p3": (["1", "1", "1", "1"], [False] * 4, [0.5] * 4),
}


def _bon(pid: str) -> dict[str, Any]:
    answers, correct, scores = POOL[pid]
    cands = [{"node": j, "answer": a, "correct": c, "score": s, "tokens": 100}
             for j, (a, c, s) in enumerate(zip(answers, correct, scores, strict=True))]
    best = max(range(4), key=lambda j: scores[j])
    return {"id": pid, "method": "bon", "n": 4, "answer": answers[best], "correct": correct[best],
            "candidates": cands, "restarts": 0, "continuations": 0,
            "compute": {"policy_tokens": 400, "prm_tokens": 400, "wall_s": 4.0, "flops": 2e9}}


def _live(pid: str, method: str, n: int, correct: bool, tokens: int) -> dict[str, Any]:
    return {"id": pid, "method": method, "n": n, "answer": "x", "correct": correct, "restarts": 1,
            "continuations": 10, "compute": {"policy_tokens": tokens, "prm_tokens": 80, "wall_s": 2.0, "flops": 1e9}}


def _write(directory: Path, records: list[dict[str, Any]], failed: tuple[str, ...] = ()) -> Path:
    store = RolloutStore(directory, fingerprint={"method": directory.name})
    for r in records:
        store.add_result(r["id"], [r])
    for pid in failed:
        store.add_failure(pid, "ContextLengthError", "too long")
    store.close()
    return directory


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    _write(tmp_path / "bon-n4", [_bon(p) for p in POOL])
    beam = {"p0": True, "p1": True, "p2": True, "p3": False, "p4": True}  # p4: not in the pool, left out
    _write(tmp_path / "beam-n4", [_live(p, "beam", 4, ok, 250) for p, ok in beam.items()])
    greedy = {"p0": True, "p1": False, "p2": True, "p3": False}
    _write(tmp_path / "greedy-n8", [_live(p, "greedy", 8, ok, 500) for p, ok in greedy.items()], failed=("p5",))
    return tmp_path


def _acc(rows: list[SearchRow]) -> dict[tuple[str, int], float]:
    return {(r.method, r.n): r.accuracy for r in rows}


def test_votes_read_off_the_pool_at_every_n() -> None:
    recs = [_bon(p) for p in POOL]
    rows = pool_rows(recs)
    assert [(r.method, r.n) for r in rows][:3] == [("majority", 1), ("weighted", 1), ("best_of_n", 1)]
    assert _acc(rows) == {
        ("majority", 1): 0.5, ("weighted", 1): 0.5, ("best_of_n", 1): 0.5,
        ("majority", 2): 0.5, ("weighted", 2): 0.5, ("best_of_n", 2): 0.5,
        # p1: "4" (0.9) outweighs three "3"s (0.4); best-of-4 picks p0's wrong "7" (0.8) and p1's "4"
        ("majority", 4): 0.5, ("weighted", 4): 0.75, ("best_of_n", 4): 0.5,
    }
    by = {(r.method, r.n): r for r in rows}
    assert by["majority", 2].policy_tokens == 200 and by["majority", 2].prm_tokens == 0
    assert by["weighted", 2].prm_tokens == 200  # half the pool's PRM tokens
    assert by["weighted", 4].correct_ids == ("p0", "p1", "p2")
    three = pool_rows(recs, ns=[3], methods=("majority",))
    assert [(r.method, r.n, r.accuracy, r.policy_tokens) for r in three] == [("majority", 3, 0.5, 300.0)]
    with pytest.raises(ValueError, match=r"1\.\.4"):
        pool_rows(recs, ns=[5])


def test_rows_cover_only_the_problems_every_run_finished(runs: Path) -> None:
    dirs = [runs / "bon-n4", runs / "beam-n4", runs / "greedy-n8"]
    ids = common_ids(dirs)
    assert ids == ["p0", "p1", "p2", "p3"]  # p4 only in beam, p5 failed in greedy
    rows = summarize(dirs, ids=ids)
    by = {(r.method, r.n): r for r in rows}
    assert by["bon", 4].accuracy == 0.5 and by["bon", 4].flops == 2e9
    assert (by["beam", 4].accuracy, by["beam", 4].problems, by["beam", 4].restart_rate) == (0.75, 4, 0.1)
    assert by["greedy", 8].failed == 1 and by["greedy", 8].accuracy == 0.5
    assert by["weighted", 4].accuracy == 0.75  # the pool's rows come with the Best-of-N run
    assert summarize(dirs) == rows


def test_paired_difference_and_interval() -> None:
    def row(ids: tuple[str, ...]) -> SearchRow:
        return SearchRow("m", 4, 4, len(ids) / 4, 0.0, 1.0, 1.0, 0.0, None, 1.0, None, 0, ids)

    ids = ["p0", "p1", "p2", "p3"]
    assert paired(row(("p0",)), row(("p0",)), ids) == (0.0, 0.0, 0.0)
    assert paired(row(tuple(ids)), row(()), ids) == (1.0, 1.0, 1.0)
    d, lo, hi = paired(row(("p0", "p1", "p2")), row(("p0", "p2")), ids)
    assert d == 0.25 and lo == 0.0 and 0.25 < hi <= 1.0
    assert paired(row(("p0", "p2")), row(("p0", "p1", "p2")), ids)[0] == -0.25


def test_majority_at_matched_compute(runs: Path) -> None:
    ids = ["p0", "p1", "p2", "p3"]
    curve = majority_curve(runs / "bon-n4", ids)
    assert [(r.n, r.policy_tokens, r.accuracy) for r in curve] == [
        (1, 100.0, 0.5), (2, 200.0, 0.5), (3, 300.0, 0.5), (4, 400.0, 0.5)]
    rows = summarize([runs / "bon-n4", runs / "beam-n4", runs / "greedy-n8"], ids=ids)
    by = {(r.method, r.n): r for r in rows}
    assert matched_baseline(by["beam", 4], curve).n == 3  # 300 >= 250 tokens, the fewest that are
    assert matched_baseline(by["greedy", 8], curve).n == 4  # 500 > the whole pool: the costliest
    with pytest.raises(ValueError, match="no Best-of-N"):
        majority_curve(runs / "beam-n4", ids)

    lines = comparison_lines(rows, ids, curve)
    same_n = [ln for ln in lines[: lines.index("")] if ln]
    assert [ln.split(":")[0] for ln in same_n] == [
        "- weighted@2 vs majority@2", "- best_of_n@2 vs majority@2", "- weighted@4 vs majority@4",
        "- best_of_n@4 vs majority@4", "- beam@4 vs majority@4"]
    assert same_n[2].startswith("- weighted@4 vs majority@4: +25.0 points")
    matched = lines[lines.index("") + 2:]
    assert matched[0].startswith("- beam@4 (250 policy tokens) vs majority@3 (300): +25.0 points (paired 95 % CI +0.0")
    assert matched[1].startswith("- greedy@8 (500 policy tokens) vs majority@4 (400): +0.0 points")
    assert matched[1].endswith("so majority had less compute")
    assert len(matched) == 2


def test_report_only_writes_the_comparison_without_searching(runs: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"id": p, "problem": "?", "reference": "1"}) + "\n" for p in POOL))
    argv = ["search-compare", "--report-only", "--problems", str(problems), "--out", str(runs),
            "--methods", "bon,beam", "--ns", "4"]
    assert main(argv) == 0
    report = (runs / "compare.md").read_text()
    assert "| beam | 4 | 4 | 75.0 (" in report
    assert "- beam@4 (250 policy tokens) vs majority@3 (300): +25.0 points" in report
    assert {r["method"] for r in json.loads((runs / "compare.json").read_text())} >= {"bon", "beam", "majority"}
    assert (runs / "compare.png").stat().st_size > 0
    assert (runs / "beam-n4" / "results.jsonl").read_text().count("\n") == 5  # nothing searched or added

    assert report.startswith("The 4 problems every run finished.")

    assert main([*argv[:-1], "4,8"]) == 2  # beam-n8 and bon-n8 hold no results
    err = capsys.readouterr().err
    assert "--report-only: no search results in" in err and "beam-n8" in err
    _write(runs / "particle-n4", [])
    assert main([*argv[:-3], "bon,particle", "--ns", "4"]) == 2
    err = capsys.readouterr().err
    assert "no problem was finished by every run" in err and "particle-n4: 0" in err and "bon-n4: 4" in err


def test_the_votes_come_from_the_largest_pool_in_the_folder(runs: Path, tmp_path: Path) -> None:
    """A pool of 8 holds the pool of 4: the comparison at N = 4 reads it, and matches compute up to 8 samples."""
    def bon8(pid: str) -> dict[str, Any]:
        rec = _bon(pid)
        first = rec["candidates"][0]
        more = [{**first, "node": 4 + j, "score": 0.1} for j in range(4)]  # four more of the first answer
        return {**rec, "n": 8, "candidates": rec["candidates"] + more,
                "compute": {**rec["compute"], "policy_tokens": 800}}

    _write(runs / "bon-n8", [bon8(p) for p in POOL if p != "p3"])  # not every problem: not used
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"id": p, "problem": "?", "reference": "1"}) + "\n" for p in POOL))
    argv = ["search-compare", "--report-only", "--problems", str(problems), "--out", str(runs),
            "--methods", "bon,beam", "--ns", "4"]
    assert main(argv) == 0
    assert "| majority | 8 |" not in (runs / "compare.md").read_text()

    _write(runs / "bon-n8", [bon8("p3")])  # now it has them all
    assert main(argv) == 0
    report = (runs / "compare.md").read_text()
    assert "| majority | 8 | 4 | 50.0 (" in report  # the first answer of p0..p3 is the majority's at N = 4 too
    assert "- beam@4 (250 policy tokens) vs majority@3 (300): +25.0 points" in report
