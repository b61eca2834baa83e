"""Steps past the ``arith`` verifier's limits, one per failure class, shared by the library and CLI tests.

Each case is (name, step text, the limit its claim is skipped for). Before the limits each of these raised
``ValueError``/``OverflowError``, dropped the step's other claims, or ran for minutes.
"""

from __future__ import annotations

from functools import cache


@cache
def primes(n: int) -> list[int]:
    """The first ``n`` primes."""
    out: list[int] = []
    k = 2
    while len(out) < n:
        if all(k % p for p in out if p * p <= k):
            out.append(k)
        k += 1
    return out


def fraction_sum(n: int, power: int = 200) -> str:
    """``1/2^{200} + 1/3^{200} + ...`` over the first ``n`` primes: pairwise coprime denominators."""
    return " + ".join(f"1/{p}^{{{power}}}" for p in primes(n)) + " = 1"


PAST_LIMITS = [
    ("literal past Python's int-string limit", "1" * 5000 + " + 1 = 2", "max_digits"),
    ("decimal past Python's int-string limit", "0." + "3" * 5000 + " * 3 = 1", "max_digits"),
    ("sqrt of a 10,000-digit integer", r"\(\sqrt{" + "1" * 10_000 + r"} = 3\)", "max_digits"),
    ("2^(10^9)", "2^(10^9) = 4", "max_exponent"),
    ("a power tower", "9^{9^{9}} = 1", "max_exponent"),
    ("a factorial", "So 1000! = 1", "max_factorial"),
    ("a binomial", r"$\binom{100000}{3} = 5$", "max_binomial"),
    ("a 20th root", r"\(\sqrt[20]{1048576} = 2\)", "max_root_index"),
    ("a product past max_bits", " * ".join(["9" * 2000] * 4) + " = 1", "max_bits"),
    ("a sum of 100 fractions with big powers", fraction_sum(100), "max_bits"),
    ("a sum of 2,000 fractions with big powers", fraction_sum(2000), "max_tokens"),
    (
        "work: many sums of big values",
        "7^{1000} * 7^{1000} * 7^{1000}" + " + 1" * 200 + " = 5",
        "max_work",
    ),
    ("deeply nested parentheses", "(" * 3000 + "1" + ")" * 3000 + " = 1", "max_tokens"),
    ("nested parentheses under max_tokens", "(" * 400 + "1" + ")" * 400 + " = 1", "max_nesting"),
    ("deeply nested LaTeX", "\\frac{" * 400 + "1" + "}{2}" * 400 + " = 3", "max_nesting"),
    ("a very long claim", " + ".join(["1"] * 5000) + " = 5000", "max_tokens"),
]
