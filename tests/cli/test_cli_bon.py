"""``prmkit eval bon`` end to end: the documented example, outputs, settings and errors."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from prmkit.cli import main

REPO = Path(__file__).resolve().parents[2]


def _doc_example() -> tuple[list[str], str]:
    text = (REPO / "docs" / "bon.md").read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    cmd = []
    while True:
        line = lines.pop(0)
        cmd.append(line.removeprefix("$ ").rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    argv = shlex.split(" ".join(cmd))
    assert argv[0] == "prmkit"
    return argv[1:], "\n".join(lines) + "\n"


def test_documented_example_output(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = _doc_example()
    root = shared_data
    argv = [a.replace("../shared/data", str(root)) for a in argv]
    argv[argv.index("--out") + 1] = str(tmp_path / "bon")
    assert main(argv) == 0
    assert capsys.readouterr().out == expected
    doc = json.loads((tmp_path / "bon" / "bon.json").read_text(encoding="utf-8"))
    at8 = {(r["selector"], r["n"]): r["accuracy"] for r in doc["results"]}
    assert (at8[("best_of_n", 8)], at8[("majority", 8)], at8[("pass_at_n", 8)]) == (
        0.94,
        0.93,
        0.96,
    )
    assert {"selector", "aggregator", "n", "accuracy", "ci_low", "ci_high"} <= set(
        doc["results"][0]
    )
    assert (tmp_path / "bon" / "accuracy_vs_n.png").stat().st_size > 1000
    assert (tmp_path / "bon" / "accuracy_vs_n.svg").stat().st_size > 1000


def test_registered_under_eval() -> None:
    from prmkit.cli import build_parser
    from prmkit.cli._config_args import config_from_args
    from prmkit.evaluation.config import BonRunConfig

    args = build_parser().parse_args(["eval", "bon", "--candidates", "x.jsonl", "--ns", "1,2"])
    cfg = config_from_args(BonRunConfig, args)
    assert (args.command, args.benchmark, cfg.bon.ns, cfg.scorer.prm) == ("eval", "bon", (1, 2), None)


def test_stand_alone_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from prmkit.cli._bon import main as bon_main

    argv = [
        "eval",
        "bon",
        "--candidates",
        str(_cands(tmp_path)),
        "--selectors",
        "majority",
        "--quiet",
        "--bootstrap",
        "0",
    ]
    assert bon_main(argv) == 0
    assert "majority" in capsys.readouterr().out


def _cands(tmp_path: Path) -> Path:
    # c0 wrong: min .2 / last .95; c1 right: min .6 / last .7; c2 wrong: low
    rec = {
        "problem": "?",
        "reference": "2",
        "candidates": [
            {"steps": ["a", "b"], "answer": "1", "step_scores": [0.2, 0.95]},
            {"steps": ["a", "b"], "answer": "2.0", "step_scores": [0.6, 0.7]},
            {"steps": ["a", "b"], "answer": "3", "step_scores": [0.1, 0.1]},
        ],
    }
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    return path


def test_aggregators_reach_the_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    argv = [
        "eval",
        "bon",
        "--candidates",
        str(_cands(tmp_path)),
        "--scores-from-file",
        "--aggregators",
        "min,last",
        "--selectors",
        "best_of_n,wrfv",
        "--ns",
        "3",
        "--no-plot",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    rows = json.loads((out / "bon.json").read_text(encoding="utf-8"))["results"]
    got = {(r["selector"], r["aggregator"]): r["accuracy"] for r in rows}
    assert got == {
        ("best_of_n", "min"): 1.0,
        ("best_of_n", "last"): 0.0,
        ("wrfv:0.5", "min"): 1.0,
        ("wrfv:0.5", "last"): 0.0,
    }
    assert not (out / "accuracy_vs_n.png").exists()
    assert "best_of_n  min" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scores-from-file", "--prm", "arith"], "not both"),
        (["--scores-from-file", "--aggregators", "mni"], "did you mean 'min'"),
        (["--scores-from-file", "--selectors", "hmrv:2"], "threshold must be in"),
        (["--scores-from-file", "--ns", "1,x"], "--ns must be comma-separated integers"),
        (["--scores-from-file", "--ns", "4"], "exceeds the smallest candidate count"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    sel = [] if "--selectors" in extra else ["--selectors", "best_of_n"]
    assert (
        main(["eval", "bon", "--candidates", str(_cands(tmp_path)), "--quiet", *sel, *extra]) == 2
    )
    assert message in capsys.readouterr().err


def test_malformed_candidates_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"problem": "p", "candidates": [{"steps": ["a"], "correct": "yes"}]}\n', encoding="utf-8"
    )
    assert main(["eval", "bon", "--candidates", str(path), "--quiet"]) == 2
    assert "bad.jsonl:1: field 'candidates.0.correct'" in capsys.readouterr().err


def test_without_scores_runs_votes_and_grades(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "eval",
        "bon",
        "--candidates",
        str(_cands(tmp_path)),
        "--selectors",
        "majority,pass_at_n",
        "--quiet",
        "--bootstrap",
        "0",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "scores: none" in out
    assert re.search(
        r"pass_at_n\s+-\s+3\s+100\.00", out
    )  # "2.0" is graded equal to the reference "2"
    assert re.search(r"majority\s+-\s+1\s+33\.33", out)


def test_score_based_selectors_default_to_the_default_prm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "eval",
        "bon",
        "--candidates",
        str(_cands(tmp_path)),
        "--selectors",
        "best_of_n",
        "--quiet",
        "--bootstrap",
        "0",
    ]
    from prmkit.scoring import DEFAULT_PRM

    assert main(argv) == 0
    assert f"scores: PRM {DEFAULT_PRM}" in capsys.readouterr().out


def test_prm_scoring_and_saved_scores_agree(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    small = tmp_path / "gsm8k20.jsonl"
    small.write_text(
        "".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:20]), encoding="utf-8"
    )
    common = ["--selectors", "best_of_n,majority", "--aggregators", "min", "--quiet", "--no-plot"]
    assert (
        main(
            [
                "eval",
                "bon",
                "--candidates",
                str(small),
                "--prm",
                "arith",
                "--save-scored",
                str(tmp_path / "s.jsonl"),
                "--out",
                str(tmp_path / "a"),
                *common,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "eval",
                "bon",
                "--candidates",
                str(tmp_path / "s.jsonl"),
                "--scores-from-file",
                "--out",
                str(tmp_path / "b"),
                *common,
            ]
        )
        == 0
    )
    a = json.loads((tmp_path / "a" / "bon.json").read_text(encoding="utf-8"))["results"]
    b = json.loads((tmp_path / "b" / "bon.json").read_text(encoding="utf-8"))["results"]
    assert [r["accuracy"] for r in a] == [r["accuracy"] for r in b]
