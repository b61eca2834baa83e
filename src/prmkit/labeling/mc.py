"""Math-Shepherd Monte Carlo labels: k rollouts from every step prefix.

For a solution with steps x_1..x_K and gold answer a*, ``c_t`` is the fraction
of ``k`` completions of the prefix x_1..x_t whose final answer equals a*.
Hard label y_t = 1 iff c_t > threshold (threshold 0: "any rollout correct",
the best setting in Qwen's Lessons study); soft label y_t = c_t. The last
step's label is the solution's own correctness, so it costs no rollout:
K - 1 probes of k rollouts each.

>>> from prmkit.types import Solution
>>> from prmkit.labeling import LabelTask
>>> from prmkit.runtime import Rollout
>>> task = LabelTask(Solution("q", ("a", "b", "The answer is: 1"), id="s"), "2", correct=False)
>>> plan = MonteCarlo(k=2, label="soft").plan(task)
>>> [p.steps for p in next(plan)]
[('a',), ('a', 'b')]
>>> r = lambda ok: Rollout(0, ok, 5, "")
>>> try:
...     plan.send([[r(True), r(False)], [r(False), r(False)]])
... except StopIteration as stop:
...     print(stop.value[0].example.labels, stop.value[0].first_error)
(0.5, 0.0, 0.0) 1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from prmkit.errors import ConfigError
from prmkit.labeling._types import LabelOutcome, LabelTask, Method, Plan
from prmkit.runtime import Probe
from prmkit.types import StepwiseExample

__all__ = ["MonteCarlo"]


@dataclass(frozen=True)
class MonteCarlo:
    """Per-step Monte Carlo labelling (Math-Shepherd; D1 in the method cards)."""

    k: int = 8
    """Rollouts per step prefix (Math-Shepherd and Lessons: 8; RLHFlow: 16)."""
    label: Literal["hard", "soft"] = "hard"
    """``"hard"``: 1.0 iff c_t > threshold; ``"soft"``: c_t itself (the ``mc`` field keeps c_t either way)."""
    threshold: float = 0.0
    """A prefix is good when its fraction of correct rollouts exceeds this (0 = any correct)."""
    truncate_after_error: bool = False
    """Drop every step after the first wrong one (Lessons); Math-Shepherd keeps them."""

    method: ClassVar[Method] = "mc"

    def __post_init__(self) -> None:
        problems = []
        if self.k < 1:
            problems.append(f"k must be >= 1, got {self.k}")
        if self.label not in ("hard", "soft"):
            problems.append(f"label must be 'hard' or 'soft', got {self.label!r}")
        if not 0.0 <= self.threshold < 1.0:
            problems.append(f"threshold must be in [0, 1), got {self.threshold}")
        if problems:
            raise ConfigError("MonteCarlo: " + "; ".join(problems))

    def plan(self, task: LabelTask) -> Plan:
        """Probe every prefix x_1..x_t, t = 1..K-1, with k rollouts; the last step is graded directly."""
        steps = task.solution.steps
        if task.correct is None:
            raise ValueError(f"{task.id}: the solution's own correctness must be known (LabelTask.correct)")
        probes = [Probe(steps[:t], 0, self.k) for t in range(1, len(steps))]
        results = (yield probes) if probes else []
        mc: list[float | None] = [sum(r.correct for r in rs) / len(rs) for rs in results]
        mc.append(1.0 if task.correct else 0.0)
        good = [v is not None and v > self.threshold for v in mc]
        first_error = next((i for i, g in enumerate(good) if not g), -1)
        if self.label == "hard":
            labels = [1.0 if g else 0.0 for g in good]
        else:
            labels = [float(v) if v is not None else 0.0 for v in mc]
        completions = steps
        if self.truncate_after_error and first_error >= 0:
            completions, labels, mc = steps[: first_error + 1], labels[: first_error + 1], mc[: first_error + 1]
        return [
            LabelOutcome(
                example=StepwiseExample(task.solution.problem, tuple(completions), tuple(labels)),
                first_error=first_error,
                mc=tuple(mc),
                extra={"k": self.k},
            )
        ]
