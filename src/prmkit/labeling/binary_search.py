"""Binary search for the first error (OmegaPRM, D2 in the method cards).

A prefix x_1..x_t is *good* when at least one of up to ``k`` rollouts from it
reaches the gold answer. For a solution whose answer is wrong, the full prefix
(t = K) is bad and the question alone (t = 0) is assumed good; the search keeps
``lo`` good and ``hi`` bad and probes the midpoint until ``hi = lo + 1``. The
first error is step ``hi`` (0-based index ``hi - 1``): every step before it is
labelled 1, it and every later step 0. Cost: about ``log2 K`` probes instead of
the ``K - 1`` of per-step Monte Carlo.

Rollouts are drawn in waves of ``wave`` and a probe stops at the first wave
with a correct rollout: deciding "good" needs one success, only a bad prefix
needs all ``k``. Rollout indices (hence seeds) are the same as per-step Monte
Carlo's, so the two share rollouts when they share a job seed and store.

A solution whose own answer is correct is labelled all-correct without
rollouts (OmegaPRM searches only wrong rollouts). The ``mc`` values of the
result are the fraction correct among the rollouts a probe drew; with early
stopping that fraction is biased upwards, so the labels are hard only.

``search="gallop"`` probes prefixes 1, 2, 4, ... from the left until one is
bad, then bisects the last gap (exponential search). Good probes are cheap
(one wave when the policy succeeds) and bad ones cost all k, so when errors
come early, as with weak policies, galloping pays one bad probe where
bisection from the middle pays about log2 K; it also meets an early bad
prefix before a later one, which matters when MC values are not monotone.

>>> from prmkit.types import Solution
>>> from prmkit.labeling import LabelTask
>>> from prmkit.runtime import Rollout
>>> steps = ("s1", "s2", "s3", "s4", "The answer is: 9")
>>> task = LabelTask(Solution("q", steps, id="s"), "8", correct=False)
>>> plan = BinarySearch(k=2, wave=2).plan(task)
>>> [len(p.steps) for p in next(plan)]              # probe the midpoint of (0, 5)
[2]
>>> [len(p.steps) for p in plan.send([[Rollout(0, True, 3, ""), Rollout(1, False, 3, "")]])]
[3]
>>> try:
...     plan.send([[Rollout(0, False, 3, ""), Rollout(1, False, 3, "")]])
... except StopIteration as stop:
...     print(stop.value[0].example.labels, stop.value[0].first_error)
(1.0, 1.0, 0.0, 0.0, 0.0) 2
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import ClassVar, Literal

from prmkit.errors import ConfigError
from prmkit.labeling._types import LabelOutcome, LabelTask, Method, Plan
from prmkit.runtime import Probe, Rollout
from prmkit.types import StepwiseExample

__all__ = ["BinarySearch", "probe_prefix"]


@dataclass(frozen=True)
class BinarySearch:
    """OmegaPRM's binary search for the first wrong step of a wrong solution."""

    k: int = 8
    """Most rollouts per probed prefix (OmegaPRM: 8); a prefix is bad when all k fail."""
    wave: int = 2
    """Rollouts drawn at a time; a probe stops after the first wave with a correct rollout (``wave = k``: no early stop)."""
    search: Literal["bisect", "gallop"] = "bisect"
    """``"bisect"``: probe midpoints (OmegaPRM); ``"gallop"``: probe 1, 2, 4, ... then bisect the last gap."""

    method: ClassVar[Method] = "binary_search"

    def __post_init__(self) -> None:
        problems = []
        if self.k < 1:
            problems.append(f"k must be >= 1, got {self.k}")
        if not 1 <= self.wave <= max(self.k, 1):
            problems.append(f"wave must be in [1, k={self.k}], got {self.wave}")
        if self.search not in ("bisect", "gallop"):
            problems.append(f"search must be 'bisect' or 'gallop', got {self.search!r}")
        if problems:
            raise ConfigError("BinarySearch: " + "; ".join(problems))

    def plan(self, task: LabelTask) -> Plan:
        """Search the first bad prefix of a wrong solution; a correct one is all 1 at no cost."""
        steps = task.solution.steps
        n = len(steps)
        if task.correct is None:
            raise ValueError(f"{task.id}: the solution's own correctness must be known (LabelTask.correct)")
        mc: list[float | None] = [None] * n
        if task.correct:
            mc[-1] = 1.0
            ex = StepwiseExample(task.solution.problem, steps, (1.0,) * n)
            return [LabelOutcome(ex, -1, tuple(mc), {"k": self.k, "probes": []})]
        mc[-1] = 0.0
        lo, hi = 0, n
        probes: list[list[int]] = []

        def record(t: int, rollouts: list[Rollout]) -> bool:
            correct = sum(r.correct for r in rollouts)
            mc[t - 1] = correct / len(rollouts)
            probes.append([t, len(rollouts), correct])
            return correct > 0

        if self.search == "gallop":
            t = 1
            while t < hi:
                good = record(t, (yield from probe_prefix(steps[:t], self.k, self.wave)))
                lo, hi = (t, hi) if good else (lo, t)
                if not good:
                    break
                t *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if record(mid, (yield from probe_prefix(steps[:mid], self.k, self.wave))):
                lo = mid
            else:
                hi = mid
        first_error = hi - 1
        labels = tuple(1.0 if i < first_error else 0.0 for i in range(n))
        return [
            LabelOutcome(
                StepwiseExample(task.solution.problem, steps, labels), first_error, tuple(mc), {"k": self.k, "probes": probes}
            )
        ]


def probe_prefix(
    steps: tuple[str, ...], k: int, wave: int
) -> Generator[list[Probe], list[list[Rollout]], list[Rollout]]:
    """Sub-plan: draw rollouts from ``steps`` in waves until one is correct or ``k`` are drawn.

    Returns the rollouts drawn (all of them, for the MC estimate). Use with ``yield from``.
    """
    drawn: list[Rollout] = []
    while len(drawn) < k:
        count = min(wave, k - len(drawn))
        (got,) = yield [Probe(steps, len(drawn), count)]
        drawn.extend(got)
        if any(r.correct for r in got):
            break
    return drawn
