"""Particle filtering (arXiv 2502.01618; its_hub): PRM scores as likelihoods, resampling by weight.

``n`` particles each extend their solution by one step per iteration. A
particle's PRM score is read as a likelihood: its log-weight is the log-odds
``log(s / (1 - s))`` of its aggregated score ``s`` (as its_hub does; ``weight
= "score"`` takes the score itself, for PRMs whose scores are already
log-scale), divided by ``temperature``, and the weights are their softmax over
the particles. So particles on prefixes the PRM believes survive and multiply
while the others die out, but a lower-scored particle keeps a chance. (The
score itself as the log-weight would make the filter inert for probabilities:
``exp(s)`` of scores in [0, 1] differ at most e-fold, and the effective sample
size of n = 4 or 8 such weights never falls below half of n.) When the
effective sample size ``1 / sum(w_i^2)`` falls below ``ess`` * n, the particles
are resampled: ``n`` draws in proportion to the weights (systematic
resampling, seeded by the job seed and problem id, so a rerun draws the
same). Finished particles keep their place and weight until
every particle has finished; the answer is the finished particle with the
highest weight (equivalently, score).

Resampling duplicates prefixes; each copy draws its own next step (fresh
rollout indices of the same prefix).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from prmkit.errors import ConfigError
from prmkit.runtime import Plan
from prmkit.search.outcome import Context, SearchOutcome, outcome
from prmkit.search.tree import Node, Tree, step_sampling
from prmkit.types import Problem

__all__ = ["ParticleFilter", "ess", "systematic"]


def ess(weights: np.ndarray) -> float:
    """Effective sample size of normalised weights.

    >>> ess(np.array([0.25, 0.25, 0.25, 0.25])), ess(np.array([1.0, 0, 0, 0]))
    (4.0, 1.0)
    """
    return float(1.0 / np.sum(weights**2))


def systematic(weights: np.ndarray, rng: np.random.Generator) -> list[int]:
    """``len(weights)`` indices drawn in proportion to the weights with one uniform offset.

    >>> systematic(np.array([0.5, 0.5, 0.0, 0.0]), np.random.default_rng(0))
    [0, 0, 1, 1]
    """
    n = len(weights)
    points = (rng.random() + np.arange(n)) / n
    cum = np.cumsum(weights)
    cum[-1] = 1.0
    return [int(i) for i in np.searchsorted(cum, points, side="right")]


@dataclass(frozen=True)
class ParticleFilter:
    """Particle filtering over steps with an ESS-triggered resampling."""

    n: int = 8
    """Particles."""
    temperature: float = 1.0
    """Weights are ``softmax(log-weight / temperature)``; smaller sharpens the selection."""
    weight: Literal["logit", "score"] = "logit"
    """A particle's log-weight: ``logit``, the log-odds of its score, a probability (clipped to
    [1e-7, 1 - 1e-7]; a score outside [0, 1] is an error); ``score``, the score itself."""
    ess: float = 0.5
    """Resample when the effective sample size drops below this fraction of ``n`` (1.0: every step)."""
    iterations: int = 40
    step_tokens: int = 256
    agg: str = "last"

    def __post_init__(self) -> None:
        if self.n < 1 or self.temperature <= 0 or not 0 < self.ess <= 1:
            raise ConfigError("need n >= 1, temperature > 0 and 0 < ess <= 1")
        if self.weight not in ("logit", "score"):
            raise ConfigError(f"weight must be 'logit' or 'score', got {self.weight!r}")

    def weights(self, particles: list[Node]) -> np.ndarray:
        """Normalised weights; an unscored particle (nan) gets none unless no particle is scored.

        >>> from types import SimpleNamespace as P
        >>> ParticleFilter(n=2).weights([P(score=0.9), P(score=0.5)]).round(3).tolist()  # odds 9 : 1
        [0.9, 0.1]
        """
        s = np.array([p.score if math.isfinite(p.score) else -math.inf for p in particles], dtype=float)
        finite = np.isfinite(s)
        if not finite.any():
            return np.full(len(particles), 1.0 / len(particles))
        if self.weight == "logit":
            bad = s[finite & ((s < 0) | (s > 1))]
            if bad.size:
                raise ValueError(f"particle weight 'logit' reads scores as probabilities, got {bad[0]:g}; "
                                 "use weight='score' for this PRM")
            c = np.clip(s, 1e-7, 1 - 1e-7)
            s = np.where(finite, np.log(c) - np.log1p(-c), -math.inf)
        z = np.exp((s - s[finite].max()) / self.temperature)
        return z / z.sum()

    def plan(self, problem: Problem, context: Context) -> Plan[SearchOutcome]:
        tree = Tree(problem, agg=self.agg)
        step = step_sampling(context.sampling, self.step_tokens)
        digest = hashlib.sha256(f"particle|{context.seed}|{problem.id}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
        particles: list[Node] = [tree.root] * self.n
        resamples = 0
        for it in range(self.iterations):
            last = it == self.iterations - 1
            open_ = [i for i, p in enumerate(particles) if not p.done]
            if not open_:
                break
            groups = yield from tree.extend([particles[i] for i in open_], [1] * len(open_), None if last else step)
            for i, (child,) in zip(open_, groups, strict=True):
                particles[i] = child
            yield from tree.score([particles[i] for i in open_])
            w = self.weights(particles)
            if ess(w) < self.ess * self.n and not all(p.done for p in particles):
                resamples += 1
                picks = systematic(w, rng)
                for i, p in enumerate(particles):
                    if i not in picks:
                        p.status = "resampled"
                particles = [particles[j] for j in picks]
        w = self.weights(particles)
        finished = {p.id: p for p in particles if p.done}
        for p in particles:
            p.extra["weight"] = float(w[particles.index(p)])
        return outcome(tree, list(finished.values()), resamples=resamples)
