"""The sympy verifier: golden verdicts on correct and subtly wrong steps, its limits, its timeout, its identity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _require import need_module

from prmkit.errors import ConfigError
from prmkit.scoring import load_prm
from prmkit.scoring._sympy_claims import find_claims
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.catalog import get_spec
from prmkit.scoring.symbolic import SympyOptions, SympyVerifier, check_steps, scorer_for_spec
from prmkit.types import ScoreFailure, Solution, StepScores

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module", autouse=True)
def _sympy() -> None:
    need_module("sympy")
    need_module("latex2sympy2_extended")


# (problem, steps, the verdicts of each step's claims in order)
GOLDEN: list[tuple[str, list[str], list[list[str]]]] = [
    # simplification and expansion
    ("", [r"$(x+1)^2 = x^2+2x+1$"], [["pass"]]),
    ("", [r"$(x+1)^2 = x^2+x+1$"], [["fail"]]),  # wrong expansion
    ("", [r"$(a+b)^2 = a^2 + b^2$"], [["fail"]]),
    ("", [r"$(a-b)(a+b) = a^2 - b^2$"], [["pass"]]),
    ("", ["x - (x - 3) = -3"], [["fail"]]),  # sign error
    ("", [r"\(2(x+3) = 2x + 6\)", r"\(2(x+3) = 2x + 5\)"], [["pass"], ["fail"]]),
    ("", [r"$\frac{2x+4}{2} = x + 2$", r"$\frac{2x+4}{2} = x + 4$"], [["pass"], ["fail"]]),
    ("", [r"$\frac{x^2-1}{x-1} = x + 1$"], [["pass"]]),
    # chains a = b = c
    ("", [r"$x^2 - 4 = (x-2)(x+2) = x^2 + 4$"], [["pass", "fail"]]),
    ("", ["So y = 3 + 4 = 7."], [["skip", "pass"]]),  # y is defined, then 3 + 4 = 7 checked
    # solving, with the earlier steps' equations carried forward
    ("Solve 2x + 3 = 7.", ["2x = 4", "x = 2"], [["pass"], ["pass"]]),
    ("Solve 2x + 3 = 7.", ["2x = 4", "x = 3"], [["pass"], ["fail"]]),  # wrong solve
    ("Solve 2x + 3 = 7.", ["2x = 10"], [["fail"]]),  # sign error moving 3 across
    ("", ["Let 3x - 2 = 2x + 5.", "Then x = 7.", "So 3x = 21."], [["skip"], ["pass"], ["pass"]]),
    (
        "",
        ["We have y = 2x + 3 and x = 4", "so y = 11", "and y = 12"],
        [["skip", "skip"], ["pass"], ["fail"]],
    ),
    ("", ["x^2 = 9", "so x = 3", "or x = -3", "x = 4"], [["skip"], ["pass"], ["pass"], ["fail"]]),
    (
        "",
        ["n = 1 gives 3", "n = 2 gives 6"],
        [["skip"], ["skip"]],
    ),  # a name assigned again: a new case
    (
        "",
        ["y = 8", "y = 24", "so 2y = 10"],
        [["skip"], ["skip"], ["skip"]],
    ),  # and nothing more about it is decided
    # an if / case / not sentence: checked, but it neither fixes a value nor contradicts one
    (
        "Solve 2x + 3 = 7.",
        ["If x = 3, then 2x + 3 = 9.", "So x = 2."],
        [["skip", "skip"], ["pass"]],
    ),
    ("", ["We see $y = 8$ is not a root.", "$y = 3$", "$2y = 6$"], [["skip"], ["skip"], ["pass"]]),
    # numbers in LaTeX, with the precision they are written to
    ("", [r"\(\frac{10}{3} = 3.33\)", r"\(\frac{10}{3} = 3.5\)"], [["pass"], ["fail"]]),
    (
        "",
        [r"\( 1/3 \times 18 = 6 \) flamingos", r"\[ \frac{40}{5} = 3 \text{ dollars} \]"],
        [["pass"], ["fail"]],
    ),
    (
        "",
        [r"$\sqrt{2} = 1.41$", r"$\sqrt{16} = 4$", r"$3(12) = 36$"],
        [["pass"], ["pass"], ["pass"]],
    ),
    ("", [r"$$ \text{Total} = 3 + 4 = 8 $$"], [["fail"]]),  # the label is not a side
    # read nothing: prose numbers (arith's), money, units, functions, inequalities
    ("", ["He pays $3 * 4 = $12 and $5."], [[]]),
    ("", [r"\(2 \text{ hours} = 120 \text{ minutes}\)"], [[]]),
    ("", ["3 + 4 = 8 apples", "x = 2 y", "f(x) = 2x", r"$x \le 3 = y$"], [[], [], [], []]),
]


@pytest.mark.parametrize(
    ("problem", "steps", "verdicts"), GOLDEN, ids=[" | ".join(s)[:50] for _, s, _ in GOLDEN]
)
def test_golden_verdicts(problem: str, steps: list[str], verdicts: list[list[str]]) -> None:
    got = check_steps(problem, steps)
    assert [[c.verdict for c in cs] for cs in got] == verdicts


def test_reasons_name_the_values() -> None:
    ((fail,),) = check_steps("", ["$(x+1)^2 = x^2+x+1$"])
    assert fail.reason == "not an identity: (x+1)^2 - (x^2+x+1) = x"
    _, (solve,) = check_steps("Solve 2x + 3 = 7.", ["2x = 4", "x = 3"])
    assert solve.reason == "the earlier equations give x = 2, where x != 3"
    ((num,),) = check_steps("", [r"\[ \frac{40}{5} = 3 \]"])
    assert num.reason == r"\frac{40}{5} = 8, not 3"


def test_claims_are_found_in_latex_and_in_prose_with_variables() -> None:
    claims = find_claims(r"So $(x+1)^2 = x^2+2x+1$, and 2x + 3 = 7 gives x = 2; 3 + 4 = 7 apples.")
    assert [(c.fmt, c.sides) for c in claims] == [
        ("latex", ("(x+1)^2", "x^2+2x+1")),
        ("plain", ("2*x + 3", "7")),
        ("plain", ("x", "2")),
    ]


def test_limits_skip_before_sympy_sees_the_claim() -> None:
    (exp,), (digits,), (long,) = check_steps(
        "",
        ["$2^{99999999999} = 5$", "$" + "9" * 80 + " = 5$", "$" + "+".join(["x"] * 300) + " = 3$"],
    )
    assert (exp.verdict, exp.reason) == ("skip", "limit: exponent 99999999999 beyond 1000")
    assert (digits.verdict, digits.reason) == ("skip", "limit: a number with more than 60 digits")
    assert (long.verdict, long.reason) == ("skip", "limit: longer than 400 characters")
    ((fact,),) = check_steps("", ["$5000! = 3$"])
    assert fact.verdict == "skip" and fact.reason.startswith("limit: factorial")


def test_nothing_escapes_from_garbage() -> None:
    nested = "$" + "(" * 300 + "x" + ")" * 300 + " = 2$"
    steps = [
        r"$\frac{ = }$",
        "$= = =$",
        nested,
        "x" * 100_000 + " = 1",
        "((((x = 1",
        r"$\sqrt[}{] = 1$",
    ]
    got = check_steps("", steps)
    assert len(got) == len(steps)
    assert all(c.verdict == "skip" for cs in got for c in cs)


def test_claim_finding_is_one_linear_pass_over_unclosed_delimiters() -> None:
    # quadratic scanning would take minutes here; a linear one, a fraction of a second
    text = "\\(" * 20_000 + "$$" + "$x" * 5_000 + " x = " * 5_000
    assert len(find_claims(text)) < 10


def test_a_claim_over_the_time_limit_is_skipped_and_the_next_one_is_checked() -> None:
    slow = r"$(x+y+z)^{200} = (x+y+z)^{199} \cdot (x+y+z+1)$"  # minutes of sympy.simplify
    (timed_out,), (after,) = check_steps(
        "", [slow, "$6 \\times 7 = 42$"], SympyOptions(timeout_s=1.0)
    )
    assert (timed_out.verdict, timed_out.reason) == ("skip", "timeout")
    assert after.verdict == "pass"


def test_scorer_scores_steps_and_fails_one_solution_not_the_batch() -> None:
    prm = load_prm("sympy")
    results = prm.score(
        [
            Solution("Solve 2x + 3 = 7.", ("2x = 4", "x = 3", "The answer is 3.")),
            Solution("?", ("$1 + 1 = 2$", "  ")),
        ]
    )
    assert results[0] == StepScores((1.0, 0.0, 1.0), tokens=0)
    assert isinstance(results[1], ScoreFailure) and results[1].reason == "empty_step"


def test_combination_with_arith_takes_the_per_step_minimum() -> None:
    both = load_prm("arith+sympy")
    (result,) = both.score([Solution("?", ("2 + 2 = 5", "$(x+1)^2 = x^2+1$", "x = 4"))])
    assert result.scores == (0.0, 0.0, 1.0)


def test_identity_changes_with_options_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    base = scorer_for_spec(get_spec("sympy")).identity
    assert base == SympyVerifier().identity and base.startswith("verifier:sympy:sympy-v1-")
    assert scorer_for_spec(get_spec("sympy"), timeout_s=2.0).identity != base
    assert scorer_for_spec(get_spec("sympy"), max_exponent=10).identity != base
    monkeypatch.setattr("prmkit.scoring.symbolic.VERSION", "2")
    assert SympyVerifier().identity != base


def test_scores_are_cached_under_the_identity(tmp_path: Path) -> None:
    sol = Solution("Solve 2x + 3 = 7.", ("2x = 4", "x = 3"))
    cached = CachedScorer(SympyVerifier(), tmp_path / "scores.sqlite")
    assert cached.score([sol])[0] == cached.score([sol])[0] == StepScores((1.0, 0.0))
    assert (cached.calls, cached.hits) == (1, 1)
    other = CachedScorer(
        SympyVerifier(options=SympyOptions(timeout_s=2.0)), tmp_path / "scores.sqlite"
    )
    other.score([sol])
    assert (other.calls, other.hits) == (1, 0)


def test_unknown_options_and_bad_bounds_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="no option timeout"):
        scorer_for_spec(get_spec("sympy"), timeout=1)
    with pytest.raises(ConfigError, match="max_digits must be > 0"):
        load_prm("sympy", max_digits=0)


def test_score_command_runs_a_combination_with_sympy(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "problem": "Solve 2x + 3 = 7.", "steps": ["2x = 4", "x = 3"]},
        {"id": "b", "problem": "?", "steps": ["$(x+1)^2 = x^2+2x+1$", "2 + 2 = 5"]},
    ]
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "prmkit",
            "score",
            "--prm",
            "arith+sympy",
            "--input",
            "in.jsonl",
            "--output",
            "out.jsonl",
            "--cache",
            "scores.sqlite",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    got = [
        json.loads(line)["step_scores"]
        for line in (tmp_path / "out.jsonl").read_text().splitlines()
    ]
    assert got == [[1.0, 0.0], [1.0, 0.0]]  # sympy's wrong solve, arith's 2 + 2 = 5
