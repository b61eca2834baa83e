"""The resumable ProcessBench runner: summaries, interruption and resumption, thresholds, failures."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _shared_data import shared_path

from prmkit.data import ProcessBenchCase
from prmkit.errors import ConfigError, DataFormatError
from prmkit.evaluation import fit_threshold, run_processbench
from prmkit.scoring.arith import ArithVerifier
from prmkit.types import ScoreFailure, ScoreResult, Solution


def toy_cases(seed: int, n: int, prefix: str) -> list[dict[str, Any]]:
    """Arithmetic solutions; ``label`` is the first false step, as arith would find it."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        steps, label = [], -1
        for j in range(rng.randint(1, 5)):
            a, b = rng.randint(2, 99), rng.randint(2, 99)
            wrong = rng.random() < 0.15
            steps.append(f"Next, {a} * {b} = {a * b + (1 if wrong else 0)}.")
            if wrong and label == -1:
                label = j
        if rng.random() < 0.2 and label == -1 and len(steps) > 1:
            label = len(steps) - 1  # an error arith cannot see
        out.append(
            {
                "id": f"{prefix}-{i}",
                "generator": "toy",
                "problem": "Compute.",
                "steps": steps,
                "final_answer_correct": label == -1,
                "label": label,
            }
        )
    return out


def write_split(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(recs))
    return path


class Counting:
    """arith, counting the solutions it scores; raises after ``fail_after`` of them (a crash mid-run)."""

    def __init__(self, fail_after: int | None = None, failing_ids: Sequence[str] = ()) -> None:
        self.inner = ArithVerifier()
        self.fail_after, self.failing_ids = fail_after, set(failing_ids)
        self.scored: list[str | None] = []

    @property
    def identity(self) -> str:
        return self.inner.identity

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        if self.fail_after is not None and len(self.scored) + len(solutions) > self.fail_after:
            raise RuntimeError("simulated crash")
        self.scored.extend(s.id for s in solutions)
        results = self.inner.score(solutions)
        return [
            ScoreFailure("context_length", "too long", s.id) if s.id in self.failing_ids else r
            for s, r in zip(solutions, results, strict=True)
        ]


def recompute(out: Path, threshold: float) -> dict[str, dict[str, float]]:
    """Metrics from the per-case JSONL alone, written independently of the library."""
    got = {}
    for path in sorted(out.glob("*.jsonl")):
        hit = {True: 0, False: 0}
        total = {True: 0, False: 0}
        failed = 0
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            is_error = rec["label"] != -1
            total[is_error] += 1
            if rec["step_scores"] is None:
                failed += 1
                continue
            pred = -1
            for i, s in enumerate(rec["step_scores"]):
                if s < threshold:
                    pred = i
                    break
            hit[is_error] += pred == rec["label"]
        err, cor = hit[True] / total[True], hit[False] / total[False]
        got[path.stem] = {
            "n": total[True] + total[False],
            "n_failed": failed,
            "error_acc": err,
            "correct_acc": cor,
            "f1": 0.0 if err + cor == 0 else 2 * err * cor / (err + cor),
        }
    return got


def assert_summary_matches(out: Path, expected: dict[str, dict[str, float]]) -> dict[str, Any]:
    summary = json.loads((out / "summary.json").read_text())
    for name, values in expected.items():
        for key, value in values.items():
            assert summary["splits"][name][key] == pytest.approx(value), (name, key)
    f1s = [v["f1"] for v in expected.values()]
    sizes = [v["n"] for v in expected.values()]
    assert summary["mean_f1"] == pytest.approx(sum(f1s) / len(f1s))
    assert summary["weighted_f1"] == pytest.approx(
        sum(f * n for f, n in zip(f1s, sizes, strict=True)) / sum(sizes)
    )
    return summary


@pytest.fixture
def splits(tmp_path: Path) -> dict[str, Path]:
    return {
        "gsm8k": write_split(tmp_path / "gsm8k.json", toy_cases(1, 40, "gsm8k")),
        "math": write_split(tmp_path / "math.json", toy_cases(2, 60, "math")),
    }


def test_summary_equals_a_recomputation_from_the_jsonl(
    tmp_path: Path, splits: dict[str, Path]
) -> None:
    out = tmp_path / "run"
    report = run_processbench(Counting(failing_ids=["math-3"]), splits, out, batch_size=7)
    summary = assert_summary_matches(out, recompute(out, 0.5))
    assert summary["prm"] == ArithVerifier().identity and summary["threshold"] == 0.5
    assert summary["splits"]["math"]["n_failed"] == 1 and report.splits["gsm8k"].n_failed == 0
    rec = next(
        json.loads(line)
        for line in (out / "math.jsonl").read_text().splitlines()
        if '"math-3"' in line
    )
    assert rec["pred"] is None and rec["failure"] == {
        "reason": "context_length",
        "detail": "too long",
    }
    first = json.loads((out / "gsm8k.jsonl").read_text().splitlines()[0])
    assert set(first) == {
        "id",
        "split",
        "label",
        "pred",
        "step_scores",
        "threshold",
        "generator",
        "final_answer_correct",
        "tokens",
        "content_key",
    }


def test_interrupted_run_resumes_without_rescoring(tmp_path: Path, splits: dict[str, Path]) -> None:
    whole = tmp_path / "whole"
    run_processbench(Counting(), splits, whole, batch_size=4)

    out = tmp_path / "resumed"
    crashing = Counting(fail_after=55)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_processbench(crashing, splits, out, batch_size=4)
    assert len(crashing.scored) == 52  # 40 gsm8k + 3 batches of math
    with (out / "math.jsonl").open("a") as fh:
        fh.write('{"id": "math-12", "split": "ma')  # a write cut off by the crash
    again = Counting()
    run_processbench(again, splits, out, batch_size=4)
    assert sorted(again.scored) == sorted(
        f"math-{i}" for i in range(12, 60)
    )  # nothing scored twice
    assert json.loads((out / "summary.json").read_text()) == json.loads(
        (whole / "summary.json").read_text()
    )
    ids = [json.loads(line)["id"] for line in (out / "math.jsonl").read_text().splitlines()]
    assert ids == [f"math-{i}" for i in range(60)]


def test_a_killed_process_resumes(tmp_path: Path, splits: dict[str, Path]) -> None:
    script = tmp_path / "killed.py"
    script.write_text(
        textwrap.dedent(f"""
        import os, signal
        from prmkit.evaluation import run_processbench
        from prmkit.scoring.arith import ArithVerifier

        class Killed(ArithVerifier):
            n = 0
            def score(self, solutions):
                Killed.n += len(solutions)
                if Killed.n > 25:
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().score(solutions)

        run_processbench(Killed(), {{"gsm8k": {str(splits["gsm8k"])!r}}}, {str(tmp_path / "run")!r}, batch_size=5)
    """)
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert len((tmp_path / "run" / "gsm8k.jsonl").read_text().splitlines()) == 25
    again = Counting()
    run_processbench(again, {"gsm8k": splits["gsm8k"]}, tmp_path / "run", batch_size=5)
    assert again.scored == [f"gsm8k-{i}" for i in range(25, 40)]
    assert_summary_matches(tmp_path / "run", recompute(tmp_path / "run", 0.5))


def test_fit_on_one_split_applies_its_best_threshold_everywhere(
    tmp_path: Path, splits: dict[str, Path]
) -> None:
    out = tmp_path / "fit"
    report = run_processbench(Counting(), splits, out, threshold=0.9, fit_on="math", grid=[0.25])
    rows = [json.loads(line) for line in (out / "math.jsonl").read_text().splitlines()]
    tau, _ = fit_threshold(
        [r["label"] for r in rows], [r["step_scores"] for r in rows], grid=[0.25], default=0.9
    )
    assert (
        report.threshold == tau == 0.25
    )  # arith scores are 0 or 1: 0.25 and 0.5 tie, the smaller wins
    summary = assert_summary_matches(out, recompute(out, tau))
    assert summary["threshold_mode"] == "fit" and summary["fit_on"] == "math"
    assert {r["threshold"] for r in rows} == {0.9}  # stored preds are at the given threshold


def test_sweep_rows_equal_fixed_threshold_runs(tmp_path: Path, splits: dict[str, Path]) -> None:
    report = run_processbench(Counting(), splits, tmp_path / "sweep", sweep=[0.0, 0.5, 1.5])
    for row in report.sweep:
        fixed = run_processbench(
            Counting(), splits, tmp_path / f"t{row.threshold}", threshold=row.threshold
        )
        assert row.f1 == {name: m.f1 for name, m in fixed.splits.items()}
        assert (row.mean_f1, row.weighted_f1) == (fixed.mean_f1, fixed.weighted_f1)
    assert report.sweep[0].f1["gsm8k"] == 0.0  # nothing is below 0: no error is found


@pytest.mark.slow
def test_arith_on_the_real_gsm8k_and_math_splits(tmp_path: Path) -> None:
    pb = shared_path("processbench")
    report = run_processbench(
        ArithVerifier(),
        {"gsm8k": pb / "gsm8k.json", "math": pb / "math.json"},
        tmp_path,
        batch_size=64,
    )
    g, m = report.splits["gsm8k"], report.splits["math"]
    assert (g.error_acc, g.correct_acc) == (
        15 / 207,
        193 / 193,
    )  # golden: arith flags no correct solution
    assert (m.error_acc, m.correct_acc) == (42 / 594, 406 / 406)
    assert_summary_matches(tmp_path, recompute(tmp_path, 0.5))


def test_results_of_another_prm_are_not_mixed_in(tmp_path: Path, splits: dict[str, Path]) -> None:
    run_processbench(Counting(), {"gsm8k": splits["gsm8k"]}, tmp_path / "o")

    class Other(Counting):
        @property
        def identity(self) -> str:
            return "other-prm"

    with pytest.raises(ConfigError, match="holds results of PRM"):
        run_processbench(Other(), {"gsm8k": splits["gsm8k"]}, tmp_path / "o")


def test_stale_results_are_named(tmp_path: Path, splits: dict[str, Path]) -> None:
    out = tmp_path / "o"
    run_processbench(Counting(), {"gsm8k": splits["gsm8k"]}, out)
    with (out / "gsm8k.jsonl").open("a") as fh:
        fh.write(json.dumps({"id": "nope-1", "step_scores": [1.0]}) + "\n")
    with pytest.raises(
        DataFormatError, match=r"gsm8k.jsonl:41: field 'id': stored result for an id"
    ):
        run_processbench(Counting(), {"gsm8k": splits["gsm8k"]}, out)


def test_bad_arguments(tmp_path: Path, splits: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="fit_on"):
        run_processbench(Counting(), splits, tmp_path, fit_on="omnimath")
    with pytest.raises(ConfigError, match="batch_size"):
        run_processbench(Counting(), splits, tmp_path, batch_size=0)
    with pytest.raises(DataFormatError):
        run_processbench(Counting(), {"x": tmp_path / "missing.json"}, tmp_path)


def test_cases_can_be_passed_in_memory(tmp_path: Path) -> None:
    cases = [
        ProcessBenchCase("a", "?", ("1 + 1 = 2", "2 * 2 = 5"), 1),
        ProcessBenchCase("b", "?", ("3 = 3",), -1),
    ]
    seen: list[tuple[str, int, int]] = []
    report = run_processbench(
        Counting(), {"toy": cases}, tmp_path, progress=lambda *a: seen.append(a)
    )
    assert report.splits["toy"].f1 == 1.0
    assert seen == [("toy", 0, 2), ("toy", 2, 2)]
