"""The z3 verifier: golden entailment verdicts on valid and invalid inferences, the syntax's typed errors,
Z3's timeout, the identity, and the scorer's per-solution failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from _require import need_module

from prmkit.errors import ConfigError, DataFormatError
from prmkit.scoring import load_prm
from prmkit.scoring._logic_syntax import parse_formula
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.catalog import get_spec
from prmkit.scoring.logic import FormulaError, Z3Options, Z3Verifier, check_proof, scorer_for_spec
from prmkit.types import ScoreFailure, Solution, StepScores


@pytest.fixture(scope="module", autouse=True)
def _z3() -> None:
    need_module("z3")


# (premises, steps, verdicts): each step is checked against the premises and the steps before it
GOLDEN: list[tuple[str, list[str], list[str]]] = [
    ("P -> Q\nP", ["Q"], ["pass"]),  # modus ponens
    ("P -> Q\n~Q", ["~P"], ["pass"]),  # modus tollens
    ("P -> Q\nQ", ["P"], ["fail"]),  # affirming the consequent
    ("P -> Q\n~P", ["~Q"], ["fail"]),  # denying the antecedent
    ("P | Q\n~P", ["Q"], ["pass"]),  # disjunctive syllogism
    ("P -> Q\nQ -> R", ["P -> R", "R -> P"], ["pass", "fail"]),  # chained, then converse
    ("P ∧ Q", ["Q ∧ P", "P ∨ R", "¬¬P"], ["pass", "pass", "pass"]),  # unicode connectives
    ("P <-> Q\n~Q", ["~P", "P | ~Q"], ["pass", "pass"]),
    ("P", ["Q", "Q & P"], ["fail", "pass"]),  # a wrong step is an assumption for the next ones
    # syllogisms over an uninterpreted domain
    (
        "forall x. Human(x) -> Mortal(x)\nHuman(socrates)",
        ["Mortal(socrates)", "exists y. Mortal(y)"],
        ["pass", "pass"],
    ),
    ("forall x. Human(x) -> Mortal(x)\nMortal(socrates)", ["Human(socrates)"], ["fail"]),
    (
        "forall x. A(x) -> B(x)\nforall x. B(x) -> C(x)",
        ["forall x. A(x) -> C(x)"],
        ["pass"],
    ),  # Barbara
    (
        "forall x. A(x) -> B(x)\nforall x. C(x) -> B(x)",
        ["forall x. A(x) -> C(x)"],
        ["fail"],
    ),  # undistributed middle
    ("exists x. A(x) & B(x)", ["exists x. A(x)", "forall x. A(x)"], ["pass", "fail"]),
    ("forall x, y. R(x, y) -> R(y, x)\nR(a, b)", ["R(b, a)", "R(a, a)"], ["pass", "fail"]),
    ("a = b\nP(a)", ["P(b)", "a != c"], ["pass", "fail"]),
    # a declared finite domain is closed
    ("domain: a, b\nP(a)\nP(b)", ["forall x. P(x)"], ["pass"]),
    ("domain: a, b\nP(a) | P(b)\n~P(a)", ["P(b)", "forall x. P(x)"], ["pass", "fail"]),
    (
        "domain: a, b\n# comments and blank lines are ignored\n\nforall x. x = a",
        ["a = b"],
        ["pass"],
    ),
]


@pytest.mark.parametrize(
    ("premises", "steps", "verdicts"),
    GOLDEN,
    ids=[p.replace("\n", "; ")[:40] for p, _, _ in GOLDEN],
)
def test_golden_verdicts(premises: str, steps: list[str], verdicts: list[str]) -> None:
    assert [c.verdict for c in check_proof(premises, steps)] == verdicts


def test_a_failed_step_shows_a_countermodel() -> None:
    (check,) = check_proof("P -> Q\nQ", ["P"])
    assert check.reason == "not entailed; countermodel: P = False; Q = True"
    (check,) = check_proof("domain: a, b\nP(a) | P(b)", ["P(a)"])
    assert check.reason == "not entailed; countermodel: P = [a -> False, else -> True]"


def test_undecidable_quantifiers_are_skipped_at_z3s_timeout() -> None:
    # only infinite models: an unbounded strict order; Z3 cannot refute "false" and gives up at its timeout
    premises = "forall x. exists y. R(x, y)\nforall x, y, z. R(x, y) & R(y, z) -> R(x, z)\nforall x. ~R(x, x)"
    (check,) = check_proof(premises, ["false"], Z3Options(timeout_ms=200))
    assert check.verdict == "skip" and check.reason.startswith("z3: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P &", "expected a formula at column 4, found the end"),
        ("P @ Q", "unexpected character '@' at column 3"),
        ("forall . P", "expected a variable name at column 8, found '.'"),
        ("P(a", "expected ')' at column 4, found the end"),
        ("(P", "expected ')' at column 3, found the end"),
        ("P Q", "unexpected 'Q' at column 3"),
        ("", "empty formula"),
        ("P(forall)", "expected a term at column 3, found 'forall'"),
    ],
)
def test_malformed_formulas_are_typed_errors_naming_field_and_text(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as e:
        parse_formula(text, field="steps[2]")
    assert isinstance(e.value, DataFormatError) and isinstance(e.value, ValueError)
    assert (e.value.field, e.value.value) == ("steps[2]", text)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("premises", "steps", "message"),
    [
        (
            "P\nQ ->",
            ["P"],
            "line 2: field 'problem': expected a formula at column 5, found the end (got 'Q ->')",
        ),
        (
            "P",
            ["P(a)"],
            "field 'steps[0]': 'P' is used as a predicate of arity 1 and as a proposition (got 'P(a)')",
        ),
        (
            "R(a, b)",
            ["R(a)"],
            "field 'steps[0]': 'R' is used as a predicate of arity 1 and as a predicate of arity 2",
        ),
        (
            "domain: a, b\nP(a)",
            ["P(c)"],
            "field 'steps[0]': constant 'c' is not in the domain (got 'P(c)')",
        ),
        ("domain: a, a", ["true"], "line 1: field 'problem': names must be distinct identifiers"),
        ("domain: a\ndomain: b", ["true"], "line 2: field 'problem': a second domain line"),
    ],
)
def test_bad_premises_and_signatures_are_typed_errors(
    premises: str, steps: list[str], message: str
) -> None:
    with pytest.raises(FormulaError) as e:
        check_proof(premises, steps)
    assert message in str(e.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(FormulaError, match="nested deeper than 100"):
        parse_formula("~" * 400 + "P", field="steps[0]")
    with pytest.raises(FormulaError, match="nested deeper than 100"):
        parse_formula("(" * 200 + "P" + ")" * 200, field="steps[0]")
    with pytest.raises(FormulaError, match="longer than 500 tokens"):
        parse_formula(" & ".join(["P"] * 300), field="steps[0]")
    (check,) = check_proof(
        "P", [" & ".join(["P"] * 250)]
    )  # the longest chain there is: checked, no recursion error
    assert check.verdict == "pass"


def test_scorer_scores_steps_and_fails_a_malformed_solution_alone() -> None:
    prm = load_prm("z3")
    results = prm.score(
        [
            Solution("P -> Q\nQ", ("P", "Q")),
            Solution("P -> Q", ("P &&",)),
        ]
    )
    assert results[0] == StepScores((0.0, 1.0), tokens=0)
    assert isinstance(results[1], ScoreFailure) and results[1].reason == "backend_error"
    assert "field 'steps[0]'" in results[1].detail


def test_identity_changes_with_options_and_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = scorer_for_spec(get_spec("z3")).identity
    assert base == Z3Verifier().identity and base.startswith("verifier:z3:z3-v1-")
    assert scorer_for_spec(get_spec("z3"), timeout_ms=100).identity != base
    sol = Solution("P -> Q\nP", ("Q",))
    cached = CachedScorer(Z3Verifier(), tmp_path / "scores.sqlite")
    cached.score([sol])
    cached.score([sol])
    assert (cached.calls, cached.hits) == (1, 1)
    monkeypatch.setattr("prmkit.scoring.logic.VERSION", "2")
    assert Z3Verifier().identity != base


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="no option timeout"):
        load_prm("z3", timeout=1)
    with pytest.raises(ConfigError, match="timeout_ms must be >= 1"):
        Z3Options(timeout_ms=0)
