"""The sympy worker process: reads one JSON claim per line on stdin, writes one JSON reply per line.

Run as a script (it imports nothing from prmkit); started and killed by
:mod:`prmkit.scoring._sympy_proc`, which enforces the time limit. Request::

    {"fmt": "latex" | "plain", "sides": [E0, E1, ...], "ctx": [[lhs, rhs, fmt], ...], "tainted": [name, ...],
     "hyp": bool, "lim": {"max_exponent": int, "max_digits": int, "max_nodes": int}}

With ``hyp`` (the claim sits in an if/case/not sentence) the earlier equations
never make it fail.

Reply ``{"r": [[verdict, reason, use], ...]}``, one entry per adjacent pair
``E(k) = E(k+1)``: ``verdict`` is ``pass``/``fail``/``skip``; ``use`` is ``"keep"``
for a condition or a definition the later claims may use, ``"taint:NAME"`` when
``NAME`` was given a second value (from then on nothing about it is decided), or
``""``. Context equations that mention a tainted name are not used. The first line
written is ``{"ready": true}`` once sympy is imported (or ``{"missing": "..."}``).
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from typing import Any

_PLAIN_NUMBER = re.compile(r"^\s*-?\d+(?:\.(\d+))?\s*$")


class Limit(Exception):
    """The expression is over a size limit; the claim is skipped."""


def _load() -> Any:
    import sympy
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

    return (
        sympy,
        latex2sympy,
        ConversionConfig,
        parse_expr,
        (*standard_transformations, convert_xor),
    )


def serve() -> None:
    """Answer claims until stdin closes."""
    out = sys.stdout
    try:
        sympy, latex2sympy, conversion_config, parse_expr, transformations = _load()
    except ImportError as e:
        out.write(json.dumps({"missing": str(e)}) + "\n")
        out.flush()
        return
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    config = conversion_config(lowercase_symbols=False, interpret_as_mixed_fractions=False)
    safe_globals = {
        "Add": sympy.Add,
        "Mul": sympy.Mul,
        "Pow": sympy.Pow,
        "Integer": sympy.Integer,
        "Float": sympy.Float,
        "Rational": sympy.Rational,
        "Symbol": sympy.Symbol,
        "sqrt": sympy.sqrt,
        "pi": sympy.pi,
    }

    def check_limits(expr: Any, lim: dict[str, int]) -> None:
        for nodes, node in enumerate(sympy.preorder_traversal(expr), 1):
            if nodes > lim["max_nodes"]:
                raise Limit(f"more than {lim['max_nodes']} nodes")
            if isinstance(node, sympy.Integer) and len(str(abs(int(node)))) > lim["max_digits"]:
                raise Limit(f"a number with more than {lim['max_digits']} digits")
            if isinstance(node, sympy.Pow) and node.exp.is_number:
                e = node.exp
                if (
                    not e.is_Rational
                    or abs(e.p) > lim["max_exponent"]
                    or abs(e.q) > lim["max_exponent"]
                ):
                    raise Limit(f"exponent {e} beyond {lim['max_exponent']}")
            if isinstance(node, sympy.factorial | sympy.binomial) and any(
                not a.is_Integer or abs(int(a)) > lim["max_exponent"] for a in node.args
            ):
                raise Limit(f"{node.func.__name__} beyond {lim['max_exponent']}")

    def exact(expr: Any) -> Any:
        """Decimals as the rationals they are written as, then evaluated."""
        floats = {f: sympy.Rational(str(f)) for f in expr.atoms(sympy.Float)}
        return (expr.xreplace(floats) if floats else expr).doit()

    @lru_cache(maxsize=4096)
    def parse(text: str, fmt: str, lim_key: tuple[int, int, int]) -> Any:
        lim = dict(zip(("max_exponent", "max_digits", "max_nodes"), lim_key, strict=True))
        if fmt == "latex":
            expr = latex2sympy(text, conversion_config=config)
        else:
            names = {
                n: sympy.Symbol(n)
                for n in set(re.findall(r"[A-Za-z_]\w*", text))
                if n not in ("sqrt", "pi")
            }
            expr = parse_expr(
                text,
                local_dict=names,
                global_dict=dict(safe_globals),
                transformations=transformations,
                evaluate=False,
            )
        if isinstance(expr, sympy.Eq | sympy.Rel | tuple | list) or not isinstance(
            expr, sympy.Expr
        ):
            raise Limit("not a single expression")
        check_limits(expr, lim)
        return exact(expr)

    def determined(syms: Any, ctx: list[Any]) -> list[dict[Any, Any]] | None:
        """The solutions of the context equations that bind every symbol in ``syms`` to a number."""
        eqs, need = [], set(syms)
        grown = True
        while grown:  # the context equations connected to the claim's symbols
            grown = False
            for eq in ctx:
                if eq not in eqs and eq.free_symbols & need:
                    eqs.append(eq)
                    need |= eq.free_symbols
                    grown = True
        if not eqs:
            return None
        sols = sympy.solve(eqs, sorted(need, key=str), dict=True)
        good = [s for s in sols if all(v in s and s[v].is_number for v in syms)]
        if not good or len(good) != len(sols):
            return None
        real = [
            s for s in good if all(x.is_real for x in s.values())
        ]  # quantities are real numbers
        return real or None

    def decide(
        left_text: str,
        right_text: str,
        lt: Any,
        rt: Any,
        ctx: list[Any],
        tainted: set[str],
        hyp: bool,
    ) -> tuple[str, str, str]:
        diff = sympy.simplify(lt - rt)
        free = diff.free_symbols | lt.free_symbols | rt.free_symbols
        if diff == 0:
            return "pass", ("identity" if free else "equal"), ""
        if not free or diff.is_number:
            if free:
                return "fail", f"{left_text} - ({right_text}) = {diff} for every value", ""
            return _numeric(left_text, right_text, lt, rt)
        several = sorted(str(v) for v in free if str(v) in tainted)
        if several:
            return "skip", f"{', '.join(several)} has taken several values", ""
        if (
            isinstance(lt, sympy.Symbol)
            and rt.is_number
            and any(e.lhs == lt and e.rhs.is_number for e in ctx)
        ):
            return (
                "skip",
                f"{lt} takes another value",
                f"taint:{lt}",
            )  # "n = 1", later "n = 2": cases, not a solve
        sols = determined(diff.free_symbols, ctx)
        if sols is not None:
            values = [sympy.simplify(diff.subs(s)) for s in sols]

            def shown(s: dict[Any, Any]) -> str:
                return ", ".join(
                    f"{k} = {v}" for k, v in sorted(s.items(), key=lambda kv: str(kv[0]))
                )

            for s, v in zip(sols, values, strict=True):
                if v == 0:
                    return "pass", f"follows from the earlier equations ({shown(s)})", ""
                if (
                    v.is_number
                    and _numeric(left_text, right_text, lt.subs(s), rt.subs(s))[0] == "pass"
                ):
                    return (
                        "pass",
                        f"rounds to {right_text} under the earlier equations ({shown(s)})",
                        "",
                    )
            if hyp:
                return "skip", "a hypothesis or a case, not a consequence", ""
            if all(v.is_number and v != 0 for v in values):
                given = " or ".join(shown(s) for s in sols[:3])
                return (
                    "fail",
                    f"the earlier equations give {given}, where {left_text} != {right_text}",
                    "",
                )
            return "skip", "undecided under the earlier equations", ""
        if isinstance(lt, sympy.Symbol) and lt not in rt.free_symbols:
            return "skip", f"defines {lt}", "keep"
        if _rewrite(sympy, lt, rt):
            return "fail", f"not an identity: {left_text} - ({right_text}) = {diff}", ""
        return "skip", f"an equation in {', '.join(sorted(map(str, diff.free_symbols)))}", "keep"

    def _numeric(left_text: str, right_text: str, lt: Any, rt: Any) -> tuple[str, str, str]:
        gap = sympy.N(abs(lt - rt), 30)
        if not gap.is_number or not gap.is_finite:
            return "skip", "not a finite number", ""
        m = _PLAIN_NUMBER.match(right_text)
        if m:  # a value written to fewer places than it has: either neighbour at that precision
            places = len(m.group(1) or "")
            representable = (lt * 10**places).is_integer
            if not representable and gap < sympy.Rational(1, 10**places):
                return "pass", f"{left_text} rounds to {right_text.strip()}", ""
        return "fail", f"{left_text} = {_show(sympy, lt)}, not {_show(sympy, rt)}", ""

    for line in sys.stdin:
        try:
            req = json.loads(line)
            lim = req["lim"]
            key = (lim["max_exponent"], lim["max_digits"], lim["max_nodes"])
            tainted = set(req.get("tainted", ()))
            ctx = []
            for lhs, rhs, fmt in req["ctx"]:
                try:
                    eq = sympy.Eq(parse(lhs, fmt, key), parse(rhs, fmt, key))
                except Exception:  # an earlier equation that no longer reads is simply not used
                    continue
                if isinstance(eq, sympy.Eq) and not {str(v) for v in eq.free_symbols} & tainted:
                    ctx.append(eq)
            sides = req["sides"]
            replies = []
            try:
                exprs = [parse(s, req["fmt"], key) for s in sides]
            except Limit as e:
                replies = [["skip", f"limit: {e}", ""]] * (len(sides) - 1)
            except Exception as e:
                replies = [["skip", f"unreadable: {type(e).__name__}", ""]] * (len(sides) - 1)
            else:
                for k in range(len(sides) - 1):
                    verdict, reason, use = decide(
                        sides[k],
                        sides[k + 1],
                        exprs[k],
                        exprs[k + 1],
                        ctx,
                        tainted,
                        bool(req.get("hyp")),
                    )
                    if req.get("hyp"):
                        pass
                    elif use == "keep":
                        ctx.append(sympy.Eq(exprs[k], exprs[k + 1]))
                    elif use:
                        tainted.add(use.removeprefix("taint:"))
                        ctx = [e for e in ctx if not {str(v) for v in e.free_symbols} & tainted]
                    replies.append([verdict, reason, use])
            reply: dict[str, Any] = {"r": replies}
        except Exception as e:  # one bad claim is a verdict, not a dead worker
            reply = {"error": f"{type(e).__name__}: {e}"[:200]}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def _show(sympy: Any, value: Any) -> str:
    text = str(value)
    return text if value.is_Rational and len(text) <= 30 else str(sympy.N(value, 12))


def _rewrite(sympy: Any, lt: Any, rt: Any) -> bool:
    """``lt = rt`` reads as a rewriting (an identity meant to hold for every value), not an equation to solve:
    both sides have the same symbols and the same degree, and at least one side is not written expanded."""
    if lt.free_symbols != rt.free_symbols:
        return False
    try:
        syms = sorted(lt.free_symbols, key=str)
        pl, pr = sympy.Poly(sympy.together(lt), *syms), sympy.Poly(sympy.together(rt), *syms)
    except sympy.PolynomialError:
        return False
    if pl.total_degree() != pr.total_degree():
        return False
    return sympy.expand(lt) != lt or sympy.expand(rt) != rt


if __name__ == "__main__":
    serve()
