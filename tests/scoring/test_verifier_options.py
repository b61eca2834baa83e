"""Verifier options from the library and the command line: typed, named in the identity, refused when wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _require import need_module

from prmkit.cli import main
from prmkit.errors import ConfigError
from prmkit.scoring import load_prm
from prmkit.scoring.config import ScorerConfig
from prmkit.types import Solution, StepScores

# four-digit numbers: a wrong claim the default limits check, and max_digits=3 skips (a skip scores 1)
WRONG = Solution("Add.", ("1000 + 1000 = 3000", "So 3000."))


def _scores(prm: object) -> tuple[float, ...]:
    (res,) = prm.score([WRONG])  # type: ignore[attr-defined]
    assert isinstance(res, StepScores)
    return res.scores


def test_arith_limits_by_name_change_scores_and_identity() -> None:
    default, tight = load_prm("arith"), load_prm("arith", verifier_options={"max_digits": "3"})
    assert _scores(default) == (0.0, 1.0) and _scores(tight) == (1.0, 1.0)
    assert tight.identity != default.identity
    assert tight.limits.max_digits == 3 and tight.limits.max_work == default.limits.max_work  # type: ignore[attr-defined]


def test_sympy_and_z3_options_are_read_as_their_types() -> None:
    need_module("sympy")
    sympy = load_prm("sympy", verifier_options={"timeout_s": "2.5", "max_chars": "100"})
    assert (sympy.options.timeout_s, sympy.options.max_chars) == (2.5, 100)  # type: ignore[attr-defined]
    assert sympy.identity != load_prm("sympy").identity
    need_module("z3")
    assert load_prm("z3", verifier_options={"timeout_ms": "500"}).options.timeout_ms == 500  # type: ignore[attr-defined]


def test_in_a_combination_a_prefix_names_the_verifier() -> None:
    need_module("sympy")
    both = load_prm(
        "sympy+arith", verifier_options={"sympy.timeout_s": "2", "arith.max_digits": "3"}
    )
    sympy, arith = both.scorers  # type: ignore[attr-defined]
    assert sympy.options.timeout_s == 2.0 and arith.limits.max_digits == 3
    with pytest.raises(
        ConfigError,
        match=r"z3.timeout_ms name no verifier of this PRM \(its verifiers: arith, sympy\)",
    ):
        load_prm("sympy+arith", verifier_options={"z3.timeout_ms": "1"})


@pytest.mark.parametrize(
    ("prm", "options", "message"),
    [
        (
            "arith",
            {"timeout_s": "2"},
            r"the arith verifier has no option timeout_s \(options: max_binomial",
        ),
        ("arith", {"max_digits": "many"}, r"option max_digits takes a int, got 'many'"),
        ("arith", {"max_digits": "0"}, r"max_digits must be an integer >= 1, got 0"),
        ("prmkit-prm", {"timeout_s": "2"}, r"'prmkit-prm' is not a model-free verifier"),
    ],
)
def test_wrong_options_are_refused_by_name(prm: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_prm(prm, verifier_options=options)


def test_the_command_line_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"id": "w", "problem": WRONG.problem, "steps": list(WRONG.steps)}) + "\n"
    )
    argv = ["score", "--prm", "arith", "--no-cache", "--input", str(tmp_path / "in.jsonl")]
    assert main([*argv, "--output", str(tmp_path / "a.jsonl")]) == 0
    assert (
        main([*argv, "--output", str(tmp_path / "b.jsonl"), "--verifier-option", "max_digits=3"])
        == 0
    )
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.jsonl", "b.jsonl"))
    assert (a["step_scores"], b["step_scores"]) == ([0.0, 1.0], [1.0, 1.0])
    capsys.readouterr()
    assert (
        main([*argv, "--output", str(tmp_path / "c.jsonl"), "--verifier-option", "max_digits"]) == 2
    )
    assert "verifier_option takes KEY=VALUE, got 'max_digits'" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="verifier_option takes KEY=VALUE"):
        ScorerConfig(prm="arith", verifier_option=("=3",))
