"""Rewards for RL from step scores: credit rules, the step -> token mapping, and a TRL adapter.

A PRM scores every step of a sampled solution; RL wants rewards and returns.
How the scores become credit decides what the policy learns: summed step
scores reward padding a solution with correct but useless steps, so prmkit
defaults to PURE's min-form and offers the other bounded rules beside it.
``docs/rewards.md`` gives each rule's formula and when to use it.

Shape letters: ``S`` steps of a solution, ``T`` its tokens, ``N`` solutions
sampled for one prompt.

- Per-solution rules, in :data:`CREDIT`: ``sum`` (the baseline), ``min``
  (PURE), ``clip``, ``delta``, ``clip_delta`` (Gao et al.), ``potential``
  (potential-based shaping), ``weibull`` (a length-shaped stand-in for
  PSPO-WRS). Each returns a :class:`StepCredit`.
- Per-group rules: :func:`prof_keep` (PROF's filtering) and
  :func:`prime_credit` (PRIME's implicit token rewards with RLOO).
- Tokens: :func:`step_token_spans`, :func:`tokenize_steps` and
  :func:`place_at_step_ends` put each step's reward on its last token.
- TRL: :func:`prm_reward` (module :mod:`prmkit.rewards.trl`).
- verl: reward managers in :mod:`prmkit.rewards.verl` (imports verl; not imported here).
- OpenRLHF: its remote reward model protocol in :mod:`prmkit.rewards.openrlhf`, served by
  ``prmkit serve`` at ``POST /v1/openrlhf``.

>>> CREDIT.get("min")([0.95, 0.4, 0.75], outcome=0.0).value < 0
True
"""

from prmkit.rewards.credit import CreditRule, StepCredit, reverse_cumsum
from prmkit.rewards.prime import PrimeCredit, prime_credit
from prmkit.rewards.prof import prof_consistency, prof_keep
from prmkit.rewards.pure import min_credit, pure_step_rewards
from prmkit.rewards.refine import clip_credit, clip_delta_credit, delta_credit
from prmkit.rewards.registry import CREDIT
from prmkit.rewards.shaping import potential_credit
from prmkit.rewards.summation import sum_credit
from prmkit.rewards.tokens import place_at_step_ends, step_token_spans, tokenize_steps
from prmkit.rewards.trl import prm_reward
from prmkit.rewards.weibull import weibull_credit, weibull_length_factor

__all__ = [
    "CREDIT",
    "CreditRule",
    "PrimeCredit",
    "StepCredit",
    "clip_credit",
    "clip_delta_credit",
    "delta_credit",
    "min_credit",
    "place_at_step_ends",
    "potential_credit",
    "prime_credit",
    "prm_reward",
    "prof_consistency",
    "prof_keep",
    "pure_step_rewards",
    "reverse_cumsum",
    "step_token_spans",
    "sum_credit",
    "tokenize_steps",
    "weibull_credit",
    "weibull_length_factor",
]
