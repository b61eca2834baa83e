"""Binary search vs per-step Monte Carlo: rollouts per labelled solution and first-error agreement.

On GSM8K train problems, a policy writes one step-structured solution per
problem; per-step Monte Carlo (k rollouts from every step prefix) labels them;
binary search for the first error (OmegaPRM) then labels the same solutions

- on the *same* rollouts (replayed from the Monte Carlo job's store: same
  seeds, so every probe sees exactly the rollouts MC drew; the agreement then
  measures only the search's monotonicity assumption), and
- with ``--independent``, on its own fresh rollouts (another job seed: the
  agreement includes sampling noise).

Everything is resumable: run the same command again after a kill and it goes
on where it stopped (solutions, MC rollouts and labels are stored in
``--out``). ``--labelled`` skips generation and reads an existing Monte Carlo
job directory (exact replay) or a labels JSONL with ``mc`` values (binary
search cost then computed as an expectation over rollout orders).

    python bench/labeling.py --policy qwen2.5-coder-0.5b --n 10 --out runs/labeling-bench
    python bench/labeling.py --labelled datasets/gsm8k-train-qwen2.5-coder-0.5b [--independent]

``--policy hf:MODEL`` samples with the transformers generator (a catalog name or
a folder: the suite's smoke test, ``tests/bench``, runs every command on a tiny
one), ``--limit`` keeps the first solutions of a ``--labelled`` set, and
``--max-tokens`` caps fresh rollouts. Figures a run did not measure are null.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from prmkit.data import JsonlAppender, read_jsonl
from prmkit.generation import Sampling
from prmkit.labeling import (
    BinarySearch,
    LabelledSolution,
    LabelTask,
    MonteCarlo,
    run_job,
)
from prmkit.labeling.dataset import restore_job
from prmkit.runtime import LocalRunner, ReplayRunner
from prmkit.steps import (
    grade_text,
    grade_text_lenient,
    gsm8k_reference,
    parse_solution,
    rollout_prompt,
)
from prmkit.types import Solution

POLICIES = {"smollm2": "smollm2-135m-instruct", "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b-instruct"}
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gsm8k" / "train.jsonl"


def load_policy(args: argparse.Namespace, policy: str) -> Any:
    """``hf:MODEL``: the transformers generator (as a labelling job's ``hf:`` policy); else llama.cpp."""
    from prmkit.generation import load_generator

    if policy.startswith("hf:"):
        return load_generator("hf", model=policy[3:], dtype="bfloat16", batch_size=64)
    return load_generator("llamacpp", model=policy, n_ctx=args.n_ctx, n_threads=args.threads)


def sample_solutions(args: argparse.Namespace, gen: Any, out: Path, max_tokens: int) -> list[dict[str, Any]]:
    """One policy-written solution per problem, stored as it is written (resumable)."""
    from prmkit.generation import GenerationRequest

    path = out / "solutions.jsonl"
    done = {rec["id"]: rec for _, rec in read_jsonl(path)} if path.exists() else {}
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    picks = sorted(random.Random(args.seed).sample(range(len(rows)), args.n))
    grader = grade_text_lenient if args.grading == "lenient" else grade_text
    with JsonlAppender(path) as w:
        for i in picks:
            sid = f"gsm8k-train-{i}"
            if sid in done:
                continue
            row = rows[i]
            req = GenerationRequest(
                rollout_prompt(row["question"]), n=1, max_tokens=max_tokens, temperature=args.temperature,
                stop=("<|im_end|>", "<|im_start|>"), seed=args.seed * 100_003 + i,
            )
            (sample,) = gen.generate([req])[0]
            parsed = parse_solution(sample.text)
            ref = gsm8k_reference(row["answer"])
            rec = {
                "id": sid, "problem": row["question"], "reference": ref, "text": sample.text,
                "steps": list(parsed.steps), "answer": parsed.answer, "correct": grader(sample.text, ref),
                "n_tokens": sample.n_tokens, "finish_reason": sample.finish_reason,
            }
            w.write(rec)
            done[sid] = rec
            print(f"solution {sid}: {len(parsed.steps)} steps, answer {parsed.answer!r}, correct {rec['correct']}",
                  file=sys.stderr)
    return [done[f"gsm8k-train-{i}"] for i in picks]


def expected_bs_rollouts(c: float, k: int, wave: int) -> float:
    """Expected rollouts drawn at a probe whose k rollouts have c*k correct, in random order."""
    m = round(c * k)
    if m == 0:
        return float(k)
    total = math.comb(k, m)
    exp = 0.0
    for j in range(1, k - m + 2):  # first success at position j
        p = math.comb(k - j, m - 1) / total
        exp += p * min(k, wave * math.ceil(j / wave))
    return exp


def search_known(mc: list[float | None], search: str) -> tuple[int, list[int]]:
    """Binary search over already-known MC values: (first error, probed prefixes)."""
    lo, hi, probes = 0, len(mc), []
    t = 1
    while search == "gallop" and t < hi:
        probes.append(t)
        value = mc[t - 1]
        if value is not None and value > 0:
            lo, t = t, 2 * t
        else:
            hi = t
            break
    while hi - lo > 1:
        mid = (lo + hi) // 2
        probes.append(mid)
        value = mc[mid - 1]
        lo, hi = (mid, hi) if value is not None and value > 0 else (lo, mid)
    return hi - 1, probes


def from_labels_file(
    path: Path, k: int, wave: int, search: str
) -> tuple[list[LabelledSolution], list[dict[str, Any]]]:
    mc = [LabelledSolution.from_record(rec) for _, rec in read_jsonl(path)]
    bs = []
    for x in mc:
        correct = bool(x.extra.get("solution_correct", x.first_error == -1))
        if correct:
            bs.append({"id": x.id, "first_error": -1, "rollouts": 0.0})
            continue
        first, probes = search_known(list(x.mc), search)
        bs.append({"id": x.id, "first_error": first,
                   "rollouts": sum(expected_bs_rollouts(float(x.mc[t - 1] or 0.0), k, wave) for t in probes)})
    return mc, bs


def summarize(name: str, mc: list[LabelledSolution], other: list[dict[str, Any]]) -> dict[str, Any]:
    """The comparison's figures; one this run did not measure (no pairs, no wrong solution, no
    token counts, no MC rollouts) is None, never a made-up 0."""
    by_id = {o["id"]: o for o in other}
    pairs = [(m, by_id[m.id]) for m in mc if m.id in by_id]
    wrong = [(m, o) for m, o in pairs if not m.extra.get("solution_correct", False)]
    n = len(pairs)
    mc_roll = sum(m.rollouts for m, _ in pairs)
    bs_roll = sum(o["rollouts"] for _, o in pairs)
    monotone = sum(list(m.example.labels) == sorted(m.example.labels, reverse=True) for m, _ in pairs)

    def per(total: float, count: int) -> float | None:
        return total / count if count else None

    return {
        "comparison": name,
        "solutions": n,
        "wrong_solutions": len(wrong),
        "mc_rollouts_per_solution": per(mc_roll, n),
        "bs_rollouts_per_solution": per(bs_roll, n),
        "rollout_ratio_bs_over_mc": per(bs_roll, mc_roll),
        "mc_tokens_per_solution": per(sum(m.rollout_tokens for m, _ in pairs), n),
        "bs_tokens_per_solution": (per(sum(o["tokens"] for _, o in pairs), n)
                                   if all("tokens" in o for _, o in pairs) else None),
        "first_error_agreement": per(sum(m.first_error == o["first_error"] for m, o in pairs), n),
        "first_error_agreement_wrong_only": per(sum(m.first_error == o["first_error"] for m, o in wrong), len(wrong)),
        "mc_labels_monotone": per(monotone, n),
    }


def as_rows(labelled: tuple[LabelledSolution, ...]) -> list[dict[str, Any]]:
    return [{"id": x.id, "first_error": x.first_error, "rollouts": x.rollouts, "tokens": x.rollout_tokens}
            for x in labelled]


def progress(label: str, total: int) -> tuple[Any, Callable[..., object]]:
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, file=sys.stderr)
    return bar, (lambda _task, _labels: bar.update(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--policy", default=None,
                    help="smollm2, qwen2.5-coder-0.5b, a .gguf path (llama.cpp), or hf:MODEL (transformers); "
                         "default qwen2.5-coder-0.5b, and with --labelled --independent the job's own policy")
    ap.add_argument("--n", type=int, default=10, help="number of GSM8K train problems (one solution each)")
    ap.add_argument("--k", type=int, default=8, help="rollouts per probed prefix (default 8; --labelled: the job's)")
    ap.add_argument("--wave", type=int, default=2, help="binary search: rollouts drawn at a time (early stop)")
    ap.add_argument("--seed", type=int, default=0, help="job seed (problem choice, solutions, rollouts)")
    ap.add_argument("--temperature", type=float, default=0.7, help="sampling temperature")
    ap.add_argument("--max-tokens", type=int, default=None,
                    help="most tokens per solution or rollout (default 320; --labelled: the job's)")
    ap.add_argument("--grading", choices=("strict", "lenient"), default="strict",
                    help="strict: no stated answer is wrong; lenient: fall back to the last number")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp CPU threads")
    ap.add_argument("--n-ctx", type=int, default=2048, help="llama.cpp context window")
    ap.add_argument("--search", default="bisect,gallop",
                    help="binary search variants to compare: bisect (OmegaPRM midpoints), gallop (1, 2, 4, ... then bisect)")
    ap.add_argument("--independent", action="store_true", help="also run binary search on fresh rollouts")
    ap.add_argument("--max-active", type=int, default=4,
                    help="--independent: solutions searched at once (their probes share a generation batch)")
    ap.add_argument("--data", default=str(SHARED), help="GSM8K train JSONL")
    ap.add_argument("--labelled", default=None,
                    help="skip generation: an exported dataset (prmkit label dataset --export) or an MC job directory "
                         "(exact replay of its rollouts), or an MC labels JSONL")
    ap.add_argument("--limit", type=int, default=None, help="--labelled: only its first N solutions")
    ap.add_argument("--out", default="runs/labeling-bench", help="output directory (resumable)")
    ap.add_argument("--json", type=Path, default=None, help="also write the summary here (it is always in --out)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grader = grade_text_lenient if args.grading == "lenient" else grade_text
    report: list[dict[str, Any]] = []
    policy_name = POLICIES.get(args.policy, args.policy or POLICIES["qwen2.5-coder-0.5b"])
    k = args.k

    if args.labelled and Path(args.labelled).is_file():
        mc_list: list[LabelledSolution] = []
        for search in args.search.split(","):
            mc_list, bs_rows = from_labels_file(Path(args.labelled), args.k, args.wave, search)
            mc_list = mc_list[: args.limit]
            report.append(summarize(f"binary search ({search}, expected over rollout order) vs MC labels file",
                                    mc_list, bs_rows))
    else:
        mc_dir = Path(args.labelled) if args.labelled else out / "mc"
        sampling = Sampling(temperature=args.temperature, max_tokens=args.max_tokens or 320)
        gen = None
        records: list[dict[str, Any]] = []
        if args.labelled and (mc_dir / "mc.jsonl.gz").exists():  # an exported dataset (prmkit label dataset --export)
            with gzip.open(mc_dir / "mc.jsonl.gz", "rt", encoding="utf-8") as fh:
                records = [json.loads(line) for line in fh]
            restore_job(mc_dir, out / "restored")
            mc_dir = out / "restored" / "mc"
        elif args.labelled:
            records = [r for _, rec in read_jsonl(mc_dir / "labels.jsonl") for r in rec["labelled"]]
        if args.labelled:
            records = records[: args.limit]
            fp = json.loads((mc_dir / "job.json").read_text())
            seed, k = fp["seed"], fp["labeller"]["k"]
            sampling = Sampling(**{**fp["sampling"], "stop": tuple(fp["sampling"]["stop"])})  # sample as the job did
            policy_name = policy_name if args.policy else fp["policy"]  # fresh rollouts: the job's policy by default
            # fresh rollouts are graded against the reference answers, which live with the job's solutions
            solutions = mc_dir.parent / "solutions.jsonl"
            reference = {rec["id"]: rec["reference"] for _, rec in read_jsonl(solutions)} if solutions.exists() else {}
            if args.independent and not all(r["id"] in reference for r in records):
                raise SystemExit(f"--independent grades fresh rollouts and needs the reference answers in {solutions}")
            tasks = [
                LabelTask(Solution(r["prompt"], tuple(r["completions"]), id=r["id"]), reference.get(r["id"], ""),
                          correct=bool(r["extra"]["solution_correct"]))
                for r in records
            ]
        else:
            seed = args.seed
            gen = load_policy(args, policy_name)
            t0 = time.time()
            sols = sample_solutions(args, gen, out, sampling.max_tokens)
            tasks = [
                LabelTask(Solution(s["problem"], tuple(s["steps"]), id=s["id"]), s["reference"], correct=s["correct"])
                for s in sols if s["steps"]
            ]
            bar, done = progress("per-step MC", len(tasks))
            mc = run_job(tasks, MonteCarlo(k=k), LocalRunner(gen, batch_size=k), mc_dir, seed=seed, grader=grader,
                         sampling=sampling, policy=policy_name, max_active=2, on_task_done=done)
            bar.close()
            print(f"MC: {mc.generated} rollouts generated in this run, {time.time() - t0:.0f} s", file=sys.stderr)
            records = [r for _, rec in read_jsonl(mc_dir / "labels.jsonl") for r in rec["labelled"]]
        mc_list = [LabelledSolution.from_record(r) for r in records]
        for search in args.search.split(","):
            replay = run_job(tasks, BinarySearch(k=k, wave=args.wave, search=search), ReplayRunner(mc_dir),
                             out / f"bs_replay_{search}", seed=seed, grader=grader, sampling=sampling,
                             policy=policy_name)
            report.append(summarize(f"binary search ({search}) on MC's rollouts (same seeds)", mc_list,
                                    as_rows(replay.labelled)))
        if args.independent:
            gen = gen or load_policy(args, policy_name)
            fresh = replace(sampling, max_tokens=args.max_tokens or sampling.max_tokens)
            for search in args.search.split(","):
                bar, done = progress(f"binary search ({search})", len(tasks))
                indep = run_job(tasks, BinarySearch(k=k, wave=args.wave, search=search),
                                LocalRunner(gen, batch_size=max(k, args.max_active * args.wave)),
                                out / f"bs_independent_{search}", seed=seed + 1,
                                grader=grader, sampling=fresh, policy=policy_name, max_active=args.max_active,
                                on_task_done=done)
                bar.close()
                report.append(summarize(f"binary search ({search}) on fresh rollouts (job seed + 1)", mc_list,
                                        as_rows(indep.labelled)))
    accuracy = sum(bool(x.extra.get("solution_correct")) for x in mc_list) / len(mc_list) if mc_list else None
    summary = {"policy": policy_name, "k": k, "wave": args.wave, "policy_accuracy": accuracy, "results": report}
    text = json.dumps(summary, indent=1) + "\n"
    (out / "summary.json").write_text(text)
    if args.json:
        args.json.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
