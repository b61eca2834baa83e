"""Step labels for PRM training: Monte Carlo rollouts, binary search, consensus, error injection.

Labellers (frozen configs with a ``plan`` per solution), run by a resumable job:

- :class:`MonteCarlo` — k rollouts from every step prefix (Math-Shepherd);
- :class:`BinarySearch` — binary search for the first bad prefix (OmegaPRM);
- :class:`TreeSearch` — OmegaPRM's rollout-pool tree search from the question.

:func:`run_job` drives a labeller over many :class:`LabelTask` in one process
(:class:`LocalRunner`) or on Ray (:class:`RayRunner`), writing every finished
rollout batch to a store it resumes from. :func:`consensus_filter` keeps
labels an LLM judge agrees with; :func:`inject_error` writes a known first
error into a correct solution. Results are :class:`LabelledSolution` values
that serialize to TRL's stepwise-supervision records.

>>> import tempfile
>>> from prmkit.types import Solution
>>> task = LabelTask(Solution("2+2?", ("The answer is: 4",), id="p1"), "4")
>>> run_job([task], MonteCarlo(), LocalRunner(generator=None), tempfile.mkdtemp()).records()[0]["labels"]
[1.0]
"""

from prmkit.labeling._grading import Grader, grade_text, grade_text_lenient
from prmkit.labeling._types import LabelledSolution, LabelOutcome, LabelTask, Probe, Rollout
from prmkit.labeling.binary_search import BinarySearch
from prmkit.labeling.job import JobResult, Labeller, RayRunner, run_job
from prmkit.labeling.mc import MonteCarlo
from prmkit.labeling.prompts import (
    ParsedSolution,
    StepPrompt,
    continuation_prefix,
    extract_final_answer,
    gsm8k_reference,
    join_steps,
    parse_solution,
    split_steps,
    step_prompt,
)
from prmkit.runtime._runners import LocalRunner, ReplayRunner, Sampling, rollout_seed

__all__ = [
    "BinarySearch",
    "Grader",
    "JobResult",
    "LabelOutcome",
    "LabelTask",
    "LabelledSolution",
    "Labeller",
    "LocalRunner",
    "MonteCarlo",
    "ParsedSolution",
    "Probe",
    "RayRunner",
    "ReplayRunner",
    "Rollout",
    "Sampling",
    "StepPrompt",
    "continuation_prefix",
    "extract_final_answer",
    "grade_text",
    "grade_text_lenient",
    "gsm8k_reference",
    "join_steps",
    "parse_solution",
    "rollout_seed",
    "run_job",
    "split_steps",
    "step_prompt",
]
