"""``sympy``: a model-free verifier that re-derives the equations in each step with SymPy.

Every equality chain ``E0 = E1 = ... = Ek`` in a step -- in LaTeX math
(``$...$``, ``\\(...\\)``, ``\\frac``, ``\\sqrt``, ``^``) or in plain text when
it names a variable (``x = 2y + 3``, ``(x+1)^2 = x^2+2x+1``) -- is checked pair
by pair, and each pair gets a :class:`ClaimCheck` with a verdict and a reason:

``pass``
    the sides are equal (a numeric equality, an identity in every variable, a
    value written to fewer places than it has), or the equation follows from
    the earlier equations (``2x + 3 = 7`` then ``x = 2``);
``fail``
    the sides differ as numbers; the earlier equations fix every variable and
    give another value (a wrong solve); the sides differ by a nonzero constant;
    or a rewriting (same variables, same degree, one side not expanded, like
    ``(x+1)^2 = x^2+x+1``) is not an identity;
``skip``
    anything else: a definition (``x = 2y + 3``), an equation to be solved,
    something unreadable or over a limit (``limit: ...``), or a claim that ran
    out of time (``timeout``).

Definitions and equations carry forward, from the problem statement and every
earlier step, to the later claims. A step with a ``fail`` scores 0.0, every
other step 1.0. Claims run in a worker process (``python -I``) under a hard
wall-clock limit each; over-long claims, big numbers and big exponents are
skipped before sympy sees them. Purely numeric prose (``3 apples + 4 = 7``) is
left to ``arith``: combine the two as ``arith+sympy``.

>>> [(c.left, c.right, c.verdict) for c in check_steps("", ["$(x+1)^2 = x^2+x+1$"])[0]]
[('(x+1)^2', 'x^2+x+1', 'fail')]
>>> SympyVerifier().score([Solution("Solve 2x + 3 = 7.", ("2x = 4", "x = 3"))])[0].scores
(1.0, 0.0)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from typing import Any

from prmkit.errors import ConfigError
from prmkit.scoring._sympy_claims import Claim, find_claims
from prmkit.scoring._sympy_proc import ask
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import CheckVerdict, StepVerifier, verifier_options
from prmkit.types import Solution, StepScores

__all__ = [
    "ClaimCheck",
    "SympyOptions",
    "SympyVerifier",
    "Verdict",
    "check_steps",
    "scorer_for_spec",
]

VERSION = "1"
"""Bumped whenever a change to the reading or the checks can change a verdict (it is part of the identity)."""

Verdict = CheckVerdict


@dataclass(frozen=True)
class SympyOptions:
    """The ``sympy`` verifier's bounds (``load_prm("sympy", timeout_s=2.0)``); all are part of its identity.

    >>> SympyOptions(timeout_s=0)
    Traceback (most recent call last):
    ...
    prmkit.errors.ConfigError: sympy verifier: timeout_s must be > 0, got 0
    """

    timeout_s: float = 5.0
    """Wall-clock limit for one claim; a claim over it is skipped with reason ``timeout``."""
    max_chars: int = 400
    """Longest claim read (all sides); longer ones are skipped."""
    max_digits: int = 60
    """Most digits in one integer of a claim."""
    max_exponent: int = 1000
    """Largest exponent (and factorial or binomial argument) in a claim."""
    max_nodes: int = 400
    """Most nodes in one side's expression tree."""
    context: int = 32
    """How many of the latest definitions and equations later claims are checked against."""

    def __post_init__(self) -> None:
        problems = [
            f"{f.name} must be > 0, got {getattr(self, f.name)}"
            for f in fields(self)
            if not getattr(self, f.name) > 0
        ]
        if problems:
            raise ConfigError("sympy verifier: " + "; ".join(problems))


@dataclass(frozen=True)
class ClaimCheck:
    """One checked equality ``left = right``, its verdict and why."""

    left: str
    right: str
    verdict: Verdict
    reason: str


def check_steps(
    problem: str, steps: Sequence[str], options: SympyOptions | None = None
) -> list[list[ClaimCheck]]:
    """Every claim of every step, checked against the problem's and earlier steps' equations.

    >>> [c.reason for c in check_steps("", ["$10/3 = 3.33$"])[0]]
    ['10/3 rounds to 3.33']
    """
    opts = options or SympyOptions()
    ctx: list[tuple[str, str, str]] = []
    tainted: set[str] = set()
    for claim in find_claims(problem):
        ctx.extend((a, b, claim.fmt) for a, b in zip(claim.sides, claim.sides[1:], strict=False))
    out: list[list[ClaimCheck]] = []
    for step in steps:
        checks: list[ClaimCheck] = []
        for claim in find_claims(step):
            replies = _decide(claim, ctx, tainted, opts)
            for (a, b), (verdict, reason, use) in zip(
                zip(claim.sides, claim.sides[1:], strict=False), replies, strict=True
            ):
                checks.append(ClaimCheck(a, b, verdict, reason))
                if claim.hypothetical:  # "if x = 3, ...": the value holds in that case only
                    continue
                if use == "keep":
                    ctx.append((a, b, claim.fmt))
                elif use.startswith(
                    "taint:"
                ):  # a name given a second value: cases, nothing more is decided
                    tainted.add(use.removeprefix("taint:"))
        out.append(checks)
    return out


def _decide(
    claim: Claim, ctx: list[tuple[str, str, str]], tainted: set[str], opts: SympyOptions
) -> list[tuple[Verdict, str, str]]:
    pairs = len(claim.sides) - 1
    if len(claim.text) > opts.max_chars:
        return [("skip", f"limit: longer than {opts.max_chars} characters", "")] * pairs
    if any(len(run) > opts.max_digits for run in _digit_runs(claim.text)):
        return [("skip", f"limit: a number with more than {opts.max_digits} digits", "")] * pairs
    request = {
        "fmt": claim.fmt,
        "sides": list(claim.sides),
        "ctx": [list(e) for e in ctx[-opts.context :]],
        "tainted": sorted(tainted),
        "hyp": claim.hypothetical,
        "lim": {
            "max_exponent": opts.max_exponent,
            "max_digits": opts.max_digits,
            "max_nodes": opts.max_nodes,
        },
    }
    reply = ask(request, opts.timeout_s)
    if reply is None:
        return [("skip", "timeout", "")] * pairs
    got = reply.get("r")
    if not isinstance(got, list) or len(got) != pairs:
        return [("skip", f"error: {reply.get('error', 'no verdict')}", "")] * pairs
    return [(v if v in ("pass", "fail") else "skip", str(r), str(u)) for v, r, u in got]


def _digit_runs(text: str) -> list[str]:
    run, out = "", []
    for ch in text + " ":
        if ch.isdigit():
            run += ch
        elif run:
            out.append(run)
            run = ""
    return out


def _versions() -> str:
    found = []
    for dist in ("sympy", "latex2sympy2_extended"):
        try:
            found.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist}=none")
    return ",".join(found)


class SympyVerifier(StepVerifier):
    """The ``sympy`` scorer: 1.0 for a step without a failed claim, else 0.0.

    Its identity names the verifier version, its options and the sympy and
    latex2sympy versions, so cached scores never outlive a change to any of them.
    """

    def __init__(self, spec: PRMSpec | None = None, options: SympyOptions | None = None) -> None:
        self.spec = spec or PRMSpec(
            name="sympy", readout="verifier", format="none", verifier="sympy"
        )
        self.options = options or SympyOptions()

    @property
    def identity(self) -> str:
        opts = json.dumps(asdict(self.options), sort_keys=True) + _versions()
        digest = hashlib.sha256(opts.encode()).hexdigest()[:12]
        return f"verifier:{self.spec.name}:sympy-v{VERSION}-{digest}:{self.spec.fingerprint()}"

    def check(self, sol: Solution) -> StepScores:
        checks = check_steps(sol.problem, sol.steps, self.options)
        return StepScores(
            tuple(0.0 if any(c.verdict == "fail" for c in cs) else 1.0 for cs in checks), tokens=0
        )


def scorer_for_spec(spec: PRMSpec, **options: Any) -> SympyVerifier:
    """The ``sympy`` verifier (:data:`prmkit.scoring.verifiers.VERIFIERS`) built for a verifier spec;
    ``options`` are :class:`SympyOptions` fields.

    >>> from prmkit.scoring.catalog import get_spec
    >>> scorer_for_spec(get_spec("sympy"), timeout_s=2.0).options.timeout_s
    2.0
    """
    return SympyVerifier(spec, verifier_options(spec, "sympy", SympyOptions, options))
