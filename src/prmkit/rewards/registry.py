"""The registry of per-solution credit rules, by name.

Every rule takes one solution's step scores and its outcome reward and gives
a :class:`~prmkit.rewards.credit.StepCredit`; its own options are keywords.
PROF (:func:`~prmkit.rewards.prof.prof_keep`) and PRIME
(:func:`~prmkit.rewards.prime.prime_credit`) work on a whole group of
responses, so they are functions of their own, not rules here.

>>> CREDIT.names()
['clip', 'clip_delta', 'delta', 'min', 'potential', 'sum', 'weibull']
>>> CREDIT.get("min")([1.0, 0.0, 1.0], temperature=0).value
-1.0
"""

from __future__ import annotations

from prmkit._registry import Registry
from prmkit.rewards.credit import CreditRule
from prmkit.rewards.pure import min_credit
from prmkit.rewards.refine import clip_credit, clip_delta_credit, delta_credit
from prmkit.rewards.shaping import potential_credit
from prmkit.rewards.summation import sum_credit
from prmkit.rewards.weibull import weibull_credit

__all__ = ["CREDIT"]

CREDIT: Registry[CreditRule] = Registry("credit rule")
"""Credit rules by name: the same string in configs and in :func:`prmkit.rewards.trl.prm_reward`."""

for _name, _rule in (
    ("sum", sum_credit),
    ("min", min_credit),
    ("clip", clip_credit),
    ("delta", delta_credit),
    ("clip_delta", clip_delta_credit),
    ("potential", potential_credit),
    ("weibull", weibull_credit),
):
    CREDIT.register(_name, _rule)
