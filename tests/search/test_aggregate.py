"""Step-score aggregation rules."""

from __future__ import annotations

import math

import pytest

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.search.aggregate import AGGREGATORS, Aggregator, aggregate

S = [0.9, 0.2, 0.8, 0.9]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("min", 0.2),
        ("last", 0.9),
        ("product", 0.9 * 0.2 * 0.8 * 0.9),
        ("mean", (0.9 + 0.2 + 0.8 + 0.9) / 4),
        ("geometric_mean", (0.9 * 0.2 * 0.8 * 0.9) ** 0.25),
        ("window_min", (0.2 + 0.8) / 2),  # windows (0.55, 0.5, 0.85) -> 0.5
        ("window_min:3", (0.9 + 0.2 + 0.8) / 3),  # windows (0.633, 0.633) -> 0.633
        ("window_min:1", 0.2),
        ("window_min:9", (0.9 + 0.2 + 0.8 + 0.9) / 4),
    ],
)
def test_rules(spec: str, expected: float) -> None:
    assert Aggregator.parse(spec)(S) == pytest.approx(expected, abs=1e-12)


def test_window_min_hand_value() -> None:
    assert aggregate(S, "window_min", window=2) == pytest.approx(0.5)
    assert aggregate([0.2, 0.95, 0.95], "window_min", window=2) == pytest.approx(0.575)


def test_every_builtin_rule_is_registered() -> None:
    assert AGGREGATORS.names() == sorted(
        ["min", "last", "product", "mean", "geometric_mean", "window_min"]
    )


def test_k0_rule_is_nan_for_every_rule() -> None:
    for rule in AGGREGATORS.names():
        assert math.isnan(aggregate([], rule))


def test_log_space_keeps_long_solutions_apart() -> None:
    # a direct running product underflows to 0 and loses the geometric mean entirely
    direct = 1.0
    for _ in range(2000):
        direct *= 0.1
    assert direct == 0.0
    assert aggregate([0.1] * 2000, "geometric_mean") == pytest.approx(0.1, rel=1e-9)
    assert aggregate([0.2] * 2000, "geometric_mean") > aggregate([0.1] * 2000, "geometric_mean")
    assert aggregate([0.5, 0.0, 0.5], "product") == 0.0


def test_probability_rules_reject_unbounded_scores() -> None:
    with pytest.raises(ConfigError, match="sigmoid:product"):
        aggregate([3.5], "product")
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        aggregate([0.5, -0.1], "geometric_mean")
    assert aggregate([3.5], "product", transform="sigmoid") == pytest.approx(
        1 / (1 + math.exp(-3.5))
    )
    assert aggregate([-800.0], "last", transform="sigmoid") == 0.0  # no overflow


def test_spec_strings_round_trip() -> None:
    for spec in ["last", "min", "window_min:3", "sigmoid:product", "sigmoid:window_min:2"]:
        assert Aggregator.parse(spec).name == spec
    assert Aggregator.parse("window_min").name == "window_min"


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ("mni", UnknownNameError, "did you mean 'min'"),
        ("min:3", ConfigError, "only window_min takes a window"),
        ("window_min:0", ConfigError, "window must be >= 1"),
        ("window_min:x", ConfigError, "window must be an integer"),
        ("sigmoid:", ConfigError, "malformed aggregator"),
        ("a:b:c:d", ConfigError, "malformed aggregator"),
    ],
)
def test_bad_specs(spec: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Aggregator.parse(spec)
