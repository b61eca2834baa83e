"""Combining scorers per step: min and product, failures, identity, name parsing."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.scoring import BACKENDS, SPECS, Scorer, ScorerInfo, load_prm
from prmkit.scoring.arith import ArithVerifier
from prmkit.scoring.combine import Combined, split_combination
from prmkit.scoring.load import parse_combination
from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreFailure, ScoreResult, Solution, StepScores


class LetterShare:
    """A real, deterministic scorer: each step scores the share of its characters that are letters.

    Solutions whose problem is "FAIL" get a typed failure; ``tokens`` counts characters.
    """

    def __init__(self, spec: PRMSpec | None = None, **options: Any) -> None:
        self.options = options

    @property
    def identity(self) -> str:
        return "letter-share:v1"

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        out: list[ScoreResult] = []
        for sol in solutions:
            if sol.problem == "FAIL":
                out.append(ScoreFailure("backend_error", "asked to fail", sol.id))
                continue
            shares = tuple(sum(c.isalpha() for c in s) / len(s) for s in sol.steps)
            out.append(StepScores(shares, tokens=sum(len(s) for s in sol.steps)))
        return out


SOLS = [
    Solution("p", ("We add: 2 + 2 = 4", "then 4 * 3 = 13", "so the answer is 13"), "a"),
    Solution("FAIL", ("1 + 1 = 2",), "b"),
    Solution("q", ("10 / 4 = 2.5",), "c"),
]


def test_min_is_the_per_step_minimum_of_the_members() -> None:
    arith, letters = ArithVerifier(), LetterShare()
    combined = Combined([arith, letters], rule="min")
    assert isinstance(combined, Scorer)
    got = combined.score(SOLS)
    a, l_ = arith.score(SOLS), letters.score(SOLS)
    for i in (0, 2):
        ra, rl, rc = a[i], l_[i], got[i]
        assert (
            isinstance(ra, StepScores) and isinstance(rl, StepScores) and isinstance(rc, StepScores)
        )
        assert rc.scores == tuple(min(x, y) for x, y in zip(ra.scores, rl.scores, strict=True))
        assert rc.tokens == ra.tokens + rl.tokens
    first = got[0]
    assert isinstance(first, StepScores) and first.scores[1] == 0.0  # 4 * 3 = 13 is false
    assert first.scores[0] == pytest.approx(sum(c.isalpha() for c in "We add: 2 + 2 = 4") / 17)


def test_product_multiplies_member_scores() -> None:
    letters = LetterShare()
    (r,) = Combined([letters, letters], rule="product").score([SOLS[0]])
    (single,) = letters.score([SOLS[0]])
    assert isinstance(r, StepScores) and isinstance(single, StepScores)
    assert r.scores == tuple(math.prod((s, s)) for s in single.scores)


def test_a_member_failure_fails_that_solution_only() -> None:
    got = Combined([ArithVerifier(), LetterShare()]).score(SOLS)
    assert isinstance(got[1], ScoreFailure) and got[1].reason == "backend_error"
    assert isinstance(got[0], StepScores) and isinstance(got[2], StepScores)


def test_identity_comes_from_members_and_rule() -> None:
    a, b = ArithVerifier(), LetterShare()
    assert Combined([a, b]).identity == f"min({a.identity},{b.identity})"
    assert Combined([a, b], rule="product").identity != Combined([a, b]).identity
    assert Combined([b, a]).identity != Combined([a, b]).identity


def test_a_member_with_the_wrong_step_count_is_an_error() -> None:
    class Short(LetterShare):
        def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
            return [StepScores((1.0,)) for _ in solutions]

    with pytest.raises(AssertionError, match="2 steps"):
        Combined([ArithVerifier(), Short()]).score([Solution("p", ("1 = 1", "2 = 2"))])


def test_bad_rules_and_sizes() -> None:
    with pytest.raises(ConfigError):
        Combined([ArithVerifier()])
    with pytest.raises(ConfigError):
        Combined([ArithVerifier(), ArithVerifier()], rule="mean")  # type: ignore[arg-type]


@pytest.fixture
def letter_backend() -> Iterator[list[dict[str, Any]]]:
    """Register a real engine ("letters") and a catalog entry using it; remove both afterwards."""
    built: list[dict[str, Any]] = []

    def factory(spec: PRMSpec, **options: Any) -> LetterShare:
        built.append(options)
        return LetterShare(spec, **options)

    BACKENDS.register("test-letters", factory)
    SPECS.register(
        "test-letter-prm", PRMSpec(name="test-letter-prm", readout="value_head", format="segments", step_marker="\n")
    )
    try:
        yield built
    finally:
        BACKENDS._items.pop("test-letters", None)
        SPECS._items.pop("test-letter-prm", None)


def test_parse_combination_builds_members_and_routes_options(
    letter_backend: list[dict[str, Any]],
) -> None:
    combined = parse_combination(
        "arith*test-letter-prm", backend="test-letters", model="/weights", dtype="float32"
    )
    assert combined.rule == "product"
    assert [type(s).__name__ for s in combined.scorers] == ["ArithVerifier", "LetterShare"]
    assert letter_backend == [{"model": "/weights", "dtype": "float32"}]  # the verifier got none
    via_load = load_prm("arith+test-letter-prm", backend="test-letters")
    assert isinstance(via_load, Combined) and via_load.rule == "min"


def test_a_typo_fails_before_any_scorer_is_built(letter_backend: list[dict[str, Any]]) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'test-letter-prm'"):
        parse_combination("test-letter-prm+test-leter-prm", backend="test-letters")
    assert letter_backend == []


@pytest.mark.parametrize("name", ["arith+arith*arith", "arith+", "arith"])
def test_malformed_combinations(name: str) -> None:
    with pytest.raises(ConfigError):
        split_combination(name)


def test_split_combination_names_the_paper_pairing() -> None:
    assert split_combination("arith+qwen2.5-math-prm-7b") == (
        "min",
        ["arith", "qwen2.5-math-prm-7b"],
    )


class _WithThreshold(LetterShare):
    """A learned PRM that declares the threshold its scores are read at."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.info = ScorerInfo(self.identity, threshold=threshold)


def test_decision_threshold_is_the_spec_s_and_a_combination_takes_its_learned_members(tmp_path: Any) -> None:
    from prmkit.scoring.cache import CachedScorer
    from prmkit.scoring.combine import decision_threshold

    learned = _WithThreshold(0.3)
    assert decision_threshold(learned) == 0.3
    assert decision_threshold(ArithVerifier()) == 0.5
    assert decision_threshold(Combined([ArithVerifier(), learned])) == 0.3  # the verifier's 0/1 does not vote
    assert decision_threshold(Combined([ArithVerifier(), ArithVerifier()])) == 0.5
    assert decision_threshold(LetterShare()) == 0.5  # nothing to go by
    assert decision_threshold(CachedScorer(learned, tmp_path / "c.sqlite")) == 0.3


def test_a_spec_names_its_precision_or_none() -> None:
    base = dict(name="t", readout="value_head", format="segments", step_marker="\n")
    assert PRMSpec(**base).fingerprint() != PRMSpec(**base, dtype="bfloat16").fingerprint()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="dtype must be"):
        PRMSpec(**base, dtype="int8")  # type: ignore[arg-type]
