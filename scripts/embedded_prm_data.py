"""The training data of prmkit's embedded PRM, as stepwise JSONL files (one per source).

* ``mr-ben``: Mr-Ben's 918 human-labelled math solutions (steps after the first error dropped);
* ``mr-ben-rectified``: each wrong Mr-Ben solution's correct steps followed by an annotator's
  rewrite of its first wrong step, all labelled correct (1538 minimal pairs with ``mr-ben``);
* ``mr-ben-inject``: one injected error (each taxonomy type that applies) in the human-verified
  correct steps of each Mr-Ben solution;
* ``bbm-<task>``: BIG-Bench-Mistake's human-labelled traces of the math-like tasks;
* ``policy-correct`` / ``policy-inject``: the Qwen2.5-Coder-0.5B policy's correct GSM8K-train
  solutions (``datasets/gsm8k-train-qwen2.5-coder-0.5b-samples``, whose first 107 are the
  labelled dataset's), as they are and with one injected error each (every taxonomy type that
  applies), so errors sit in the policy's own text;
* ``policy-mc``: the policy's solutions labelled by Monte Carlo rollouts (hard: any rollout
  reached the reference), where the labelling job has exported them;
* ``qwen-math-cot``: Qwen2.5-Math-Instruct's graded MATH solutions (``bon_qwen25math_math_cot_100``),
  outcome labels only (a right answer labels every step correct, a wrong one its last step wrong),
  re-segmented into paragraph steps; problems that ProcessBench also holds are dropped;
* ``qwen-math-inject``: the right ones of those solutions that an error can be injected into, as
  they are and with one injected error each (every taxonomy type that applies): minimal pairs in
  the style of one of ProcessBench's generators (ids ``qwen-math-<problem>/<k>``);
* ``gsm8k-ref``: GSM8K's example GPT-3 solutions of its test problems, each wrong one cut at its
  first step computing a value the reference solution never reaches (``train-data gsm8k-reference``),
  plus one right solution per problem; problems that ProcessBench also holds are dropped.

ProcessBench is read only for its problem texts, to drop them from ``qwen-math-cot`` and
``gsm8k-ref``; its solutions and labels are never read.

    python scripts/embedded_prm_data.py --out runs/embedded-prm/data
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BBM_TASKS = ("multistep_arithmetic", "logical_deduction", "tracking_shuffled_objects")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--policy", default=str(ROOT / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b"),
                    help="the labelled policy dataset (its Monte Carlo labels feed policy-mc)")
    ap.add_argument("--samples", default=str(ROOT / "datasets" / "gsm8k-train-qwen2.5-coder-0.5b-samples"),
                    help="the policy's sampled solutions (policy-correct, policy-inject)")
    ap.add_argument("--out", default="runs/embedded-prm/data")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--policy-problems", type=int, default=None,
                    help="use only the policy solutions of the first N problems (the files are append-only, "
                         "in draw order, so N pins the version a head was trained on; default: all)")
    args = ap.parse_args()

    from prmkit.data import load_processbench, write_stepwise
    from prmkit.labeling.inject import Injection, inject_errors
    from prmkit.training import convert
    from prmkit.types import Solution, StepwiseExample

    def cut(inj: Injection) -> StepwiseExample:  # the injected copy up to its edited step
        return StepwiseExample.from_first_error(inj.solution.problem, inj.solution.steps, inj.first_error,
                                                outcome=False, id=str(inj.solution.id))

    def all_correct(sol: Solution) -> StepwiseExample:
        return StepwiseExample.from_first_error(sol.problem, sol.steps, -1, outcome=True, id=str(sol.id))

    shared, policy, samples, out = Path(args.shared), Path(args.policy), Path(args.samples), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mr_ben, rectified = [], []  # one read: the solutions, then the annotators' rewrites (ids .../rectified-<k>)
    for ex in convert("mr-ben", shared / "mr_ben" / "math.json", rectified=True):
        (rectified if "/rectified-" in str(ex.id) else mr_ben).append(ex)
    counts = {"mr-ben": write_stepwise(mr_ben, out / "mr-ben.jsonl"),
              "mr-ben-rectified": write_stepwise(rectified, out / "mr-ben-rectified.jsonl")}
    prefixes = []  # the human-verified correct steps of each Mr-Ben solution
    for ex in mr_ben:
        labels = ex.labels or ()
        ok = labels.index(0.0) if 0.0 in labels else len(labels)
        if ok:
            prefixes.append(Solution(ex.solution.problem, ex.solution.steps[:ok], id=ex.solution.id))
    counts["mr-ben-inject"] = write_stepwise(map(cut, inject_errors(prefixes, seed=args.seed)),
                                             out / "mr-ben-inject.jsonl")
    for task in BBM_TASKS:
        examples = convert("big-bench-mistake", shared / "big_bench_mistake" / f"{task}.jsonl")
        counts[f"bbm-{task}"] = write_stepwise(examples, out / f"bbm-{task}.jsonl")

    with gzip.open(samples / "solutions.jsonl.gz", "rt", encoding="utf-8") as fh:
        sampled = [json.loads(line) for line in fh][: args.policy_problems]
    kept = {s["id"] for s in sampled}
    correct = [Solution(s["problem"], tuple(s["steps"]), id=s["id"]) for s in sampled if s.get("correct")]
    counts["policy-correct"] = write_stepwise(map(all_correct, correct), out / "policy-correct.jsonl")
    counts["policy-inject"] = write_stepwise(map(cut, inject_errors(correct, seed=args.seed)),
                                             out / "policy-inject.jsonl")
    seen = [case.problem for split in ("gsm8k", "math")
            for case in load_processbench(shared / "processbench" / f"{split}.json")]
    cot = list(convert("candidates", shared / "bon_qwen25math_math_cot_100" / "math_cot_100.jsonl",
                       exclude_problems=seen))
    counts["qwen-math-cot"] = write_stepwise(cot, out / "qwen-math-cot.jsonl")
    right = [dataclasses.replace(ex.solution, id=f"qwen-math-{ex.solution.id}") for ex in cot if ex.outcome]
    injected = inject_errors(right, seed=args.seed)
    edited = {i.original.id for i in injected}
    counts["qwen-math-inject"] = write_stepwise(
        [*(all_correct(s) for s in right if s.id in edited), *map(cut, injected)], out / "qwen-math-inject.jsonl")
    counts["gsm8k-ref"] = write_stepwise(
        convert("gsm8k-reference", shared / "gsm8k" / "example_model_solutions.jsonl", exclude_problems=seen),
        out / "gsm8k-ref.jsonl",
    )
    mc = policy / "mc.jsonl.gz"
    if mc.exists():
        examples = []
        with gzip.open(mc, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["id"] not in kept:
                    continue
                hard = tuple(1.0 if v > 0 else 0.0 for v in r["labels"])
                cut = hard.index(0.0) + 1 if 0.0 in hard else len(hard)
                examples.append(StepwiseExample(r["prompt"], tuple(r["completions"][:cut]), hard[:cut], None, r["id"]))
        counts["policy-mc"] = write_stepwise(examples, out / "policy-mc.jsonl")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
