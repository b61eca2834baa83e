"""Config of ``prmkit search-compare``: several methods and budgets on one problem set, then the table and plot.

>>> cfg = CompareConfig(run=SearchConfig(problems="p.jsonl", out="runs/cmp"), methods=("bon", "beam"), ns=(4, 8))
>>> [(c.method, c.n, c.out) for c in cfg.runs()]
[('bon', 8, 'runs/cmp/bon-n8'), ('beam', 4, 'runs/cmp/beam-n4'), ('beam', 8, 'runs/cmp/beam-n8')]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from prmkit.config import option
from prmkit.errors import ConfigError
from prmkit.search.config import SearchConfig
from prmkit.search.live import SEARCHES

__all__ = ["CompareConfig"]


@dataclass(frozen=True)
class CompareConfig:
    """Settings of ``prmkit search-compare``: one run per (method, N) under ``out``, then the comparison."""

    run: SearchConfig
    """Problems, output folder, policy, PRM and sampling shared by every run (``--method``/``--n`` unused)."""
    methods: tuple[str, ...] = field(default=("bon", "greedy", "beam", "dvts", "particle"),
                                     metadata=option(sep=","))
    """Methods to run, comma-separated. ``bon`` runs once at the largest N; majority vote, PRM-weighted vote
    and best-of-N at every N are read off its pool (or off a larger pool already in the folder)."""
    ns: tuple[int, ...] = field(default=(4, 8), metadata=option(sep=",", flag="--ns"))
    """Budgets N, comma-separated."""
    report_only: bool = False
    """Only write the table and plot from the problems every run has finished, searching nothing: read-only,
    so it is safe beside a search still running into the same folders."""

    def __post_init__(self) -> None:
        if not self.methods or not self.ns or min(self.ns) < 1:
            raise ConfigError("give at least one method and budgets N >= 1")
        for m in self.methods:
            SEARCHES.get(m)  # an unknown name is an error naming the close ones

    def runs(self) -> list[SearchConfig]:
        """The runs, in order: each method at each N (``bon`` once, at the largest N)."""
        out = []
        for m in self.methods:
            for n in ([max(self.ns)] if m == "bon" else sorted(self.ns)):
                out.append(replace(self.run, method=m, n=n, out=f"{self.run.out}/{m}-n{n}"))
        return out
