"""Best-of-N evaluation: accuracy vs N, bootstrap intervals, paired comparisons, compute.

Protocol (B3/B4 of the method cards, with random instead of prefix subsets):

* For each N in ``ns`` (default 1, 2, 4, ... up to the smallest candidate
  count) and each problem, selectors run on subsets of N of that problem's
  candidates: **all** subsets when there are at most ``n_subsets`` of them
  (an exact average), else ``n_subsets`` uniform random ones drawn from a
  generator seeded with ``(seed, problem index, N)``. Every selector and
  aggregator sees the same subsets. A problem's accuracy at N is the mean
  over its subsets of "the chosen candidate is correct". **No answer =
  wrong**: a candidate without an answer is incorrect for every selector and
  for the oracle, even where the file marks it correct.
* **Unscored** candidates (a failed score, or a ``nan`` step score anywhere:
  the NaN rule of :mod:`prmkit.search.aggregate`) rank below every scored one;
  a row whose aggregator scored no candidate at all reports ``scored`` = 0
  and the table prints "no scores" rather than its tie-break accuracy.
* Accuracy is the mean over problems; its interval is a percentile bootstrap
  over problems (``n_bootstrap`` resamples, shared by every row, so paired
  differences use the same resamples). The interval reflects which problems
  were sampled, not subset noise (already averaged out).
* Correctness comes from the file; where it is missing the candidate's
  answer is graded against the problem's reference (:mod:`prmkit.answers`).
* **Judge selectors** (``knockout``, ``elo``; see :mod:`prmkit.evaluation._bon_judge`): every pair
  of a problem's candidates is judged once (``judge``), each subset's tournament is answered from
  those verdicts; ties break on the first aggregator's scores where candidates are scored (the row
  then names that aggregator), else the lower index. ``judge_tokens``: the judge tokens a subset's
  tournament costs, averaged like accuracy (0 for the other selectors).
* Compute: expected tokens per problem at N — the policy's (N x mean
  ``policy_tokens``) and the verifier's (N x mean ``verifier_tokens`` for
  selectors that read scores, 0 for the others); ``None`` when any count is unknown.

>>> from prmkit.data.candidates import Candidate, CandidateProblem, CandidateSet
>>> from prmkit.answers import Answer
>>> c = lambda a, ok, s: Candidate(("step",), Answer.of(a), ok, (s,))
>>> cs = CandidateSet((CandidateProblem("p", "?", (c("1", False, 0.9), c("2", True, 0.1), c("2", True, 0.2))),))
>>> res = evaluate_bon(cs, ["majority", "best_of_n"], ["last"], BonConfig(n_bootstrap=0))
>>> [(r.selector, r.n, round(r.accuracy, 3)) for r in res.rows if r.n == 3]
[('majority', 3, 1.0), ('best_of_n', 3, 0.0)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from prmkit.answers import DEFAULT_TIMEOUT_S, grade_answer, group_answers
from prmkit.config import option
from prmkit.data.candidates import CandidateSet
from prmkit.errors import ConfigError, DataFormatError
from prmkit.evaluation._bon_judge import BonJudge, judge_tables, run_judged, subset_seeds
from prmkit.evaluation._bon_stats import bootstrap_ci, bootstrap_index, default_ns, subset_masks
from prmkit.search import batched as core
from prmkit.search.aggregate import Aggregator
from prmkit.search.select import Selector, run_selector

__all__ = ["BonConfig", "BonJudge", "BonResult", "BonRow", "Comparison", "evaluate_bon"]

_CHUNK_CELLS = 1 << 22  # subsets x max(candidates, groups) per chunk, bounds memory


@dataclass(frozen=True)
class BonConfig:
    """Settings of :func:`evaluate_bon`."""

    ns: tuple[int, ...] | None = field(default=None, metadata=option(sep=","))
    """Subset sizes N; default 1, 2, 4, ... up to the smallest number of candidates per problem."""
    n_subsets: int = field(default=1000, metadata=option(flag="--subsets"))
    """Random subsets per problem and N (all subsets are used when there are no more than this)."""
    n_bootstrap: int = field(default=2000, metadata=option(flag="--bootstrap"))
    """Bootstrap resamples over problems for the intervals (0 = no interval: the tables leave it out;
    in JSON low = high = accuracy)."""
    confidence: float = 0.95
    """Coverage of the intervals."""
    seed: int = 0
    """Seeds the subsets and the bootstrap; same seed, same numbers."""
    timeout_s: float = field(default=DEFAULT_TIMEOUT_S, metadata=option(flag="--timeout"))
    """Per-comparison limit of math-verify, in seconds, when grouping and grading answers."""

    def __post_init__(self) -> None:
        problems = []
        if self.ns is not None and (not self.ns or min(self.ns) < 1):
            problems.append(f"ns must be positive sizes, got {self.ns}")
        if self.n_subsets < 1:
            problems.append(f"n_subsets must be >= 1, got {self.n_subsets}")
        if self.n_bootstrap < 0:
            problems.append(f"n_bootstrap must be >= 0, got {self.n_bootstrap}")
        if not 0 < self.confidence < 1:
            problems.append(f"confidence must be in (0, 1), got {self.confidence}")
        if self.timeout_s <= 0:
            problems.append(f"timeout_s must be > 0, got {self.timeout_s}")
        if problems:
            raise ConfigError("; ".join(problems))


@dataclass(frozen=True)
class BonRow:
    """Accuracy of one selector (with one aggregator) at one N."""

    selector: str
    aggregator: str | None
    """None for selectors that read no scores (majority, pass_at_n)."""
    n: int
    accuracy: float
    ci_low: float
    ci_high: float
    n_problems: int
    n_subsets: int
    """Largest number of subsets evaluated for one problem at this N."""
    policy_tokens: float | None
    verifier_tokens: float | None
    scored: float | None = None
    """Share of the candidates with a solution score under ``aggregator`` (None for selectors
    that read no scores). At 0 the selector had no scores: its accuracy is only the tie-break
    (the first candidate) and the table says "no scores" instead."""
    judge_tokens: float = 0.0
    """Expected pairwise-judge tokens per problem at this N (judge selectors; 0 for the others)."""


@dataclass(frozen=True)
class Comparison:
    """Paired difference ``a - b`` in accuracy at one N, with its bootstrap interval."""

    a: str
    b: str
    aggregator: str | None
    n: int
    difference: float
    ci_low: float
    ci_high: float
    a_better: int
    """Problems where a is more accurate than b."""
    b_better: int


@dataclass(frozen=True)
class BonResult:
    """Rows plus the per-problem accuracies behind them (for paired comparisons)."""

    rows: tuple[BonRow, ...]
    per_problem: dict[tuple[str, str | None, int], npt.NDArray[np.float64]] = field(repr=False)
    config: BonConfig
    boot: npt.NDArray[np.int64] = field(repr=False)
    problem_ids: tuple[str, ...] = field(repr=False)

    def compare(self, a: str, b: str, aggregator: str | None = None) -> list[Comparison]:
        """Paired comparison of selectors ``a`` and ``b`` at every N (same problems, same subsets)."""
        out = []
        for n in sorted({key[2] for key in self.per_problem}):
            ka, kb = self._key(a, aggregator, n), self._key(b, aggregator, n)
            d = self.per_problem[ka] - self.per_problem[kb]
            lo, hi = bootstrap_ci(d, self.boot, self.config.confidence)
            agg = ka[1] or kb[1]
            out.append(
                Comparison(
                    ka[0],
                    kb[0],
                    agg,
                    n,
                    float(d.mean()),
                    lo,
                    hi,
                    int((d > 0).sum()),
                    int((d < 0).sum()),
                )
            )
        return out

    def _key(self, selector: str, aggregator: str | None, n: int) -> tuple[str, str | None, int]:
        name = Selector.parse(selector).name
        hits = [
            k
            for k in self.per_problem
            if k[0] == name and k[2] == n and (aggregator is None or k[1] in (aggregator, None))
        ]
        if not hits:
            raise ConfigError(
                f"no result for selector {selector!r} (aggregator {aggregator!r}) at n={n}"
            )
        return hits[0]

    def to_json(self, comparisons: Sequence[Comparison] = ()) -> dict[str, Any]:
        """``{"config": ..., "results": [rows], "comparisons": [...]}`` (accuracies as fractions)."""
        return {
            "config": asdict(self.config),
            "results": [asdict(r) for r in self.rows],
            "comparisons": [asdict(c) for c in comparisons],
        }


@dataclass(frozen=True)
class _Problem:
    groups: core.IntA
    correct: core.BoolA
    scores: dict[str, core.FloatA]
    policy: core.FloatA
    verifier: core.FloatA


def _prepare(cset: CandidateSet, aggs: Sequence[Aggregator], timeout_s: float) -> list[_Problem]:
    out = []
    for p in cset.problems:
        answers = [c.answer for c in p.candidates]
        correct = []
        for j, c in enumerate(p.candidates):
            if c.correct is not None:
                correct.append(c.correct)
            elif p.reference is not None:
                correct.append(grade_answer(c.answer, p.reference, timeout_s=timeout_s))
            else:
                raise DataFormatError(
                    f"candidate {j} has no correctness and the problem has no reference to grade it",
                    path=cset.source or None,
                    field="correct",
                    value=p.id,
                )
        scores = {
            a.name: np.array([a(c.step_scores or ()) for c in p.candidates], dtype=np.float64)
            for a in aggs
        }
        tok = lambda v: math.nan if v is None else float(v)  # noqa: E731
        groups = np.asarray(group_answers(answers, timeout_s=timeout_s), dtype=np.int64).reshape(len(answers))
        out.append(
            _Problem(
                groups,
                np.asarray(correct, dtype=bool) & (groups >= 0),  # no answer = wrong
                scores,
                np.array([tok(c.policy_tokens) for c in p.candidates], dtype=np.float64),
                np.array([tok(c.verifier_tokens) for c in p.candidates], dtype=np.float64),
            )
        )
    return out


def _compute(per_problem_tokens: list[core.FloatA], n: int) -> float | None:
    means = [float(t.mean()) for t in per_problem_tokens]
    if any(math.isnan(m) for m in means):
        return None
    return n * float(np.mean(means))


def evaluate_bon(
    cset: CandidateSet,
    selectors: Sequence[str | Selector],
    aggregators: Sequence[str | Aggregator] = ("last",),
    config: BonConfig | None = None,
    *,
    progress: Callable[[int], object] | None = None,
    judge: BonJudge | None = None,
) -> BonResult:
    """Accuracy vs N for each selector (x each aggregator, for score-based selectors).

    ``progress`` is called with 1 after each problem (e.g. ``tqdm.update``); ``judge`` is needed
    by the judge selectors (``knockout``, ``elo``).
    """
    cfg = config or BonConfig()
    sels = [s if isinstance(s, Selector) else Selector.parse(s) for s in selectors]
    aggs = [a if isinstance(a, Aggregator) else Aggregator.parse(a) for a in aggregators]
    if not sels:
        raise ConfigError("no selectors given")
    if any(s.spec.uses_scores for s in sels) and not aggs:
        raise ConfigError("score-based selectors need at least one aggregator")
    n_min, _ = cset.n_range
    if n_min < 1:
        raise DataFormatError(
            "every problem needs at least one candidate", path=cset.source or None
        )
    ns = tuple(sorted(set(cfg.ns))) if cfg.ns else default_ns(n_min)
    if max(ns) > n_min:
        raise ConfigError(f"n={max(ns)} exceeds the smallest candidate count per problem ({n_min})")
    judged = [s.kind for s in sels if s.spec.uses_judge]
    if judged and judge is None:
        raise ConfigError(f"selectors {', '.join(judged)} need a pairwise judge (judge=)")
    probs = _prepare(cset, aggs, cfg.timeout_s)
    tables = judge_tables(judge, cset) if judged and judge is not None and max(ns) > 1 else []
    tie = next((a.name for a in aggs if any((~np.isnan(p.scores[a.name])).any() for p in probs)), None)
    combos: list[tuple[Selector, str | None]] = []
    for s in sels:
        if s.spec.uses_judge:
            combos.append((s, tie))
        else:
            combos += [(s, a.name) for a in aggs] if s.spec.uses_scores else [(s, None)]
    combos = list(dict.fromkeys(combos))
    acc: dict[tuple[str, str | None, int], npt.NDArray[np.float64]] = {
        (s.name, a, n): np.zeros(len(probs)) for s, a in combos for n in ns
    }
    judge_tok = {key: np.zeros(len(probs)) for key in acc}
    n_used: dict[int, int] = dict.fromkeys(ns, 0)
    for pi, pr in enumerate(probs):
        size = pr.groups.shape[0]
        n_groups = max(int(pr.groups.max()) + 1, 1)
        for n in ns:
            masks = subset_masks(size, n, cfg.n_subsets, np.random.default_rng([cfg.seed, pi, n]))
            n_used[n] = max(n_used[n], masks.shape[0])
            step = max(1, _CHUNK_CELLS // max(size, n_groups))
            hits = {key: 0.0 for key in combos}
            seeds = subset_seeds(cfg.seed, pi, n, masks.shape[0]) if judged else []
            for start in range(0, masks.shape[0], step):
                chunk = masks[start : start + step]
                stats = core.Stats.of(pr.groups, chunk)
                for s, a in combos:
                    scores = pr.scores[a] if a is not None else np.full(size, np.nan)
                    if s.spec.uses_judge:
                        chosen, tok = run_judged(
                            s.kind, tables[pi] if tables else {}, chunk,
                            scores if a is not None else None, seeds[start : start + step],
                        )
                        judge_tok[(s.name, a, n)][pi] += float(tok.sum()) / masks.shape[0]
                    else:
                        chosen = run_selector(s, pr.groups, scores, pr.correct, chunk, stats)
                    hits[(s, a)] += float(
                        np.where(chosen >= 0, pr.correct[np.maximum(chosen, 0)], False).sum()
                    )
            for s, a in combos:
                acc[(s.name, a, n)][pi] = hits[(s, a)] / masks.shape[0]
        if progress is not None:
            progress(1)
    boot = bootstrap_index(len(probs), cfg.n_bootstrap, cfg.seed)
    scored = {a.name: float(np.mean(np.concatenate([~np.isnan(p.scores[a.name]) for p in probs]))) for a in aggs}
    rows = []
    for s, a in combos:
        for n in ns:
            v = acc[(s.name, a, n)]
            lo, hi = bootstrap_ci(v, boot, cfg.confidence)
            reads_scores = s.spec.uses_scores or (s.spec.uses_judge and a is not None)
            verifier = _compute([p.verifier for p in probs], n) if reads_scores else 0.0
            rows.append(
                BonRow(
                    s.name,
                    a,
                    n,
                    float(v.mean()),
                    lo,
                    hi,
                    len(probs),
                    n_used[n],
                    _compute([p.policy for p in probs], n),
                    verifier,
                    scored[a] if a is not None and not s.spec.uses_judge else None,
                    float(judge_tok[(s.name, a, n)].mean()),
                )
            )
    return BonResult(tuple(rows), acc, cfg, boot, tuple(p.id for p in cset.problems))
