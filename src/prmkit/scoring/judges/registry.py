"""The judge formats by name: a PRM spec with readout ``generative`` names one in its ``judge`` field.

>>> JUDGES.names()
['critic', 'critic-direct', 'critic-logprob', 'critic-maj8', 'genprm', 'genprm-logprob', 'genprm-vote8', 'rprm', 'rprm-vote4', 'rubric', 'rubric-vote4', 'thinkprm', 'thinkprm-vote8']
>>> get_judge("critic-maj8").temperature
1.0
"""

from __future__ import annotations

from prmkit._registry import Registry
from prmkit.scoring.judges.spec import JudgeSpec

__all__ = ["JUDGES", "get_judge"]

JUDGES: Registry[JudgeSpec] = Registry("judge")
"""Judge name -> :class:`JudgeSpec`, imported when used."""
for _module, _names in (
    ("critic", ("critic", "critic-maj8", "critic-logprob", "critic-direct")),
    ("thinkprm", ("thinkprm", "thinkprm-vote8")),
    ("genprm", ("genprm", "genprm-vote8", "genprm-logprob")),
    ("rprm", ("rprm", "rprm-vote4")),
    ("rubric", ("rubric", "rubric-vote4")),
):
    for _name in _names:
        JUDGES.register(_name, f"prmkit.scoring.judges.{_module}:{_name.upper().replace('-', '_')}")


def get_judge(name: str) -> JudgeSpec:
    """The registered judge ``name``; unknown names get "did you mean ..."."""
    return JUDGES.get(name)
