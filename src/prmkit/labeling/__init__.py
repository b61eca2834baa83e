"""Step labels for PRM training: Monte Carlo rollouts, binary search, consensus, error injection.

Labellers (frozen configs with a ``plan`` per solution), run by a resumable job:

- :class:`MonteCarlo` — k rollouts from every step prefix (Math-Shepherd);
- :class:`BinarySearch` — binary search for the first bad prefix (OmegaPRM);
- :class:`TreeSearch` — OmegaPRM's rollout-pool tree search from the question.

:func:`run_job` drives a labeller over many :class:`LabelTask` on the job
runtime (:mod:`prmkit.runtime`): in one process (``LocalRunner``), on Ray
(``RayRunner``) or replaying another job's rollouts (``ReplayRunner``),
writing every finished rollout batch to a store it resumes from.
:func:`consensus_filter` keeps labels an LLM judge agrees with;
:func:`inject_error` writes a known first error into a correct solution. Results are :class:`LabelledSolution` values
that serialize to TRL's stepwise-supervision records. The registries
:data:`LABELLERS` and :data:`GRADERS` name the labellers and rollout graders
(``prmkit label run --method``, ``--grading``); :mod:`prmkit.labeling.config`
holds the labelling commands' configs.

>>> import tempfile
>>> from prmkit.runtime import LocalRunner
>>> from prmkit.types import Solution
>>> task = LabelTask(Solution("2+2?", ("The answer is: 4",), id="p1"), "4")
>>> run_job([task], MonteCarlo(), LocalRunner(generator=None), tempfile.mkdtemp()).records()[0]["labels"]
[1.0]
"""

from prmkit.labeling._types import LabelledSolution, LabelOutcome, LabelTask
from prmkit.labeling.binary_search import BinarySearch
from prmkit.labeling.job import JobResult, Labeller, run_job
from prmkit.labeling.mc import MonteCarlo
from prmkit.labeling.registry import GRADERS, LABELLERS

__all__ = [
    "GRADERS",
    "LABELLERS",
    "BinarySearch",
    "JobResult",
    "LabelOutcome",
    "LabelTask",
    "LabelledSolution",
    "Labeller",
    "MonteCarlo",
    "run_job",
]
