"""The search tree every live search grows: nodes (a prefix of steps with its PRM scores), how they are
drawn from the policy and scored, and the record of what became of each.

A search algorithm is a plan (:mod:`prmkit.runtime`): it yields requests and
receives answers. :class:`Tree` turns the two requests a search makes into
sub-generators used with ``yield from``:

* :meth:`Tree.extend` asks the policy for ``count`` continuations of each
  parent (one step, stopping at the blank line between steps; or the rest of
  the solution on the last iteration) and returns the children;
* :meth:`Tree.score` asks the job's PRM for the step scores of nodes (one
  batched scorer call per round for every problem and beam, see
  :func:`prmkit.runtime.run_plans`) and sets each node's ``score``.

Rollout indices are handed out per (prefix, sampling), so a prefix expanded
twice (two beams that wrote the same text, a particle resampled twice) draws
fresh samples, and a rerun asks for the very same ones (resume, replay).

Every node records its fate (``kept``, ``pruned``, ``rejected``,
``resampled``, ``final``) and whether the policy *restarted* the solution
instead of continuing it (:func:`prmkit.steps.is_restart`); the restart rate is
part of every search result.

>>> tree = Tree(Problem("p", "1+1?", "2"))
>>> tree.root.steps, tree.root.done
((), False)
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from prmkit.errors import ConfigError
from prmkit.generation import Sampling
from prmkit.runtime import Probe, Query, Request, Rollout
from prmkit.search.aggregate import aggregate
from prmkit.steps import STEP_SEPARATOR, is_restart, split_steps, stated_answer
from prmkit.types import Problem, ScoreResult, StepScores

__all__ = ["Node", "Sub", "Tree", "check_width", "ranked", "step_sampling"]

Sub = Generator[list[Request], list[Any], Any]


def check_width(n: int, width: int) -> None:
    """Refuse a budget that is not a positive multiple of the candidates per kept beam.

    >>> check_width(8, 3)
    Traceback (most recent call last):
    ...
    prmkit.errors.ConfigError: n must be a positive multiple of width, got n=8, width=3
    """
    if n < 1 or width < 1 or n % width:
        raise ConfigError(f"n must be a positive multiple of width, got n={n}, width={width}")


def step_sampling(base: Sampling, max_tokens: int, *, temperature: float | None = None) -> Sampling:
    """``base`` cut to one step: it also stops at the blank line between steps, after at most ``max_tokens``.

    >>> step_sampling(Sampling(), 64).stop
    ('\\n\\n',)
    """
    stop = tuple(dict.fromkeys((*base.stop, STEP_SEPARATOR)))
    t = base.temperature if temperature is None else temperature
    return replace(base, max_tokens=max_tokens, stop=stop, temperature=t)


@dataclass
class Node:
    """A prefix of steps in the search tree (the root has none)."""

    id: int
    parent: int
    """The parent node's id (-1 for the root)."""
    steps: tuple[str, ...]
    partial: str = ""
    """An unfinished step after ``steps`` (early rejection cuts steps after a few tokens)."""
    done: bool = False
    """The solution is finished: it states an answer, ran out of tokens, or the policy wrote nothing more."""
    correct: bool = False
    """Graded when ``done``: the stated answer matches the reference."""
    tokens: int = 0
    """Tokens the policy generated for this node's step(s)."""
    finish: str = "stop"
    restart: bool = False
    """The policy started the solution over instead of continuing the prefix."""
    step_scores: tuple[float, ...] = ()
    score: float = math.nan
    """The aggregated PRM score of the prefix (nan until scored; -inf when the scorer failed)."""
    status: str = "open"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return STEP_SEPARATOR.join(self.steps) + (STEP_SEPARATOR + self.partial if self.partial else "")

    def record(self) -> dict[str, Any]:
        """The node as JSON (its new step only; a prefix is the path of steps from the root)."""
        new = self.steps[-1] if self.steps else ""
        rec = {"id": self.id, "parent": self.parent, "step": new, "n_steps": len(self.steps),
               "score": None if math.isnan(self.score) else self.score, "status": self.status,
               "done": self.done, "tokens": self.tokens}
        if self.partial:
            rec["partial"] = self.partial
        if self.done:
            rec["correct"] = self.correct
        if self.restart:
            rec["restart"] = True
        return rec | self.extra


class Tree:
    """The nodes of one problem's search, the counters every result reports, and the two requests."""

    def __init__(self, problem: Problem, *, agg: str = "last") -> None:
        self.problem, self.agg = problem, agg
        self.nodes: list[Node] = [Node(0, -1, ())]
        self._next: dict[str, int] = {}
        self.continuations = 0
        """Continuations of a non-empty prefix drawn (the restart rate's denominator)."""
        self.restarts = 0

    @property
    def root(self) -> Node:
        return self.nodes[0]

    def extend(
        self, parents: Sequence[Node], counts: Sequence[int], sampling: Sampling | None, *, partial_ok: bool = False
    ) -> Sub:
        """Draw ``counts[i]`` continuations of ``parents[i]``; returns one list of children per parent.

        With ``partial_ok`` a continuation cut by the token limit stays an unfinished step
        (``partial``) instead of ending the solution.
        """
        probes = []
        for p, c in zip(parents, counts, strict=True):
            probe = Probe(p.steps, 0, c, sampling, p.partial)
            first = self._next.get(probe.key, 0)
            self._next[probe.key] = first + c
            probes.append(replace(probe, first=first))
        answers = yield [p for p in probes if p.count]
        it = iter(answers)
        out = []
        for p, probe in zip(parents, probes, strict=True):
            rollouts: list[Rollout] = next(it) if probe.count else []
            out.append([self._child(p, r, partial_ok) for r in rollouts])
        return out

    def _child(self, parent: Node, r: Rollout, partial_ok: bool) -> Node:
        text = parent.partial + r.text
        new = split_steps(text)
        for i, s in enumerate(new):  # nothing after the step that states the answer
            if stated_answer(s) is not None:
                new = new[: i + 1]
                break
        answered = any(stated_answer(s) is not None for s in new)
        node = Node(len(self.nodes), parent.id, parent.steps + tuple(new), tokens=r.n_tokens,
                    finish=r.finish_reason, correct=r.correct)
        if partial_ok and r.finish_reason == "length" and not answered and new:
            node.steps, node.partial, node.correct = parent.steps + tuple(new[:-1]), new[-1], False
        else:
            node.done = answered or not new or r.finish_reason == "length"
            node.correct = r.correct and node.done
        if parent.steps and not parent.partial:
            self.continuations += 1
            if is_restart(parent.steps, r.text):
                node.restart = True
                self.restarts += 1
        self.nodes.append(node)
        return node

    def score(self, nodes: Sequence[Node]) -> Sub:
        """Ask the PRM for the step scores of ``nodes`` (an unfinished step is scored as a step)."""
        todo = [n for n in nodes if n.steps or n.partial]
        answers: list[ScoreResult] = yield [Query(n.steps + ((n.partial,) if n.partial else ())) for n in todo]
        for n, res in zip(todo, answers, strict=True):
            if isinstance(res, StepScores):
                n.step_scores = res.scores
                n.score = aggregate(list(res.scores), self.agg)
            else:
                n.score, n.extra["score_failure"] = -math.inf, res.reason
        return None

    def records(self) -> list[dict[str, Any]]:
        return [n.record() for n in self.nodes[1:]]


def ranked(nodes: Sequence[Node]) -> list[Node]:
    """Best aggregated score first; ties keep the earlier node (nan and failures last)."""
    def key(n: Node) -> float:
        return -math.inf if math.isnan(n.score) else n.score

    return sorted(nodes, key=lambda n: -key(n))
