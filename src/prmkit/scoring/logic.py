"""``z3``: a model-free verifier of formal-logic steps (FoVer style), each checked for entailment with Z3.

The problem states premises and each step states one conclusion, in the
formula syntax of :mod:`prmkit.scoring._logic_syntax` (propositions,
predicates over one domain, ``=``, ``~ & | -> <->``, ``forall``/``exists``).
The problem is one premise per line; ``#`` starts a comment, and a line
``domain: a, b, c`` makes the domain exactly those distinct elements (without
it the domain is an uninterpreted sort, and names used as terms are constants
of it). Step ``k`` gets a :class:`StepCheck`:

``pass``
    entailed by the premises and steps ``0..k-1`` (Z3: premises and ``not``
    step is ``unsat``);
``fail``
    not entailed; the reason shows a countermodel;
``skip``
    Z3 answered ``unknown`` (its own ``timeout`` option, or quantifiers it
    cannot decide).

A step that fails scores 0.0, every other step 1.0. A premise or step that does
not parse, or uses a name two ways, is a :class:`FormulaError` naming the field,
the line and the text; the scorer reports it as that solution's failure.

>>> problem = "P -> Q\\nQ -> R"
>>> [c.verdict for c in check_proof(problem, ["P -> R", "R -> P"])]
['pass', 'fail']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring._logic_syntax import Formula, FormulaError, parse_formula
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import CheckVerdict, StepVerifier, verifier_options
from prmkit.types import ScoreFailure, Solution, StepScores

__all__ = [
    "FormulaError",
    "StepCheck",
    "Verdict",
    "Z3Options",
    "Z3Verifier",
    "check_proof",
    "scorer_for_spec",
]

VERSION = "1"
"""Bumped whenever a change to the syntax or the check can change a verdict (it is part of the identity)."""

Verdict = CheckVerdict


@dataclass(frozen=True)
class Z3Options:
    """The ``z3`` verifier's options (``load_prm("z3", timeout_ms=500)``); part of its identity.

    >>> Z3Options(timeout_ms=0)
    Traceback (most recent call last):
    ...
    prmkit.errors.ConfigError: z3 verifier: timeout_ms must be >= 1, got 0
    """

    timeout_ms: int = 5000
    """Z3's own ``timeout`` per step; a step it cannot decide in time is skipped (``unknown``)."""

    def __post_init__(self) -> None:
        if (
            not isinstance(self.timeout_ms, int)
            or isinstance(self.timeout_ms, bool)
            or self.timeout_ms < 1
        ):
            raise ConfigError(f"z3 verifier: timeout_ms must be >= 1, got {self.timeout_ms!r}")


@dataclass(frozen=True)
class StepCheck:
    """One step's verdict and why."""

    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class _Problem:
    premises: tuple[tuple[Formula, str, str, int | None], ...]
    domain: tuple[str, ...] | None


def _parse_problem(text: str) -> _Problem:
    premises: list[tuple[Formula, str, str, int | None]] = []
    domain: tuple[str, ...] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        if sep and head.strip() == "domain":
            names = tuple(x.strip() for x in rest.split(","))
            bad = [x for x in names if not x.isidentifier()]
            if domain is not None or bad or len(set(names)) != len(names):
                why = (
                    "a second domain line"
                    if domain is not None
                    else "names must be distinct identifiers"
                )
                raise FormulaError(why, field="problem", line=n, value=raw)
            domain = names
            continue
        premises.append((parse_formula(line, field="problem", line=n), "problem", raw, n))
    return _Problem(tuple(premises), domain)


class _Signature:
    """How each name is used (proposition, predicate of arity n, or constant); one use per name."""

    def __init__(self, domain: tuple[str, ...] | None) -> None:
        self.kinds: dict[str, str] = {d: "constant" for d in domain or ()}
        self.domain = domain

    def add(
        self,
        f: Formula,
        field: str,
        text: str,
        line: int | None,
        bound: frozenset[str] = frozenset(),
    ) -> None:
        def use(name: str, kind: str) -> None:
            seen = self.kinds.setdefault(name, kind)
            if seen != kind:
                raise FormulaError(
                    f"{name!r} is used as a {kind} and as a {seen}",
                    field=field,
                    line=line,
                    value=text,
                )
            if kind == "constant" and self.domain is not None and name not in self.domain:
                raise FormulaError(
                    f"constant {name!r} is not in the domain", field=field, line=line, value=text
                )

        tag = f[0]
        if tag == "prop":
            use(f[1], "proposition")
        elif tag == "pred":
            use(f[1], f"predicate of arity {len(f[2])}")
            for t in f[2]:
                if t not in bound:
                    use(t, "constant")
        elif tag in ("eq", "neq"):
            for t in f[1:]:
                if t not in bound:
                    use(t, "constant")
        elif tag == "not":
            self.add(f[1], field, text, line, bound)
        elif tag in ("forall", "exists"):
            self.add(f[2], field, text, line, bound | frozenset(f[1]))
        elif tag in ("&", "|", "->", "<->"):
            self.add(f[1], field, text, line, bound)
            self.add(f[2], field, text, line, bound)


def _to_z3(z3: Any, ctx: Any, sig: _Signature) -> Any:
    if sig.domain is not None:
        sort, elems = z3.EnumSort("D", list(sig.domain), ctx=ctx)
        consts = dict(zip(sig.domain, elems, strict=True))
    else:
        sort = z3.DeclareSort("U", ctx)
        consts = {n: z3.Const(n, sort) for n, k in sig.kinds.items() if k == "constant"}
    props = {n: z3.Bool(n, ctx) for n, k in sig.kinds.items() if k == "proposition"}
    preds = {
        n: z3.Function(n, *[sort] * int(k.rsplit(" ", 1)[1]), z3.BoolSort(ctx))
        for n, k in sig.kinds.items()
        if k.startswith("predicate")
    }

    def conv(f: Formula, env: dict[str, Any]) -> Any:
        tag = f[0]
        if tag in ("true", "false"):
            return z3.BoolVal(tag == "true", ctx)
        if tag == "prop":
            return props[f[1]]
        if tag == "pred":
            return preds[f[1]](*[env.get(t, consts.get(t)) for t in f[2]])
        if tag in ("eq", "neq"):
            a, b = (env.get(t, consts.get(t)) for t in f[1:])
            return a == b if tag == "eq" else a != b
        if tag == "not":
            return z3.Not(conv(f[1], env))
        if tag in ("forall", "exists"):
            vs = [z3.Const(v, sort) for v in f[1]]
            body = conv(f[2], {**env, **dict(zip(f[1], vs, strict=True))})
            return z3.ForAll(vs, body) if tag == "forall" else z3.Exists(vs, body)
        a, b = conv(f[1], env), conv(f[2], env)
        return {"&": z3.And, "|": z3.Or, "->": z3.Implies}.get(tag, lambda x, y: x == y)(a, b)

    return conv, sort


def check_proof(
    problem: str, steps: Sequence[str], options: Z3Options | None = None
) -> list[StepCheck]:
    """Each step checked for entailment by the problem's premises and the steps before it.

    >>> check_proof("domain: a, b\\nforall x. P(x) -> Q(x)\\nQ(a)", ["P(a)"])[0].reason.startswith("not entailed")
    True
    """
    opts = options or Z3Options()
    z3 = require("z3", extra="verify", package="z3-solver")
    parsed = _parse_problem(problem)
    sig = _Signature(parsed.domain)
    for f, fld, raw, n in parsed.premises:
        sig.add(f, fld, raw, n)
    conclusions = []
    for k, text in enumerate(steps):
        f = parse_formula(text.strip(), field=f"steps[{k}]")
        sig.add(f, f"steps[{k}]", text, None)
        conclusions.append(f)
    ctx = z3.Context()
    conv, sort = _to_z3(z3, ctx, sig)
    known = [conv(f, {}) for f, *_ in parsed.premises]
    out: list[StepCheck] = []
    for f in conclusions:
        goal = conv(f, {})
        solver = z3.Solver(ctx=ctx)
        solver.set("timeout", opts.timeout_ms)
        solver.add(*known)
        solver.add(z3.Not(goal))
        result = solver.check()
        if result == z3.unsat:
            out.append(StepCheck("pass", "entailed"))
        elif result == z3.sat:
            out.append(
                StepCheck(
                    "fail", "not entailed; countermodel: " + _show_model(z3, solver.model(), sort)
                )
            )
        else:
            out.append(StepCheck("skip", f"z3: {solver.reason_unknown()}"))
        known.append(goal)
    return out


def _show_model(z3: Any, model: Any, sort: Any) -> str:
    parts = []
    if isinstance(sort, z3.SortRef) and sort.kind() == z3.Z3_UNINTERPRETED_SORT:
        universe = model.get_universe(sort)
        if universe is not None:
            parts.append("domain = {" + ", ".join(str(e) for e in universe) + "}")
    for d in sorted(model.decls(), key=lambda d: d.name()):
        parts.append(f"{d.name()} = {model[d]}")
    shown = "; ".join(parts)
    return shown if len(shown) <= 400 else shown[:397] + "..."


class Z3Verifier(StepVerifier):
    """The ``z3`` scorer: 1.0 for an entailed or undecided step, 0.0 for one that does not follow."""

    def __init__(self, spec: PRMSpec | None = None, options: Z3Options | None = None) -> None:
        self.spec = spec or PRMSpec(name="z3", readout="verifier", format="none", verifier="z3")
        self.options = options or Z3Options()

    @property
    def identity(self) -> str:
        try:
            z3_version = metadata.version("z3-solver")
        except metadata.PackageNotFoundError:
            z3_version = "none"
        digest = hashlib.sha256(
            f"timeout_ms={self.options.timeout_ms};z3={z3_version}".encode()
        ).hexdigest()[:12]
        return f"verifier:{self.spec.name}:z3-v{VERSION}-{digest}:{self.spec.fingerprint()}"

    def check(self, sol: Solution) -> StepScores | ScoreFailure:
        """Step k reads the premises and steps 0..k; a malformed formula fails the solution."""
        try:
            checks = check_proof(sol.problem, sol.steps, self.options)
        except FormulaError as e:
            return ScoreFailure("backend_error", f"z3 verifier: {e}", sol.id)
        return StepScores(tuple(0.0 if c.verdict == "fail" else 1.0 for c in checks), tokens=0)


def scorer_for_spec(spec: PRMSpec, **options: Any) -> Z3Verifier:
    """The ``z3`` verifier (:data:`prmkit.scoring.verifiers.VERIFIERS`) built for a verifier spec;
    ``options`` are :class:`Z3Options` fields.

    >>> from prmkit.scoring.catalog import get_spec
    >>> scorer_for_spec(get_spec("z3"), timeout_ms=100).options.timeout_ms
    100
    """
    return Z3Verifier(spec, verifier_options(spec, "z3", Z3Options, options))
