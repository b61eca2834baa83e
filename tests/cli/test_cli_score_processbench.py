"""``prmkit score`` and ``prmkit eval processbench``, run in-process and as ``python -m prmkit``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prmkit.cli import main


def write_jsonl(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


INPUTS = [
    {"id": "a", "problem": "?", "steps": ["2 + 2 = 4", "4 * 3 = 13"], "source": "toy"},
    {"problem": "?", "steps": ["1 + 1 = 2"]},
    {"id": 7, "problem": "?", "steps": ["", "1 = 1"]},
]


def test_score_writes_inputs_plus_scores_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = write_jsonl(tmp_path / "in.jsonl", INPUTS), tmp_path / "out.jsonl"
    assert (
        main(
            [
                "score",
                "--prm",
                "arith",
                "--input",
                str(src),
                "--output",
                str(out),
                "--batch-size",
                "2",
            ]
        )
        == 0
    )
    rows = read_jsonl(out)
    assert len(rows[0].pop("content_key")) == 16  # what the line was computed from (a resume checks it)
    assert rows[0] == {**INPUTS[0], "step_scores": [1.0, 0.0], "tokens": 0}
    assert rows[1]["id"] == "line-2" and rows[1]["step_scores"] == [1.0]
    assert rows[2]["id"] == "7" and rows[2]["failure"]["reason"] == "empty_step"
    assert "scored 3 (1 failed), skipped 0" in capsys.readouterr().err

    write_jsonl(src, [*INPUTS, {"id": "b", "problem": "?", "steps": ["5 - 2 = 3"]}])
    assert main(["score", "--prm", "arith", "--input", str(src), "--output", str(out)]) == 0
    assert [r["id"] for r in read_jsonl(out)] == ["a", "line-2", "7", "b"]
    assert "scored 1 (0 failed), skipped 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"problem": "?", "steps": "2 + 2 = 4"}, "in.jsonl:2: field 'steps'"),
        ({"problem": "?", "steps": ["ok", 5]}, "in.jsonl:2: field 'steps[1]'"),
        ({"steps": ["ok"]}, "in.jsonl:2: field 'problem': field required"),
        ({"id": "x", "problem": "?", "steps": ["ok"]}, "in.jsonl:2: field 'id': duplicate id"),
    ],
)
def test_score_rejects_bad_input_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: dict[str, Any], where: str
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "x", "problem": "?", "steps": ["1 = 1"]}, bad])
    code = main(
        ["score", "--prm", "arith", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]
    )
    err = capsys.readouterr().err
    assert (
        code == 2 and where in err and err.startswith("prmkit: error: ") and "Traceback" not in err
    )
    assert not (tmp_path / "o.jsonl").exists()  # nothing is scored before the whole input is valid


def test_unknown_prm_is_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", INPUTS)
    assert (
        main(["score", "--prm", "arithh", "--input", str(src), "--output", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("prmkit: error: unknown PRM 'arithh'; did you mean 'arith'?")
    assert len(err.strip().splitlines()) == 1


def pb_split(path: Path, n: int) -> Path:
    recs = []
    for i in range(n):
        wrong = i % 3 == 0
        recs.append(
            {
                "id": f"s-{i}",
                "generator": "g",
                "problem": "?",
                "steps": [f"{i} + 1 = {i + 1}", f"{i} * 2 = {2 * i + wrong}"],
                "final_answer_correct": not wrong,
                "label": 1 if wrong else -1,
            }
        )
    path.write_text(json.dumps(recs))
    return path


def test_eval_processbench_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = pb_split(tmp_path / "gsm8k.json", 9), pb_split(tmp_path / "extra.json", 4)
    code = main(
        [
            "eval",
            "processbench",
            "--prm",
            "arith",
            "--data",
            str(a),
            "--split",
            f"other={b}",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[1] == "threshold: 0.5 (fixed)"
    assert out[2].split() == ["split", "n", "failed", "error_acc", "correct_acc", "F1"]
    assert out[3].split() == ["gsm8k", "9", "0", "100.0", "100.0", "100.0"]
    assert out[4].split() == ["other", "4", "0", "100.0", "100.0", "100.0"]
    assert out[5] == "mean F1 (paper: unweighted mean over splits): 100.0"
    assert out[6] == "weighted F1 (by split size, not the paper's): 100.0"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert set(summary["splits"]) == {"gsm8k", "other"}


def test_eval_processbench_fit_and_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = pb_split(tmp_path / "gsm8k.json", 6)
    assert (
        main(
            [
                "eval",
                "processbench",
                "--prm",
                "arith",
                "--data",
                str(a),
                "--out",
                str(tmp_path / "f"),
                "--fit-on",
                "gsm8k",
            ]
        )
        == 0
    )
    assert "threshold: 0.5 (fitted on gsm8k)" in capsys.readouterr().out
    assert (
        main(
            [
                "eval",
                "processbench",
                "--prm",
                "arith",
                "--data",
                str(a),
                "--out",
                str(tmp_path / "s"),
                "--sweep",
                "--grid",
                "0",
                "0.5",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    i = lines.index("F1 (%) by threshold")
    assert [row.split() for row in lines[i + 1 :]] == [
        ["threshold", "gsm8k", "mean", "weighted"],
        ["0", "0.0", "0.0", "0.0"],
        ["0.5", "100.0", "100.0", "100.0"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prm", "arith", "--out", "o"], "no data"),
        (["--prm", "arith", "--out", "o", "--split", "nameonly"], "NAME=PATH"),
        (
            ["--prm", "arith", "--out", "o", "--data", "missing.json"],
            "missing.json: file not found",
        ),
        (["--prm", "arith", "--out", "o", "--data", "x.json", "--grid", "0.1"], "--grid needs"),
    ],
)
def test_eval_processbench_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "processbench", *args]) == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_prmkit(tmp_path: Path) -> None:
    a = pb_split(tmp_path / "gsm8k.json", 5)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "prmkit",
            "eval",
            "processbench",
            "--prm",
            "arith",
            "--data",
            str(a),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "gsm8k      5       0      100.0        100.0  100.0" in proc.stdout
    assert "5/5" in proc.stderr  # the progress bar goes to stderr
    bad = subprocess.run(
        [sys.executable, "-m", "prmkit", "score", "--prm", "nope", "--input", "x", "--output", "y"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and "prmkit: error:" in bad.stderr


def _pb_records(rows: list[tuple[list[str], int]]) -> list[dict[str, Any]]:
    return [{"id": f"m-{i}", "generator": "g", "problem": "?", "steps": steps, "final_answer_correct": label == -1,
             "label": label} for i, (steps, label) in enumerate(rows)]


# arith marks a step wrong exactly when it states a false equation: it finds 3 of these 4 errors (the
# unchecked "13 apples" it misses) and passes 4 of these 5 correct cases (it flags the one whose label says
# correct though it states 5 * 3 = 16)
MIXED = [
    (["2 + 3 = 5", "5 * 2 = 11"], 1),
    (["4 + 4 = 9", "9 - 1 = 8"], 0),
    (["1 + 1 = 3"], 0),
    (["6 * 2 = 12", "So there are 13 apples."], 1),
    (["3 + 4 = 7", "7 * 2 = 14"], -1),
    (["9 - 4 = 5"], -1),
    (["The answer is 12."], -1),
    (["5 * 3 = 16", "The answer is 16."], -1),
    (["8 / 2 = 4"], -1),
]
# 1 of 2 errors found (the first), all 3 correct cases passed
OTHER = [
    (["7 + 1 = 9"], 0),
    (["2 * 2 = 4", "It doubles again to 9."], 1),
    (["1 + 2 = 3"], -1),
    (["6 / 3 = 2"], -1),
    (["10 - 1 = 9"], -1),
]


def test_eval_processbench_table_columns_hold_their_own_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Error and correct accuracies differ on every row, so a swapped or misplaced column is caught."""
    a, b = tmp_path / "gsm8k.json", tmp_path / "other.json"
    a.write_text(json.dumps(_pb_records(MIXED)))
    b.write_text(json.dumps(_pb_records(OTHER)))
    args = ["eval", "processbench", "--prm", "arith", "--data", str(a), "--split", f"other={b}",
            "--out", str(tmp_path / "out"), "--no-cache"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].split() == ["split", "n", "failed", "error_acc", "correct_acc", "F1"]
    # F1 = 2 * 75 * 80 / (75 + 80) = 77.42; 2 * 50 * 100 / 150 = 66.67
    assert out[3].split() == ["gsm8k", "9", "0", "75.0", "80.0", "77.4"]
    assert out[4].split() == ["other", "5", "0", "50.0", "100.0", "66.7"]
    assert out[5] == "mean F1 (paper: unweighted mean over splits): 72.0"  # (77.42 + 66.67) / 2 = 72.04
    assert out[6] == "weighted F1 (by split size, not the paper's): 73.6"  # (9 * 77.42 + 5 * 66.67) / 14 = 73.58
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    got = {name: (s["error_acc"], s["correct_acc"]) for name, s in summary["splits"].items()}
    assert got == {"gsm8k": (0.75, 0.8), "other": (0.5, 1.0)}
