"""The job runtime: plans that ask for rollouts, runners that draw them, a store a job resumes from.

Whatever needs a policy's rollouts (step labels, a live test-time search, a
Best-of-N generator, an RL rollout loop) is written as a *plan*: a Python
generator that yields a list of :class:`Probe` ("rollouts ``first..first+count-1``
continuing these steps"), receives one list of graded :class:`Rollout` per
probe, and returns its result. :func:`run_plans` drives one plan per
:class:`~prmkit.generation.Problem`:

- rollouts run on a :class:`Runner`: :class:`LocalRunner` (one generator in
  this process), :class:`RayRunner` (Ray actors with fractional CPUs; needs
  ``pip install 'prmkit[ray]'``) or :class:`ReplayRunner` (another job's
  store: no generation at all);
- every rollout is drawn with :func:`rollout_seed` of (job seed, problem id,
  prefix, index), so runners, restarts and plans agree on it;
- each finished unit of rollouts is written to the :class:`RolloutStore`
  before the next is asked for, and a plan sees only stored rollouts: a job
  killed at any point and rerun on the same directory gives the same results
  and regenerates nothing it recorded.

The runtime knows nothing of what plans compute; :func:`prmkit.labeling.run_job`
is one client. An RL-style group of four graded samples per problem:

>>> import tempfile
>>> from prmkit.generation import Problem, Sample, Sampling
>>> class Policy:                                    # any Generator; this one always answers 4
...     def generate(self, requests):
...         return [[Sample("2 + 2 = 4.\\n\\nThe answer is: 4", 9, "stop", 40)] * r.n for r in requests]
>>> def group(problem):                              # a plan: one probe, then the rewards
...     (rollouts,) = yield [Probe((), first=0, count=4)]
...     return [float(r.correct) for r in rollouts]
>>> store = RolloutStore(tempfile.mkdtemp(), fingerprint={"plan": "group", "seed": 0})
>>> stats = run_plans([Problem("p1", "2 + 2?", "4")], group, LocalRunner(Policy()), store,
...                   on_finish=lambda p, rewards, usage: store.add_result(p.id, [{"rewards": rewards}]),
...                   grader=lambda text, reference: text.endswith(reference), sampling=Sampling())
>>> store.result("p1"), stats.generated
([{'rewards': [1.0, 1.0, 1.0, 1.0]}], 4)
"""

from prmkit.runtime._driver import RunStats, Scorer, Usage, run_plans
from prmkit.runtime._plans import Plan, Probe, Query, Request, Rollout, prefix_key, rollout_seed
from prmkit.runtime._ray import RayRunner
from prmkit.runtime._runners import LocalRunner, ReplayRunner, Runner
from prmkit.runtime._store import RolloutStore
from prmkit.runtime._units import Unit, UnitFailure, UnitResult, run_units

__all__ = [
    "LocalRunner",
    "Plan",
    "Probe",
    "Query",
    "RayRunner",
    "ReplayRunner",
    "Request",
    "Rollout",
    "RolloutStore",
    "RunStats",
    "Runner",
    "Scorer",
    "Unit",
    "UnitFailure",
    "UnitResult",
    "Usage",
    "prefix_key",
    "rollout_seed",
    "run_plans",
    "run_units",
]
