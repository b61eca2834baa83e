"""scripts/grpo_eval.py's statistics: the Wilson interval and the paired difference (golden numbers)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from grpo_eval import paired, wilson


def test_wilson_interval() -> None:
    # the roots of (k/n - p)^2 = z^2 p (1 - p) / n, solved as a quadratic independently
    assert wilson(1, 40) == pytest.approx((0.0044267174, 0.1288165949), abs=1e-9)
    assert wilson(0, 200) == pytest.approx((0.0, 0.0188460059), abs=1e-9)


def test_paired_difference_counts_the_discordant_problems() -> None:
    a = [True, True, False, False, True, False]
    b = [True, False, True, False, False, False]
    mean, lo, hi, only_a, only_b = paired(a, b)
    assert (only_a, only_b) == (2, 1) and mean == pytest.approx(1 / 6)
    assert (lo, hi) == pytest.approx(
        (1 / 6 - 1.96 * 0.752773 / 6**0.5, 1 / 6 + 1.96 * 0.752773 / 6**0.5), abs=1e-5
    )
