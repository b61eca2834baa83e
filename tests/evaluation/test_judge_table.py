"""scripts/judge_table.py: the README's judge table from per-case run files (fixed and fitted thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "judge_table.py"


def _run(
    folder: Path, split: str, cases: list[tuple[int, list[float] | None]], judge: bool
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (label, scores) in enumerate(cases):
        pred = None if scores is None else next((k for k, s in enumerate(scores) if s < 0.5), -1)
        rec = {
            "id": f"{split}-{i}",
            "label": label,
            "pred": pred,
            "step_scores": scores,
            "threshold": 0.5,
        }
        if judge:
            rec["judge"] = {
                "texts": ["t"],
                "verdicts": ["1" if scores else "error: missing"],
                "prompt_tokens": 100 + i,
                "generated_tokens": 3,
                "seconds": 2.0,
            }
        lines.append(json.dumps(rec))
    (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n")


def test_rows_fixed_and_fitted(tmp_path: Path) -> None:
    # gsm8k: two erroneous cases found at 0.5, one correct case flagged, one fine -> error 100, correct 50
    _run(
        tmp_path / "a-judge",
        "gsm8k",
        [(1, [0.9, 0.4]), (0, [0.3, 0.9]), (-1, [0.9, 0.45]), (-1, [0.9, 0.9])],
        True,
    )
    _run(tmp_path / "a-judge", "math", [(0, [0.2]), (-1, None)], True)
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "a-judge")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[2] == (
        "| a-judge | gsm8k | 0.5 | 4 (2 + 2) | 100.0 | 50.0 | 66.7 [0.0, 100.0] | 0 | 102 + 3 | 2.0 | 0/4 |"
    )
    assert (
        out[3]
        == "| a-judge | math | 0.5 | 2 (1 + 1) | 100.0 | 0.0 | 0.0 [0.0, 0.0] | 1 | 100 + 3 | 2.0 | 1/2 |"
    )
    fitted = subprocess.run(
        [sys.executable, str(SCRIPT), "--fit-on", "gsm8k", str(tmp_path / "a-judge")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # the best gsm8k threshold lies between 0.4 and 0.45: every case right there
    assert fitted[2].startswith(
        "| a-judge (τ fitted on gsm8k) | gsm8k | 0.425 | 4 (2 + 2) | 100.0 | 100.0 | 100.0 "
    )


def test_common_keeps_the_cases_every_run_has(tmp_path: Path) -> None:
    _run(tmp_path / "long", "gsm8k", [(1, [0.9, 0.4]), (-1, [0.9, 0.9]), (0, [0.9, 0.9])], False)
    _run(tmp_path / "short", "gsm8k", [(1, [0.9, 0.4]), (-1, [0.9, 0.9])], True)
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--common",
            "--splits",
            "gsm8k",
            str(tmp_path / "long"),
            str(tmp_path / "short"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert [line.split(" | ")[3] for line in out[2:]] == ["2 (1 + 1)", "2 (1 + 1)"]
    assert (
        out[2].split(" | ")[6].startswith("100.0 ")
    )  # long's third case (missed) is not in the common set
