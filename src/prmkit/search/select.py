r"""Selectors: choose one answer among a problem's N candidates.

Each selector sees the candidates' answers (grouped by equivalence, see
:func:`prmkit.answers.group_answers`), their aggregated solution
scores (:mod:`prmkit.search.aggregate`) and, for the oracle only, their
correctness. Registry :data:`SELECTORS`; the name is also the CLI and JSON value.

================  ============================================================
``best_of_n``     the highest-scored candidate (rm@n / prm@n)
``majority``      the most frequent answer (maj@n, self-consistency)
``weighted_sum``  the answer with the largest sum of scores (needs scores >= 0)
``weighted_max``  the answer with the largest single score
``hmrv``          Hybrid Majority Reward Vote (UnPRM), parameter θ (threshold)
``wrfv``          Weighted Reward Frequency Vote (UnPRM), parameter w (weight)
``pass_at_n``     oracle: a correct candidate if there is one (pass@n)
``knockout``      pairwise judge, single elimination (:mod:`prmkit.search.tournament`)
``elo``           pairwise judge, round-robin Elo ratings
================  ============================================================

``knockout`` and ``elo`` need a pairwise judge (``uses_judge``): they run in
:func:`prmkit.evaluation.bon.evaluate_bon` with a judge, or through
:mod:`prmkit.search.tournament`, not through :func:`run_selector`.

**Missing answers** never vote; a vote among missing answers only returns
``NoAnswer`` with index -1. ``best_of_n`` ranks by score alone, so it can pick
a candidate without an answer. **No answer = wrong**, for every selector: a
candidate without an answer counts as incorrect even where its correctness
label says otherwise (the ``pass_at_n`` oracle never picks it as a hit).
**Unscored** candidates (score ``nan``, see the NaN rule of
:mod:`prmkit.search.aggregate`) rank below every scored one and add no
weight; with no scored candidate at all a score-based selector falls back to
the tie-break (the first candidate), which evaluation reports as "no scores".

**Ties**: the group (or candidate) seen first wins — the one whose first
candidate has the lowest index; values equal to 12 decimals tie. A vote
returns its group's first candidate.

**HMRV and WRFV** follow the structure stated for UnPRM (arXiv 2508.01773,
abstract-level description); the paper's exact threshold, weight and PRM
fallback rule were not available, so θ and w are explicit parameters:

* ``hmrv:θ`` — if the majority answer's share of the n candidates is at least
  θ, return the majority answer, else the *reward vote*: the answer with the
  largest sum of solution scores (the PRM-weighted vote; the "Reward Vote" of
  the name). With no answered candidate at all it returns the best-of-N
  candidate. Default θ = 0.5: the majority answer then holds at least half the
  votes (no rival answer can have more), the usual meaning of "high consensus".
  Because the low-consensus branch pools evidence per answer, HMRV can choose
  an answer that neither majority vote nor best-of-N chooses.
* ``wrfv:w`` — score(a) = w · R(a) + (1 − w) · count(a)/n, with R(a) the mean
  score of a's candidates min-max normalised across answers. Default
  w = 0.5: both terms lie in [0, 1] and neither source of evidence is favoured.

>>> sel = select("majority", ["5", "4", r"\frac{8}{2}", "5", None])
>>> sel.index, sel.answer.key
(0, '5')
>>> select("best_of_n", ["5", "4", "4"], scores=[0.2, 0.9, 0.9]).index
1
>>> select("hmrv:0.75", ["5", "4", "4", "5"], scores=[0.1, 0.2, 0.3, 0.9]).index
0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from prmkit._registry import Registry
from prmkit.answers import DEFAULT_TIMEOUT_S, Answer, NoAnswer, as_answer, group_answers
from prmkit.errors import ConfigError
from prmkit.search import batched as core

__all__ = ["SELECTORS", "Selection", "Selector", "SelectorDef", "run_selector", "select"]


@dataclass(frozen=True)
class SelectorDef:
    """A registered selector: its batched function and what it reads."""

    fn: Callable[..., core.IntA]
    """``fn(groups_N, scores_N, correct_N, mask_RN, param, stats) -> chosen_R``."""
    uses_scores: bool
    """Reads solution scores (and so costs verifier compute)."""
    uses_correct: bool = False
    """Reads correctness (an oracle, not a real selector)."""
    param: str | None = None
    """Name of its one numeric parameter, if it has one."""
    default: float | None = None
    """Default value of that parameter."""
    lo: float = 0.0
    hi: float = 1.0
    uses_judge: bool = False
    """Needs a pairwise judge (:mod:`prmkit.search.tournament`); not batched by ``fn``."""


SELECTORS: Registry[SelectorDef] = Registry("selector")
"""Selector name -> :class:`SelectorDef`."""
SELECTORS.register(
    "best_of_n", SelectorDef(lambda g, s, c, m, p, st: core.best_of_n(g, s, m), True)
)
SELECTORS.register(
    "majority", SelectorDef(lambda g, s, c, m, p, st: core.majority(g, m, st), False)
)
SELECTORS.register(
    "weighted_sum", SelectorDef(lambda g, s, c, m, p, st: core.weighted(g, s, m, "sum", st), True)
)
SELECTORS.register(
    "weighted_max", SelectorDef(lambda g, s, c, m, p, st: core.weighted(g, s, m, "max", st), True)
)
SELECTORS.register(
    "hmrv",
    SelectorDef(
        lambda g, s, c, m, p, st: core.hmrv(g, s, m, p, st), True, param="threshold", default=0.5
    ),
)
SELECTORS.register(
    "wrfv",
    SelectorDef(
        lambda g, s, c, m, p, st: core.wrfv(g, s, m, p, st), True, param="weight", default=0.5
    ),
)
SELECTORS.register(
    "pass_at_n", SelectorDef(lambda g, s, c, m, p, st: core.oracle(c, m), False, uses_correct=True)
)



def _needs_judge(*_: object) -> core.IntA:
    raise ConfigError("knockout and elo need a pairwise judge: run them through prmkit.evaluation.bon.evaluate_bon "
                      "with judge=, or prmkit.search.tournament")


SELECTORS.register("knockout", SelectorDef(_needs_judge, False, uses_judge=True))
SELECTORS.register("elo", SelectorDef(_needs_judge, False, uses_judge=True))


@dataclass(frozen=True)
class Selector:
    """A selector name and its parameter, written ``name[:value]`` (``"hmrv:0.6"``).

    >>> Selector.parse("wrfv").name, Selector.parse("hmrv:0.6").param
    ('wrfv:0.5', 0.6)
    """

    kind: str
    """A name in :data:`SELECTORS`."""
    param: float | None = None
    """θ for ``hmrv``, w for ``wrfv`` (in [0, 1]); the registered default when None."""

    def __post_init__(self) -> None:
        d = SELECTORS.get(self.kind)
        if d.param is None and self.param is not None:
            raise ConfigError(f"selector {self.kind!r} takes no parameter, got {self.param}")
        if d.param is not None:
            value = d.default if self.param is None else self.param
            if value is None or not d.lo <= value <= d.hi:
                raise ConfigError(
                    f"selector {self.kind!r}: {d.param} must be in [{d.lo}, {d.hi}], got {value}"
                )
            object.__setattr__(self, "param", float(value))

    @property
    def spec(self) -> SelectorDef:
        return SELECTORS.get(self.kind)

    @property
    def name(self) -> str:
        """The spec string, with the parameter spelled out (``hmrv:0.5``)."""
        return self.kind if self.param is None else f"{self.kind}:{self.param:g}"

    @classmethod
    def parse(cls, text: str) -> Selector:
        """Read ``name[:value]``; raises :class:`ConfigError` on a malformed value."""
        name, _, value = text.strip().partition(":")
        if not value:
            return cls(name)
        try:
            param = float(value)
        except ValueError:
            raise ConfigError(
                f"selector {text!r}: parameter must be a number, got {value!r}"
            ) from None
        return cls(name, param)


def run_selector(
    selector: Selector,
    groups_N: core.IntA,
    scores_N: core.FloatA,
    correct_N: core.BoolA | None,
    mask_RN: core.BoolA,
    stats: core.Stats | None = None,
) -> core.IntA:
    """Batched selection over subsets ``mask_RN`` of one problem: chosen index per subset (-1 = none)."""
    d = selector.spec
    if d.uses_judge:
        _needs_judge()
    if d.uses_correct and correct_N is None:
        raise ConfigError(f"selector {selector.kind!r} is an oracle and needs correctness labels")
    st = stats if stats is not None else core.Stats.of(groups_N, mask_RN)
    correct = correct_N if correct_N is not None else np.zeros(groups_N.shape[0], bool)
    correct = correct & (groups_N >= 0)  # no answer = wrong, whatever the label says
    return d.fn(groups_N, scores_N, correct, mask_RN, selector.param, st)


@dataclass(frozen=True)
class Selection:
    """The chosen candidate and its answer; ``index`` -1 means no answer could be chosen."""

    index: int
    answer: Answer | NoAnswer


def select(
    selector: str | Selector,
    answers: Sequence[str | Answer | NoAnswer | None],
    scores: Sequence[float] | None = None,
    correct: Sequence[bool] | None = None,
    *,
    timeout_s: float | None = None,
) -> Selection:
    """Choose among one problem's candidates.

    ``answers``: extracted answers (``None`` = missing); ``scores``: aggregated
    solution scores (``nan`` = unscored), needed by score-based selectors;
    ``correct``: needed by the ``pass_at_n`` oracle; ``timeout_s``: per math-verify
    comparison when grouping answers (default 5 s).

    >>> select("weighted_sum", ["3", "7", "7"], scores=[0.9, 0.5, 0.5]).answer.key
    '7'
    """
    sel = selector if isinstance(selector, Selector) else Selector.parse(selector)
    n = len(answers)
    if sel.spec.uses_judge:
        _needs_judge()
    if sel.spec.uses_scores and scores is None:
        raise ConfigError(f"selector {sel.kind!r} needs solution scores")
    if scores is not None and len(scores) != n:
        raise ConfigError(f"{len(scores)} scores for {n} answers")
    if correct is not None and len(correct) != n:
        raise ConfigError(f"{len(correct)} correctness labels for {n} answers")
    parsed = [as_answer(a) for a in answers]
    groups = np.asarray(
        group_answers(parsed, timeout_s=timeout_s or DEFAULT_TIMEOUT_S), dtype=np.int64
    ).reshape(n)
    s = np.full(n, np.nan) if scores is None else np.asarray(scores, dtype=np.float64)
    c = None if correct is None else np.asarray(correct, dtype=bool)
    idx = int(run_selector(sel, groups, s, c, np.ones((1, n), bool))[0])
    if idx < 0:
        return Selection(-1, NoAnswer("missing", "no candidate has an answer"))
    return Selection(idx, parsed[idx])
