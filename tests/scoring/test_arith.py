"""The arith verifier: a golden table of true claims, false claims and non-claims."""

from __future__ import annotations

import json

import pytest
from _shared_data import shared_path

from prmkit.errors import ConfigError
from prmkit.scoring import load_prm, score
from prmkit.scoring.arith import ArithVerifier, check_step, scorer_for_spec, step_is_correct
from prmkit.scoring.catalog import get_spec
from prmkit.types import ScoreFailure, Solution, StepScores

# (step text, verdicts of the claims found, in order). "true"/"false": checked; "skip": found, not decidable.
TRUE_CLAIMS = [
    ("6 / 3 = 2", ["true"]),
    (r"Since there were 18 flamingos, \(1/3 \times 18 = 6\) flamingos are taken back.", ["true"]),
    ("She uses 48/2 = <<48/2=24>>24 cups.", ["true", "true"]),
    ("Total cost = $3.5 * 4000 = $14,000.", ["true"]),
    (r"\frac{3}{4} \cdot \frac{2}{5} = \frac{6}{20} = \frac{3}{10}", ["true", "true"]),
    (r"\(\dfrac{10}{4} = 2.5\)", ["true"]),
    ("20% of 50 = 10", ["true"]),
    ("So 1/4 = 25%.", ["true"]),
    ("Each gets 10/3 = 3.33 liters.", ["true"]),  # rounded to the precision written
    ("They need 10/3 = 4 buses.", ["true"]),  # rounded up: an integer neighbour of the exact value
    (r"\((2 + 3) \times 4 = 20\)", ["true"]),
    ("1,234 + 766 = 2,000", ["true"]),
    ("The change is -3 + 5 = 2 degrees.", ["true"]),
    ("The bags weigh 5kg + 3kg = 8kg.", ["true"]),
    (r"$3^2 + 4^2 = 9 + 16 = 25$", ["true", "true"]),
    (r"\(\sqrt{16} = 4\) and \(\sqrt[3]{27} = 3\)", ["true", "true"]),
    (r"$\binom{5}{2} = 10$ ways", ["true"]),
    ("There are 5! = 120 orders.", ["true"]),
    ("He buys 3 x 4 = 12 eggs.", ["true"]),
    ("He earns 2.5 hours * $20/hour = $50.", ["true"]),
    ("About 0.33 * 300 = 100 students.", ["true"]),  # 0.33 may itself be a rounded third
    (r"\[ 8 \text{ pounds} + 4 \text{ pounds} = 12 \text{ pounds} \]", ["true"]),
    ("After the discount: $50 - 20% = $40.", ["true"]),  # 50 reduced by 20%
    (r"\(\sqrt{2} = 1.414\)", ["true"]),  # irrational: a rigorous interval
    ("One third of them: 1/3 of 18 = 6.", ["true"]),
    ("Her speed is 4 \\cdot 3 = 12 miles per hour.", ["true"]),
    ("x = 5 + 3 = 8", ["true"]),
    (
        "It takes 140/60=<<140/60=2.3333333333333335>>2.33 hours.",
        ["true", "true"],
    ),  # a float rendering
    ("Then 3 + 4 = 7, and 7 * 2 = 14.", ["true", "true"]),
]
FALSE_CLAIMS = [
    ("Amount of expired milk = 2/5 * 4000 = 800 gallons.", ["false"]),
    ("10/3 = 3.5", ["false"]),  # 3.5 is not 10/3 rounded to one decimal
    ("20% of 50 = 12", ["false"]),
    (r"\[ \frac{40}{5} = 3 \text{ dollars} \]", ["false"]),
    ("2.5 * 4 = 11", ["false"]),  # exact result is an integer: no rounding excuse
    ("So 3 + 4 = 7 = 8 - 2.", ["true", "false"]),
    (r"\[A = \sqrt{24 \cdot 14 \cdot 7 \cdot 3} = \sqrt{6336}\]", ["false"]),
    ("He makes <<5*4=21>>21 pies.", ["false"]),
    ("52,500 + 11,250 + 67,500 = 129,250", ["false"]),
    ("$2^{10} = 1000$", ["false"]),
    (r"\(7 \times 70 - 40 = 470 - 40\)", ["false"]),
    ("-3 + 5 = -2", ["false"]),
    ("After the discount: $50 - 20% = $45.", ["false"]),  # no reading of the percentage gives 45
    (r"\(\sqrt{2} = 1.6\)", ["false"]),  # 1.4 or 1.5 would be the one-decimal neighbours
    ("5 apples + 3 apples = 9 apples", ["false"]),
]
NON_CLAIMS = [
    ("Solve 2x + 3 = 7 for x.", []),
    ("x - 3 = 7", []),
    ("The meeting ran 3-5 = 2 hours.", []),  # 3-5 is a range, not a subtraction
    ("The ratio of boys to girls is 3:2 = 5 parts.", []),
    ("From 2019-2021 = 2 years.", []),
    ("1 hour = 60 minutes", ["skip"]),  # a unit conversion between two bare numbers
    ("It takes 2 hours + 30 minutes = 150 minutes.", ["skip"]),  # different units are not added
    (r"\(17 \equiv 2 \pmod{5}\) because 3 + 4 = 2 \pmod 5", []),
    (r"\(\log_2 8 = 3\)", []),
    (r"\(\sin 30^\circ = 0.5\)", []),
    (r"\(2\frac{1}{2} = 2.5\)", []),  # a mixed number is not read
    (r"\[ 11! = 11 \times 10! \]", []),  # "10!" closes the side: not read
    ("Day 1 * 2 = 20 pages", []),  # "Day 1" names a day
    ("The answer is 120!", []),
    ("25 / 1/3 = 75", ["skip"]),  # true when 1/3 is read as one number
    ("3 + 4 * 2 = 14", ["skip"]),  # true only left to right: not reported
    ("10 - 3 = 7 * 2 = 14", ["skip", "true"]),  # a running calculation: 7 continues from 10 - 3
    ("Time to heat up to 400 degrees = 20 + 8", ["skip"]),  # the 400 names the quantity
    ("f(3) = 3^2 + 1 = 10", ["true"]),
    ("The point (3, 4) = (1 + 2, 4)", []),
]
GOLDEN = TRUE_CLAIMS + FALSE_CLAIMS + NON_CLAIMS


def test_the_golden_table_is_large_enough() -> None:
    assert len(GOLDEN) >= 40


@pytest.mark.parametrize(("text", "verdicts"), GOLDEN, ids=[t[:40] for t, _ in GOLDEN])
def test_golden_claims(text: str, verdicts: list[str]) -> None:
    assert [c.verdict for c in check_step(text)] == verdicts
    assert step_is_correct(text) == ("false" not in verdicts)


# Real ProcessBench GSM8K steps (loaded from the shared data): (id, step index, step has a false claim).
REAL_STEPS = [
    (
        "gsm8k-0",
        1,
        False,
    ),  # 1/3 x 18 = 6, 18 - 6 = 12, 12 + 6 = 18: true; the step's error is not arithmetic
    ("gsm8k-1", 1, False),  # \text{} units between numbers
    ("gsm8k-2", 1, True),  # 2/5 * 4000 = 800
    ("gsm8k-2", 2, False),
    ("gsm8k-5", 2, True),  # 495 * 15 = 7455
    ("gsm8k-30", 0, False),  # "Time to heat up to 400 degrees = 20 + 8"
    ("gsm8k-34", 3, True),
    ("gsm8k-40", 1, True),  # 194 * 490 = 94,860
    ("gsm8k-83", 1, False),  # "after 20 years = $20,000/year * 20 years = $400,000"
    ("gsm8k-141", 2, True),  # \frac{40}{5} = 3 dollars
    ("gsm8k-155", 4, False),  # labels between display blocks
]


@pytest.mark.parametrize(("case_id", "step", "has_false_claim"), REAL_STEPS)
def test_real_processbench_steps(case_id: str, step: int, has_false_claim: bool) -> None:
    cases = {r["id"]: r for r in json.loads(shared_path("processbench", "gsm8k.json").read_text())}
    assert step_is_correct(cases[case_id]["steps"][step]) is not has_false_claim


def test_false_claim_detail_names_both_values() -> None:
    (claim,) = check_step("2/5 * 4000 = 800")
    assert (claim.left, claim.right, claim.detail) == ("2 / 5 * 4000", "800", "1600 != 800")


def test_scorer_scores_each_step_and_reads_no_tokens() -> None:
    prm = load_prm("arith")
    (result,) = prm.score([Solution("?", ("6 / 3 = 2", "2 + 2 = 5", "The answer is 4."))])
    assert isinstance(result, StepScores)
    assert result.scores == (1.0, 0.0, 1.0)
    assert result.tokens == 0


def test_scorer_fails_one_solution_with_an_empty_step_not_the_batch() -> None:
    results = score("arith", [Solution("?", ("1 + 1 = 2", "  ")), Solution("?", ("1 + 1 = 3",))])
    assert isinstance(results[0], ScoreFailure) and results[0].reason == "empty_step"
    assert isinstance(results[1], StepScores) and results[1].scores == (0.0,)


def test_identity_is_stable_and_names_the_verifier() -> None:
    a, b = ArithVerifier(), scorer_for_spec(get_spec("arith"))
    assert a.identity == b.identity
    assert a.identity.startswith("verifier:arith:arith-v")


def test_backend_rejects_model_options() -> None:
    with pytest.raises(ConfigError, match=r"the arith verifier has no option model \(options: max_binomial, "):
        load_prm("arith", model="some/model")


@pytest.mark.parametrize(
    "text",
    [
        "(" * 3000 + "1" + ")" * 3000 + " = 1",
        "\\frac{" * 400 + "1" + "}{2}" * 400 + " = 3",
        "2^2^2^2^2^2 = 4",
        "1000! = 1",
        "9^{9^{9}} = 1",
        "1/0 = 5",
        "\\sqrt{-4} = 2",
    ],
)
def test_pathological_input_is_skipped_not_a_crash(text: str) -> None:
    assert step_is_correct(text)
