"""``prmkit label sample|dataset|run|inject|consensus``: build step labels for PRM training.

Each subcommand's flags, help and defaults come from its config in
:mod:`prmkit.labeling.config`; ``--config FILE.yaml`` reads the same fields.

>>> import argparse
>>> from prmkit.cli._config_args import config_from_args
>>> from prmkit.labeling.config import LabelRunConfig
>>> parser = argparse.ArgumentParser(prog="prmkit")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["label", "run", "--method", "binary_search", "--input", "s.jsonl",
...                           "--job", "runs/j", "--policy", "qwen2.5-coder-0.5b-instruct", "--ray"])
>>> cfg = config_from_args(LabelRunConfig, args)
>>> cfg.method, cfg.k, cfg.ray, args.func.__name__
('binary_search', 8, True, '_run')
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.data import check_output_dir, check_output_file, lock_output
from prmkit.labeling.config import (
    ConsensusConfig,
    DatasetConfig,
    InjectConfig,
    LabelRunConfig,
    PolicyConfig,
    SampleConfig,
)

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``prmkit label`` and its subcommands on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "label",
        help="label solution steps: Monte Carlo, binary search, tree search, consensus, error injection",
        description="Step labels for PRM training, written as TRL stepwise-supervision JSONL.",
    )
    sub = parser.add_subparsers(dest="label_command", required=True,
                                metavar="{sample,dataset,run,inject,consensus}")

    smp = sub.add_parser("sample", help="sample policy-written solutions of problems (resumable)")
    add_dataclass_arguments(smp, SampleConfig)
    smp.set_defaults(func=_sample)

    ds = sub.add_parser(
        "dataset",
        help="sample solutions, label them by per-step Monte Carlo and by binary search (one resumable command)",
        description="One policy-written solution per problem, labelled by per-step Monte Carlo (k rollouts per "
                    "prefix) and by galloping binary search replayed on the same rollouts. The job directory is the "
                    "state: rerun the command to resume. --export writes the gzipped result for a repository; "
                    "a job directory that does not exist yet is restored from --export when that holds a dataset.",
    )
    add_dataclass_arguments(ds, DatasetConfig)
    ds.set_defaults(func=_dataset)

    run = sub.add_parser("run", help="label solutions with policy rollouts (resumable job)")
    add_dataclass_arguments(run, LabelRunConfig)
    run.set_defaults(func=_run)

    inj = sub.add_parser("inject", help="inject one known error per (solution, error type) into correct solutions")
    add_dataclass_arguments(inj, InjectConfig)
    inj.set_defaults(func=_inject)

    con = sub.add_parser("consensus", help="keep labelled solutions whose first error an LLM judge names")
    add_dataclass_arguments(con, ConsensusConfig)
    con.set_defaults(func=_consensus)


def _load_problems(path: str, n: int | None, seed: int) -> list[Any]:
    from prmkit.errors import DataFormatError
    from prmkit.generation import pick_problems
    from prmkit.labeling.io import read_problems

    problems = read_problems(path)
    if n is None:
        return problems
    try:
        return [problems[i] for i in pick_problems(problems, n, seed=seed)]
    except ValueError as e:
        raise DataFormatError(f"--n: {e}", path=str(path)) from None


def _policy(policy: PolicyConfig, batch_size: int) -> tuple[Any, Any]:
    """(generator, grader) of the policy options."""
    return policy.generator_factory(batch_size=batch_size)(), policy.grader()


def _sample(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.generation import sample_solutions

    cfg = config_from_args(SampleConfig, args)
    problems = _load_problems(cfg.problems, cfg.n, cfg.seed)
    with lock_output(check_output_file(cfg.out), folder=False):  # before the policy loads; one writer
        gen, grader = _policy(cfg.policy, cfg.batch_size)
        with tqdm(total=len(problems) * cfg.per_problem, desc="sample", file=sys.stderr) as bar:
            recs = sample_solutions(problems, gen, cfg.out, per_problem=cfg.per_problem, seed=cfg.seed,
                                    sampling=cfg.sampling, grader=grader, batch_size=cfg.batch_size,
                                    on_done=lambda _: bar.update(1))
    print(json.dumps({"solutions": len(recs), "correct": sum(r["correct"] for r in recs),
                      "with_answer": sum(r["answer"] is not None for r in recs)}))
    return 0


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM raise KeyboardInterrupt, so a stopped run saves its state.

    SIGINT is reset even where it was inherited as ignored (a job started in the
    background by a non-interactive shell ignores it); the previous handlers come
    back on exit. Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _dataset(args: argparse.Namespace) -> int:
    cfg = config_from_args(DatasetConfig, args)
    job = Path(cfg.job)
    export = Path(cfg.export) if cfg.export is not None else None
    problems = _load_problems(cfg.problems, cfg.n, cfg.seed)
    check_output_dir(job)  # before the policy loads
    if export is not None:
        check_output_dir(export)
    with lock_output(job, folder=True):  # one writer, from before the policy loads
        return _build(cfg, job, export, problems)


def _build(cfg: DatasetConfig, job: Path, export: Path | None, problems: Any) -> int:
    from tqdm import tqdm

    from prmkit.labeling.dataset import build_dataset, export_dataset, export_state, restore_job

    if export is not None and (export / "solutions.jsonl.gz").exists() and restore_job(export, job):
        print(f"prmkit: restored {job} from {export}", file=sys.stderr)
    gen, grader = _policy(cfg.policy, cfg.batch_size)
    try:
        with stoppable(), tqdm(total=len(problems), desc="sample", file=sys.stderr) as s_bar, \
                tqdm(desc="label mc", file=sys.stderr) as l_bar:
            result = build_dataset(problems, gen, job, seed=cfg.seed, k=cfg.k, sampling=cfg.sampling,
                                   grader=grader, policy=cfg.policy.identity, batch_size=cfg.batch_size,
                                   on_solution=lambda _: s_bar.update(1), on_labelled=lambda *_: l_bar.update(1))
    except KeyboardInterrupt:  # stopped (Ctrl-C, SIGTERM): keep what is done where the next run can restore it from
        if export is not None and (job / "mc" / "job.json").exists():
            export_state(job, export)
            print(f"prmkit: interrupted; state of {job} exported to {export}", file=sys.stderr)
        raise
    if export is not None:
        export_dataset(result, job, export)
    print(json.dumps(result.summary()))
    return 0


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.data import write_stepwise
    from prmkit.labeling import run_job
    from prmkit.labeling.io import read_tasks
    from prmkit.runtime import LocalRunner, RayRunner

    cfg = config_from_args(LabelRunConfig, args)
    tasks = read_tasks(cfg.input)
    check_output_dir(cfg.job)  # before the policy loads (the job's store holds its lock while it runs)
    if cfg.out is not None:
        check_output_file(cfg.out)
    labeller = cfg.labeller()
    factory = cfg.policy.generator_factory(batch_size=cfg.batch_size)
    runner: Any
    if cfg.ray:
        runner = RayRunner(factory, num_actors=cfg.actors, num_cpus=cfg.cpus_per_actor, batch_size=cfg.batch_size,
                           init_kwargs={"num_cpus": cfg.ray_cpus, "include_dashboard": False})
    else:
        runner = LocalRunner(factory=factory, batch_size=cfg.batch_size)
    with tqdm(total=len(tasks), desc=f"label {cfg.method}", file=sys.stderr) as bar:
        result = run_job(tasks, labeller, runner, cfg.job, seed=cfg.seed, grader=cfg.policy.grader(),
                         sampling=cfg.sampling, policy=cfg.policy.identity, on_task_done=lambda *_: bar.update(1))
    if cfg.ray:
        runner.shutdown()
    if cfg.out is not None:
        write_stepwise(result.labelled, cfg.out)
    n = len(result.labelled)
    total = sum(x.rollouts for x in result.labelled)
    print(f"{n} labelled solutions; {total} rollouts used ({total / max(n, 1):.1f} per solution), "
          f"{result.generated} generated in this run", file=sys.stderr)
    return 0


def _inject(args: argparse.Namespace) -> int:
    from prmkit.data import write_stepwise
    from prmkit.errors import ConfigError
    from prmkit.labeling.inject import ERROR_TYPES, ErrorType, inject_errors
    from prmkit.labeling.io import read_tasks

    cfg = config_from_args(InjectConfig, args)
    names = ERROR_TYPES if cfg.types == "all" else tuple(t.strip() for t in cfg.types.split(","))
    unknown = [t for t in names if t not in ERROR_TYPES]
    if unknown:
        raise ConfigError(f"unknown error types {unknown}; expected some of {', '.join(ERROR_TYPES)}")
    types = cast("tuple[ErrorType, ...]", names)
    tasks = read_tasks(cfg.input)
    check_output_file(cfg.out)
    wrong = [t.id for t in tasks if t.correct is False]
    if wrong:
        print(f"prmkit: skipping {len(wrong)} solutions marked incorrect", file=sys.stderr)
    injections = inject_errors([t.solution for t in tasks if t.correct is not False], types, seed=cfg.seed)
    write_stepwise((i.to_labelled() for i in injections), cfg.out)
    counts = {t: sum(i.error_type == t for i in injections) for t in types}
    print(json.dumps({"solutions": len(tasks) - len(wrong), "injected": len(injections), "by_type": counts}))
    return 0


def _consensus(args: argparse.Namespace) -> int:
    from prmkit.data import read_jsonl, write_stepwise
    from prmkit.errors import DataFormatError
    from prmkit.generation import load_generator
    from prmkit.labeling import LabelledSolution
    from prmkit.labeling.consensus import consensus_filter, judge_solutions

    cfg = config_from_args(ConsensusConfig, args)
    labelled = []
    for line, rec in read_jsonl(cfg.labels):
        try:
            labelled.append(LabelledSolution.from_record(rec))
        except (KeyError, TypeError, ValueError) as e:
            raise DataFormatError(f"not a labelled solution ({type(e).__name__}: {e})", path=str(cfg.labels),
                                  line=line) from None
    check_output_file(cfg.out)  # before the judge loads
    judge = load_generator(cfg.backend, model=cfg.judge)
    verdicts = judge_solutions(labelled, judge, n=cfg.samples, temperature=cfg.temperature,
                               max_tokens=cfg.max_tokens)
    result = consensus_filter(labelled, verdicts)
    write_stepwise(result.kept, cfg.out)
    print(json.dumps({"solutions": len(labelled), "kept": len(result.kept),
                      "kept_fraction": round(result.kept_fraction, 4),
                      "unparsed_verdicts": sum(v.first_error is None for v in verdicts),
                      "judge_tokens": sum(v.tokens for v in verdicts)}))
    return 0
