"""``prmkit label run|inject|consensus``: build step labels for PRM training.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="prmkit")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["label", "run", "--method", "binary_search", "--input", "s.jsonl",
...                           "--job", "runs/j", "--policy", "qwen2.5-coder-0.5b-instruct", "--ray"])
>>> args.method, args.k, args.ray, args.func.__name__
('binary_search', 8, True, '_run')
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

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
    _problem_options(smp)
    smp.add_argument("--out", type=Path, required=True, help="solutions JSONL; rerunning the command resumes it")
    smp.add_argument("--per-problem", type=int, default=1, help="solutions per problem (default 1)")
    _policy_options(smp)
    smp.set_defaults(func=_sample)

    ds = sub.add_parser(
        "dataset",
        help="sample solutions, label them by per-step Monte Carlo and by binary search (one resumable command)",
        description="One policy-written solution per problem, labelled by per-step Monte Carlo (k rollouts per "
                    "prefix) and by galloping binary search replayed on the same rollouts. The job directory is the "
                    "state: rerun the command to resume. --export writes the gzipped result for a repository; "
                    "a job directory that does not exist yet is restored from --export when that holds a dataset.",
    )
    _problem_options(ds)
    ds.add_argument("--job", type=Path, required=True, help="job directory (solutions.jsonl, mc/, bs/)")
    ds.add_argument("--export", type=Path, default=None,
                    help="write solutions, rollouts, labels and summary.json here (gzipped JSONL)")
    ds.add_argument("--k", type=int, default=8, help="rollouts per step prefix (default 8)")
    _policy_options(ds)
    ds.set_defaults(func=_dataset)

    run = sub.add_parser("run", help="label solutions with policy rollouts (resumable job)")
    run.add_argument("--method", choices=("mc", "binary_search", "tree_search"), default="mc",
                     help="per-step Monte Carlo, OmegaPRM binary search, or OmegaPRM tree search per question")
    run.add_argument("--input", type=Path, required=True,
                     help="JSONL of solutions (id, problem, steps, reference[, correct]) or raw GSM8K records")
    run.add_argument("--job", type=Path, required=True, help="job directory; rerunning the command resumes it")
    run.add_argument("--out", type=Path, default=None, help="write the TRL records here when done (JSONL)")
    run.add_argument("--policy", required=True, help="rollout policy: catalog name, .gguf path or model directory")
    run.add_argument("--backend", default="llamacpp", help="generation backend (llamacpp, hf, openai, vllm)")
    run.add_argument("--threads", type=int, default=None, help="llama.cpp CPU threads (default: all cores)")
    run.add_argument("--k", type=int, default=8, help="rollouts per probed prefix (default 8)")
    run.add_argument("--label", choices=("hard", "soft"), default="hard",
                     help="mc: 1[c_t > 0] or c_t itself; tree_search: MC of each state or 1[MC > 0]")
    run.add_argument("--wave", type=int, default=2, help="binary_search: rollouts drawn at a time (early stop)")
    run.add_argument("--search", choices=("bisect", "gallop"), default="bisect",
                     help="binary_search: OmegaPRM midpoints, or prefixes 1, 2, 4, ... then bisection")
    run.add_argument("--search-limit", type=int, default=100, help="tree_search: selections per question")
    run.add_argument("--seed", type=int, default=0, help="job seed (fixes every rollout's sampling seed)")
    run.add_argument("--temperature", type=float, default=0.7, help="rollout sampling temperature")
    run.add_argument("--max-tokens", type=int, default=512, help="most tokens per rollout")
    run.add_argument("--chat-format", choices=("chatml", "plain"), default="chatml", help="prompt rendering")
    run.add_argument("--grading", choices=("strict", "lenient"), default="strict",
                     help="strict: a rollout stating no answer is wrong; lenient: graded on its last number")
    run.add_argument("--batch-size", type=int, default=32, help="requests per generate call (and per store write)")
    run.add_argument("--ray", action="store_true", help="run rollouts on Ray actors (needs prmkit[ray])")
    run.add_argument("--actors", type=int, default=4, help="--ray: number of generator actors")
    run.add_argument("--cpus-per-actor", type=float, default=0.5, help="--ray: CPUs per actor (fractions allowed)")
    run.add_argument("--ray-cpus", type=int, default=2, help="--ray: CPUs of the local Ray instance")
    run.set_defaults(func=_run)

    inj = sub.add_parser("inject", help="inject one known error per (solution, error type) into correct solutions")
    inj.add_argument("--input", type=Path, required=True, help="JSONL of correct solutions or raw GSM8K records")
    inj.add_argument("--out", type=Path, required=True, help="TRL records of the injected solutions (JSONL)")
    inj.add_argument("--types", default="all",
                     help="comma-separated error types (arithmetic_slip, misread_quantity, wrong_operation, "
                          "dropped_condition, unjustified_leap, wrong_unit) or 'all'")
    inj.add_argument("--seed", type=int, default=0, help="seed of the choice of step and edit")
    inj.set_defaults(func=_inject)

    con = sub.add_parser("consensus", help="keep labelled solutions whose first error an LLM judge names")
    con.add_argument("--labels", type=Path, required=True, help="TRL records from `prmkit label run`")
    con.add_argument("--out", type=Path, required=True, help="kept records (JSONL)")
    con.add_argument("--judge", required=True, help="judge model: catalog name, .gguf path or model directory")
    con.add_argument("--backend", default="llamacpp", help="generation backend of the judge")
    con.add_argument("--samples", type=int, default=1, help="judge samples per solution (majority vote)")
    con.add_argument("--temperature", type=float, default=0.0, help="judge sampling temperature")
    con.add_argument("--max-tokens", type=int, default=1024, help="most tokens per judge answer")
    con.set_defaults(func=_consensus)


def _problem_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problems", type=Path, required=True,
                   help="JSONL of problems: GSM8K records (question, answer) or {id, problem, reference[, dataset]}")
    p.add_argument("--n", type=int, default=None, help="problems to draw (seeded, without replacement; default all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the problem draw and of every sample and rollout")


def _policy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", default="qwen2.5-coder-0.5b-instruct",
                   help="policy: catalog name, .gguf path or model directory (default qwen2.5-coder-0.5b-instruct)")
    p.add_argument("--backend", default="hf", help="generation backend (hf, llamacpp, openai, vllm; default hf)")
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="bfloat16", help="hf: weights' dtype")
    p.add_argument("--engine-batch", type=int, default=None,
                   help="hf: most sequences decoded together (default: --batch-size)")
    p.add_argument("--threads", type=int, default=None, help="llamacpp: CPU threads (default: all cores)")
    p.add_argument("--style", choices=("boxed", "structured"), default="boxed",
                   help="boxed: the policy's own chain of thought ending in \\boxed{} (paragraphs are steps); "
                        "structured: prmkit's one-step-per-paragraph instructions with 'The answer is:'")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default 0.7)")
    p.add_argument("--max-tokens", type=int, default=512, help="most tokens per solution or rollout")
    p.add_argument("--grading", choices=("strict", "lenient"), default="strict",
                   help="strict: no stated answer is wrong; lenient: graded on the last number")
    p.add_argument("--batch-size", type=int, default=96,
                   help="samples per generate call (and per store write; default 96)")


def _load_problems(path: Path, n: int | None, seed: int) -> list[Any]:
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


def _policy(args: argparse.Namespace) -> tuple[Any, Any, Any, str]:
    """(generator, sampling, grader, policy identity) from the policy options."""
    from prmkit.generation import Sampling, load_generator
    from prmkit.labeling import grade_text, grade_text_lenient

    options: dict[str, Any] = {}
    if args.backend == "hf":
        options["dtype"] = args.dtype
        options["batch_size"] = args.engine_batch or args.batch_size
    options.update(_generator_options(args.backend, args.threads))
    gen = load_generator(args.backend, model=args.policy, **options)
    sampling = Sampling(temperature=args.temperature, max_tokens=args.max_tokens, style=args.style)
    grader = grade_text_lenient if args.grading == "lenient" else grade_text
    return gen, sampling, grader, f"{args.backend}:{args.policy}"


def _sample(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.generation import sample_solutions

    problems = _load_problems(args.problems, args.n, args.seed)
    gen, sampling, grader, _ = _policy(args)
    with tqdm(total=len(problems) * args.per_problem, desc="sample", file=sys.stderr) as bar:
        recs = sample_solutions(problems, gen, args.out, per_problem=args.per_problem, seed=args.seed,
                                sampling=sampling, grader=grader, batch_size=args.batch_size,
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
    from tqdm import tqdm

    from prmkit.labeling.dataset import build_dataset, export_dataset, export_state, restore_job

    problems = _load_problems(args.problems, args.n, args.seed)
    if args.export is not None and (args.export / "solutions.jsonl.gz").exists() and restore_job(args.export, args.job):
        print(f"prmkit: restored {args.job} from {args.export}", file=sys.stderr)
    gen, sampling, grader, policy = _policy(args)
    try:
        with stoppable(), tqdm(total=len(problems), desc="sample", file=sys.stderr) as s_bar, \
                tqdm(desc="label mc", file=sys.stderr) as l_bar:
            result = build_dataset(problems, gen, args.job, seed=args.seed, k=args.k, sampling=sampling,
                                   grader=grader, policy=policy, batch_size=args.batch_size,
                                   on_solution=lambda _: s_bar.update(1), on_labelled=lambda *_: l_bar.update(1))
    except KeyboardInterrupt:  # stopped (Ctrl-C, SIGTERM): keep what is done where the next run can restore it from
        if args.export is not None and (args.job / "mc" / "job.json").exists():
            export_state(args.job, args.export)
            print(f"prmkit: interrupted; state of {args.job} exported to {args.export}", file=sys.stderr)
        raise
    if args.export is not None:
        export_dataset(result, args.job, args.export)
    print(json.dumps(result.summary()))
    return 0


def _generator_options(backend: str, threads: int | None) -> dict[str, Any]:
    return {"n_threads": threads} if backend == "llamacpp" and threads else {}


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.generation import Sampling, load_generator
    from prmkit.labeling import BinarySearch, MonteCarlo, grade_text, grade_text_lenient, run_job
    from prmkit.labeling.io import read_tasks, write_records
    from prmkit.labeling.tree_search import TreeSearch
    from prmkit.runtime import LocalRunner, RayRunner

    tasks = read_tasks(args.input)
    labeller: Any = {
        "mc": lambda: MonteCarlo(k=args.k, label=args.label),
        "binary_search": lambda: BinarySearch(k=args.k, wave=args.wave, search=args.search),
        "tree_search": lambda: TreeSearch(k=args.k, search_limit=args.search_limit, label=args.label),
    }[args.method]()
    options = _generator_options(args.backend, args.threads)
    factory = functools.partial(load_generator, args.backend, model=args.policy, **options)
    runner: Any
    if args.ray:
        runner = RayRunner(factory, num_actors=args.actors, num_cpus=args.cpus_per_actor, batch_size=args.batch_size,
                           init_kwargs={"num_cpus": args.ray_cpus, "include_dashboard": False})
    else:
        runner = LocalRunner(factory=factory, batch_size=args.batch_size)
    sampling = Sampling(temperature=args.temperature, max_tokens=args.max_tokens, chat_format=args.chat_format)
    grader = grade_text_lenient if args.grading == "lenient" else grade_text
    with tqdm(total=len(tasks), desc=f"label {args.method}", file=sys.stderr) as bar:
        result = run_job(tasks, labeller, runner, args.job, seed=args.seed, grader=grader, sampling=sampling,
                         policy=f"{args.backend}:{args.policy}", on_task_done=lambda *_: bar.update(1))
    if args.ray:
        runner.shutdown()
    if args.out is not None:
        write_records(result.labelled, args.out)
    n = len(result.labelled)
    total = sum(x.rollouts for x in result.labelled)
    print(f"{n} labelled solutions; {total} rollouts used ({total / max(n, 1):.1f} per solution), "
          f"{result.generated} generated in this run", file=sys.stderr)
    return 0


def _inject(args: argparse.Namespace) -> int:
    from prmkit.errors import ConfigError
    from prmkit.labeling.inject import ERROR_TYPES, ErrorType, inject_errors
    from prmkit.labeling.io import read_tasks, write_records

    names = ERROR_TYPES if args.types == "all" else tuple(t.strip() for t in args.types.split(","))
    unknown = [t for t in names if t not in ERROR_TYPES]
    if unknown:
        raise ConfigError(f"unknown error types {unknown}; expected some of {', '.join(ERROR_TYPES)}")
    types = cast("tuple[ErrorType, ...]", names)
    tasks = read_tasks(args.input)
    wrong = [t.id for t in tasks if t.correct is False]
    if wrong:
        print(f"prmkit: skipping {len(wrong)} solutions marked incorrect", file=sys.stderr)
    injections = inject_errors([t.solution for t in tasks if t.correct is not False], types, seed=args.seed)
    write_records((i.to_labelled() for i in injections), args.out)
    counts = {t: sum(i.error_type == t for i in injections) for t in types}
    print(json.dumps({"solutions": len(tasks) - len(wrong), "injected": len(injections), "by_type": counts}))
    return 0


def _consensus(args: argparse.Namespace) -> int:
    from prmkit.data import read_jsonl
    from prmkit.generation import load_generator
    from prmkit.labeling import LabelledSolution
    from prmkit.labeling.consensus import consensus_filter, judge_solutions
    from prmkit.labeling.io import write_records

    labelled = [LabelledSolution.from_record(rec) for _, rec in read_jsonl(args.labels)]
    judge = load_generator(args.backend, model=args.judge)
    verdicts = judge_solutions(labelled, judge, n=args.samples, temperature=args.temperature,
                               max_tokens=args.max_tokens)
    result = consensus_filter(labelled, verdicts)
    write_records(result.kept, args.out)
    print(json.dumps({"solutions": len(labelled), "kept": len(result.kept),
                      "kept_fraction": round(result.kept_fraction, 4),
                      "unparsed_verdicts": sum(v.first_error is None for v in verdicts),
                      "judge_tokens": sum(v.tokens for v in verdicts)}))
    return 0
