"""Plain-text tables of Best-of-N results (the CLI prints them)."""

from __future__ import annotations

from collections.abc import Sequence

from prmkit.evaluation.bon import BonResult, Comparison
from prmkit.search.select import Selector

__all__ = ["format_comparisons", "format_table"]


def _tokens(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def format_table(result: BonResult) -> str:
    """Accuracy (%) with its interval and the compute per problem, one row per selector, aggregator and N.

    A ``judge tok`` column (pairwise-judge tokens per problem) is added when a judge selector ran.

    >>> from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
    >>> from prmkit.answers import Answer
    >>> from prmkit.evaluation.bon import BonConfig, evaluate_bon
    >>> cands = tuple(Candidate(("s",), Answer.of(a), a == "2") for a in ("1", "2", "2"))
    >>> res = evaluate_bon(CandidateSet((CandidateProblem("p", "?", cands),)), ["majority"], config=BonConfig(ns=(3,)))
    >>> print(format_table(res))
    selector  aggregator  n  accuracy  95% CI          policy tok  verifier tok
    majority  -           3    100.00  [100.0, 100.0]         n/a             0
    """
    intervals = result.config.n_bootstrap > 0
    pct = f"{100 * result.config.confidence:g}% CI"
    head: tuple[str, ...] = ("selector", "aggregator", "n", "accuracy", pct, "policy tok", "verifier tok")
    body: list[tuple[str, ...]] = [
        (
            r.selector,
            r.aggregator or "-",
            str(r.n),
            "no scores" if r.scored == 0 else f"{100 * r.accuracy:.2f}",
            "-" if r.scored == 0 else f"[{100 * r.ci_low:5.1f}, {100 * r.ci_high:5.1f}]",
            _tokens(r.policy_tokens),
            _tokens(r.verifier_tokens),
        )
        for r in result.rows
    ]
    right = {2, 3, 5, 6}
    if any(Selector.parse(r.selector).spec.uses_judge for r in result.rows):
        head += ("judge tok",)
        body = [(*row, _tokens(r.judge_tokens)) for row, r in zip(body, result.rows, strict=True)]
        right.add(7)
    return _render(*_without_intervals(head, body, 4, intervals, right))


def format_comparisons(comparisons: Sequence[Comparison], confidence: float, *, intervals: bool = True) -> str:
    """Paired differences ``a - b`` in percentage points, with intervals (unless ``intervals`` is
    false: no bootstrap was drawn) and per-problem win counts."""
    pct = f"{100 * confidence:g}% CI"
    head = ("a", "b", "aggregator", "n", "a - b (pp)", pct, "a better", "b better")
    body = [
        (
            c.a,
            c.b,
            c.aggregator or "-",
            str(c.n),
            f"{100 * c.difference:+.2f}",
            f"[{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}]",
            str(c.a_better),
            str(c.b_better),
        )
        for c in comparisons
    ]
    return _render(*_without_intervals(head, body, 5, intervals, {3, 4, 6, 7}))


def _without_intervals(
    head: Sequence[str], body: Sequence[Sequence[str]], column: int, keep: bool, right: set[int]
) -> tuple[Sequence[str], list[Sequence[str]], set[int]]:
    """Drop the interval column when no bootstrap was drawn: an interval of width 0 would claim certainty."""
    if keep:
        return head, list(body), right
    drop = lambda row: [*row[:column], *row[column + 1 :]]  # noqa: E731
    return drop(head), [drop(r) for r in body], {i - (i > column) for i in right if i != column}


def _render(head: Sequence[str], body: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

    def line(row: Sequence[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(head), *(line(r) for r in body)])
