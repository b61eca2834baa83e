"""Compare live searches at matched compute: accuracy with 95 % intervals against tokens and FLOPs.

:func:`summarize` reads search run directories (``prmkit search``) into one
row per (method, N): accuracy with a percentile-bootstrap 95 % interval over
problems, and the mean compute per problem (policy tokens generated, PRM
tokens computed, FLOPs, wall seconds) and the restart rate. A Best-of-N
run's pool also gives majority vote, PRM-weighted vote and best-of-N at every
smaller N, from its first N samples (the pools are nested), so these
selectors are compared on the very same samples. :func:`paired` gives a
method's accuracy difference to another on the problems both solved, with a
paired bootstrap interval. :func:`majority_curve` reads majority vote at every
N up to the pool, and :func:`matched_baseline` picks from it the cheapest vote
that spent at least a method's policy tokens, so :func:`comparison_lines`
compares every method with majority vote both at its N and at matched compute.
:func:`plot_compute` draws accuracy against policy tokens, one line per method.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prmkit._extras import require
from prmkit.search import select
from prmkit.search.live import load_results

__all__ = [
    "SearchRow",
    "common_ids",
    "comparison_lines",
    "format_table",
    "majority_curve",
    "matched_baseline",
    "paired",
    "plot_compute",
    "pool_rows",
    "summarize",
]

_BOOT = 2000


@dataclass(frozen=True)
class SearchRow:
    """One method at one budget."""

    method: str
    n: int
    problems: int
    accuracy: float
    low: float
    high: float
    policy_tokens: float
    """Mean tokens the policy generated per problem."""
    prm_tokens: float
    flops: float | None
    wall_s: float
    restart_rate: float | None
    failed: int
    correct_ids: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("correct_ids")
        return d


def _ci(hits: np.ndarray, seed: int = 0) -> tuple[float, float]:
    if not len(hits):
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    boots = hits[rng.integers(0, len(hits), size=(_BOOT, len(hits)))].mean(axis=1)
    return float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def _row(method: str, n: int, recs: list[dict[str, Any]], correct: list[bool], compute: list[dict[str, float]],
         failed: int, restarts: tuple[int, int] | None) -> SearchRow:
    hits = np.array(correct, dtype=float)
    low, high = _ci(hits)
    mean = {k: float(np.mean([c.get(k) or 0.0 for c in compute])) if compute else float("nan")
            for k in ("policy_tokens", "prm_tokens", "wall_s")}
    flops = None if not compute or any(c.get("flops") is None for c in compute) else float(
        np.mean([c["flops"] for c in compute]))
    rate = None if restarts is None or not restarts[1] else restarts[0] / restarts[1]
    ids = tuple(r["id"] for r, ok in zip(recs, correct, strict=True) if ok)
    return SearchRow(method, n, len(recs), float(hits.mean()) if len(hits) else float("nan"), low, high,
                     mean["policy_tokens"], mean["prm_tokens"], flops, mean["wall_s"], rate, failed, ids)


def common_ids(directories: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Ids of the problems every run directory finished without failure, sorted."""
    done = [{r["id"] for r in load_results(d) if "failed" not in r} for d in directories]
    return sorted(set.intersection(*done)) if done else []


def _records(run: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    return sorted((r for r in run if r["id"] in ids and "failed" not in r), key=lambda r: r["id"])


def summarize(directories: Sequence[str | os.PathLike[str]], *, ids: Sequence[str] | None = None) -> list[SearchRow]:
    """One row per run directory, on the problems every directory finished (or on ``ids``)."""
    runs = [load_results(d) for d in directories]
    done = [{r["id"] for r in run if "failed" not in r} for run in runs]
    common = set(ids) if ids is not None else set.intersection(*done) if done else set()
    rows = []
    for run in runs:
        recs = _records(run, common)
        failed = sum(1 for r in run if "failed" in r)
        if not recs:
            continue
        restarts = (sum(r["restarts"] for r in recs), sum(r["continuations"] for r in recs))
        rows.append(_row(recs[0]["method"], recs[0]["n"], recs, [bool(r["correct"]) for r in recs],
                         [r["compute"] for r in recs], failed, restarts))
        if recs[0]["method"] == "bon":
            rows.extend(pool_rows(recs, failed))
    return rows


_SELECTORS = {"majority": "majority", "weighted": "weighted_sum", "best_of_n": "best_of_n"}


def pool_rows(recs: list[dict[str, Any]], failed: int = 0, *, ns: Sequence[int] | None = None,
              methods: Sequence[str] = ("majority", "weighted", "best_of_n")) -> list[SearchRow]:
    """Majority vote, PRM-weighted vote and best-of-N (``methods``) at N = 1, 2, 4, ... up to the pool (or at
    ``ns``), each from the pool's first N samples."""
    pool = recs[0]["n"]
    if ns is None:
        ns = [2**i for i in range(pool.bit_length())]
    if any(not 1 <= n <= pool for n in ns):
        raise ValueError(f"every N must be in 1..{pool} (the pool), got {list(ns)}")
    rows = []
    for n in ns:
        for label in methods:
            selector = _SELECTORS[label]
            correct, compute = [], []
            for r in recs:
                cands = sorted(r["candidates"], key=lambda c: c["node"])[:n]
                scores = [c["score"] if c["score"] is not None else float("nan") for c in cands]
                if selector == "weighted_sum":
                    scores = [max(0.0, s) if s == s else s for s in scores]
                sel = select(selector, [c["answer"] for c in cands], scores=scores)
                correct.append(sel.index >= 0 and bool(cands[sel.index]["correct"]))
                share = n / max(1, len(r["candidates"]))
                c = r["compute"]
                compute.append({"policy_tokens": sum(x["tokens"] for x in cands),
                                "prm_tokens": (c["prm_tokens"] * share if selector != "majority" else 0.0),
                                "wall_s": c["wall_s"] * share, "flops": None})
            rows.append(_row(label, n, recs, correct, compute, failed, None))
    return rows


def majority_curve(directory: str | os.PathLike[str], ids: Sequence[str]) -> list[SearchRow]:
    """Majority vote at every N from 1 to the pool of the Best-of-N run in ``directory``, on the problems ``ids``."""
    recs = _records(load_results(directory), set(ids))
    if not recs or recs[0]["method"] != "bon":
        raise ValueError(f"{os.fspath(directory)}: no Best-of-N results on these problems")
    return pool_rows(recs, ns=range(1, recs[0]["n"] + 1), methods=("majority",))


def matched_baseline(row: SearchRow, baselines: Sequence[SearchRow]) -> SearchRow:
    """The baseline that spent at least ``row``'s policy tokens per problem with the fewest; the costliest if none did.

    >>> cheap = SearchRow("majority", 1, 2, 0.5, 0.0, 1.0, 100.0, 0.0, None, 1.0, None, 0)
    >>> dear = SearchRow("majority", 2, 2, 0.5, 0.0, 1.0, 200.0, 0.0, None, 1.0, None, 0)
    >>> matched_baseline(SearchRow("beam", 4, 2, 1.0, 1.0, 1.0, 150.0, 90.0, None, 3.0, 0.0, 0), [cheap, dear]).n
    2
    """
    if not baselines:
        raise ValueError("no baselines to match")
    enough = [b for b in baselines if b.policy_tokens >= row.policy_tokens]
    if enough:
        return min(enough, key=lambda b: b.policy_tokens)
    return max(baselines, key=lambda b: b.policy_tokens)


def paired(a: SearchRow, b: SearchRow, ids: Sequence[str], *, seed: int = 0) -> tuple[float, float, float]:
    """Accuracy of ``a`` minus ``b`` on ``ids`` and its paired-bootstrap 95 % interval."""
    ids = sorted(ids)
    x = np.array([i in set(a.correct_ids) for i in ids], dtype=float)
    y = np.array([i in set(b.correct_ids) for i in ids], dtype=float)
    d = x - y
    low, high = _ci(d, seed)
    return float(d.mean()), low, high


def comparison_lines(rows: Sequence[SearchRow], ids: Sequence[str],
                     curve: Sequence[SearchRow] = ()) -> list[str]:
    """Every row against majority vote at its N (from ``rows``), and every live search against majority vote at
    matched compute (from ``curve``, majority vote at every N of the pool): accuracy differences in points with
    paired-bootstrap 95 % intervals. The Best-of-N run's own row (best-of-N at the pool) and N = 1 (where every
    selector picks the one sample) are left out."""
    lines = []
    for r in rows:
        base = next((b for b in rows if b.method == "majority" and b.n == r.n), None)
        if base is not None and r.method not in ("majority", "bon") and not (r.method in _SELECTORS and r.n == 1):
            d, lo, hi = paired(r, base, ids)
            lines.append(f"- {r.method}@{r.n} vs majority@{r.n}: {100 * d:+.1f} points (paired 95 % CI "
                         f"{100 * lo:+.1f} to {100 * hi:+.1f})")
    if curve:
        lines += ["", "At matched compute (majority vote over the pool's first N samples, the fewest that "
                      "generated at least the method's policy tokens per problem):"]
        for r in rows:
            if r.method in _SELECTORS or r.method == "bon":
                continue  # read off the pool: the same samples as majority vote at its N
            base = matched_baseline(r, curve)
            d, lo, hi = paired(r, base, ids)
            short = "" if base.policy_tokens >= r.policy_tokens else (
                f"; the whole pool generated fewer tokens ({base.policy_tokens:.0f}), so majority had less compute")
            lines.append(f"- {r.method}@{r.n} ({r.policy_tokens:.0f} policy tokens) vs majority@{base.n} "
                         f"({base.policy_tokens:.0f}): {100 * d:+.1f} points (paired 95 % CI {100 * lo:+.1f} to "
                         f"{100 * hi:+.1f}){short}")
    return lines


def format_table(rows: Sequence[SearchRow]) -> str:
    """A Markdown table of the rows."""
    head = "| method | N | problems | accuracy (95 % CI) | policy tokens | PRM tokens | TFLOPs | s/problem | restarts |"
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        flops = "-" if r.flops is None else f"{r.flops / 1e12:.2f}"
        rate = "-" if r.restart_rate is None else f"{100 * r.restart_rate:.1f} %"
        lines.append(f"| {r.method} | {r.n} | {r.problems} | {100 * r.accuracy:.1f} ({100 * r.low:.1f}–"
                     f"{100 * r.high:.1f}) | {r.policy_tokens:.0f} | {r.prm_tokens:.0f} | {flops} | "
                     f"{r.wall_s:.1f} | {rate} |")
    return "\n".join(lines)


def plot_compute(rows: Sequence[SearchRow], stem: str | os.PathLike[str], *,
                 formats: Sequence[str] = ("png", "svg"), curve: Sequence[SearchRow] = ()) -> list[Path]:
    """Accuracy (with 95 % intervals) against mean policy tokens per problem, one line per method (the Best-of-N
    run's own row is its best-of-N point); ``curve`` (majority vote at every N of the pool) is drawn as a grey
    band, the matched-compute reference."""
    require("matplotlib", extra="plot")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    if curve:
        pts = sorted(curve, key=lambda r: r.policy_tokens)
        x = [r.policy_tokens for r in pts]
        ax.fill_between(x, [100 * r.low for r in pts], [100 * r.high for r in pts], color="0.85", zorder=0)
        ax.plot(x, [100 * r.accuracy for r in pts], color="0.5", ls="--", lw=1, zorder=1,
                label="majority vote, every N (95 % band)")
    for method in dict.fromkeys(r.method for r in rows if r.method != "bon"):
        pts = sorted((r for r in rows if r.method == method), key=lambda r: r.policy_tokens)
        x = [r.policy_tokens for r in pts]
        y = [100 * r.accuracy for r in pts]
        err = [[100 * (r.accuracy - r.low) for r in pts], [100 * (r.high - r.accuracy) for r in pts]]
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=method)
        for r, xi, yi in zip(pts, x, y, strict=True):
            ax.annotate(f"{r.n}", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("policy tokens generated per problem (log scale)")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
        out.append(path)
    return out
