"""A labelled dataset from one policy in one resumable run: sample, Monte Carlo, binary search.

:func:`build_dataset` chains three resumable steps in one job directory:

1. ``solutions.jsonl`` — one policy-written solution per problem
   (:func:`prmkit.generation.sample_solutions`);
2. ``mc/`` — per-step Monte Carlo labels of every solution that states an
   answer (k rollouts from every step prefix but the last);
3. ``bs/`` — binary search for the first error (galloping) on the *same*
   rollouts, replayed from ``mc/`` (no generation: the comparison then
   measures the search alone, and its rollout count is what it would have
   drawn).

Kill it at any point and run it again: finished solutions and rollouts are
read back, nothing is sampled twice. :func:`export_dataset` writes the small,
expensive part (solutions, rollouts, both label sets, a summary) as gzipped
JSONL for a repository; :func:`restore_job` unpacks such an export into a job
directory so a run can go on from it.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prmkit.data import read_jsonl, write_stepwise
from prmkit.generation import Generator, Problem, Sampling, sample_solutions
from prmkit.labeling._types import LabelledSolution
from prmkit.labeling.binary_search import BinarySearch
from prmkit.labeling.io import tasks_from_samples
from prmkit.labeling.job import JobResult, run_job
from prmkit.labeling.mc import MonteCarlo
from prmkit.runtime import LocalRunner, ReplayRunner
from prmkit.steps import Grader, grade_text

__all__ = ["DatasetResult", "build_dataset", "export_dataset", "export_state", "restore_job", "summarize"]

_EXPORTED = {
    "solutions.jsonl.gz": "solutions.jsonl",
    "rollouts.jsonl.gz": "mc/rollouts.jsonl",
}


@dataclass(frozen=True)
class DatasetResult:
    """What :func:`build_dataset` produced."""

    solutions: list[dict[str, Any]]
    """Every sampled solution record (also those left unlabelled for want of an answer)."""
    mc: JobResult
    """Per-step Monte Carlo labels."""
    bs: JobResult
    """Binary-search labels on the replayed Monte Carlo rollouts."""

    def summary(self) -> dict[str, Any]:
        """Counts, accuracy, rollouts per solution and first-error agreement (see :func:`summarize`)."""
        return summarize(self.solutions, self.mc.labelled, self.bs.labelled)


def build_dataset(
    problems: Sequence[Problem],
    generator: Generator,
    directory: str | os.PathLike[str],
    *,
    seed: int = 0,
    k: int = 8,
    sampling: Sampling | None = None,
    grader: Grader = grade_text,
    policy: str = "",
    batch_size: int = 32,
    max_active: int = 16,
    on_solution: Callable[[dict[str, Any]], object] | None = None,
    on_labelled: Callable[..., object] | None = None,
) -> DatasetResult:
    """Sample one solution per problem, label it by per-step MC and by binary search; resumable.

    ``max_active`` solutions are labelled at a time, in problem order, so a run stopped early
    has finished the first problems of the draw (a smaller ``--n``) rather than parts of all.
    """
    sampling = sampling if sampling is not None else Sampling(style="boxed")
    root = Path(directory)
    solutions = sample_solutions(problems, generator, root / "solutions.jsonl", seed=seed, sampling=sampling,
                                 grader=grader, batch_size=batch_size, on_done=on_solution)
    tasks = tasks_from_samples(solutions)
    mc = run_job(tasks, MonteCarlo(k=k), LocalRunner(generator, batch_size=batch_size), root / "mc", seed=seed,
                 grader=grader, sampling=sampling, policy=policy, on_task_done=on_labelled, max_active=max_active)
    bs = run_job(tasks, BinarySearch(k=k, search="gallop"), ReplayRunner(root / "mc"), root / "bs", seed=seed,
                 grader=grader, sampling=sampling, policy=policy)
    return DatasetResult(solutions, mc, bs)


def summarize(
    solutions: Sequence[dict[str, Any]],
    mc: Sequence[LabelledSolution],
    bs: Sequence[LabelledSolution],
) -> dict[str, Any]:
    """Dataset statistics: solutions, accuracy, steps, rollouts and tokens per labelled solution,
    and how often binary search and MC name the same first error.

    >>> from prmkit.types import StepwiseExample
    >>> ex = StepwiseExample("q", ("s1", "s2"), (1.0, 0.0), id="a")
    >>> ls = lambda m, r, fe: LabelledSolution(ex, m, fe, rollouts=r, rollout_tokens=10)
    >>> s = summarize([{"correct": False, "steps": ["s1", "s2"]}], [ls("mc", 8, 1)], [ls("binary_search", 3, 1)])
    >>> s["rollouts_per_solution"], s["bs_rollout_ratio"], s["first_error_agreement"]
    ({'mc': 8.0, 'binary_search': 3.0}, 0.375, 1.0)
    """
    by_id = {x.id: x for x in bs}
    pairs = [(m, by_id[m.id]) for m in mc if m.id in by_id]
    n = max(len(mc), 1)
    mc_rollouts = sum(m.rollouts for m in mc)
    bs_rollouts = sum(b.rollouts for b in bs)
    return {
        "solutions": len(solutions),
        "correct": sum(bool(s.get("correct")) for s in solutions),
        "labelled": len(mc),
        "steps_per_solution": sum(len(m.example.completions) for m in mc) / n,
        "first_error_at_step": sum(m.first_error >= 0 for m in mc),
        "rollouts_per_solution": {"mc": mc_rollouts / n, "binary_search": bs_rollouts / max(len(bs), 1)},
        "rollout_tokens_per_solution": sum(m.rollout_tokens for m in mc) / n,
        "bs_rollout_ratio": bs_rollouts / mc_rollouts if mc_rollouts else None,
        "first_error_agreement": sum(m.first_error == b.first_error for m, b in pairs) / len(pairs) if pairs else None,
    }


def export_state(directory: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write what a run needs to go on elsewhere: ``solutions`` and ``rollouts`` (the MC store) as
    gzipped JSONL and the MC job's ``job.json``. Works on an unfinished job (see :func:`restore_job`)."""
    root, dest = Path(directory), Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    for name, src in _EXPORTED.items():
        _gzip(root / src, dest / name)
    shutil.copyfile(root / "mc" / "job.json", dest / "job.json")
    return dest


def export_dataset(result: DatasetResult, directory: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write ``solutions``, ``rollouts`` (the MC store), ``mc`` and ``binary_search`` labels as gzipped
    JSONL, plus ``summary.json`` and the MC job's ``job.json``, into ``out``."""
    dest = export_state(directory, out)
    for name, job in (("mc.jsonl.gz", result.mc), ("binary_search.jsonl.gz", result.bs)):
        write_stepwise(job.labelled, dest / name)
    (dest / "summary.json").write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
    return dest


def restore_job(export: str | os.PathLike[str], directory: str | os.PathLike[str]) -> bool:
    """Unpack an export's solutions and MC rollouts into an empty job directory; False if it has a job.

    A run of :func:`build_dataset` on the restored directory (same seed and
    settings) reuses every exported rollout and samples only what is missing.
    """
    src, root = Path(export), Path(directory)
    if (root / "solutions.jsonl").exists():
        return False
    (root / "mc").mkdir(parents=True, exist_ok=True)
    for name, target in _EXPORTED.items():
        with gzip.open(src / name, "rb") as fin, open(root / target, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    shutil.copyfile(src / "job.json", root / "mc" / "job.json")
    list(read_jsonl(root / "solutions.jsonl"))  # fails here, naming the line, if the export is damaged
    return True


def _gzip(src: Path, dest: Path) -> None:
    # mtime=0: the same content gives the same bytes, so re-exporting does not churn the repository.
    with open(src, "rb") as fin, open(dest, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fout:
        shutil.copyfileobj(fin, fout)
