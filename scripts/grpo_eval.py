"""Held-out accuracy of GRPO policies on more problems than the runs' own evaluations, paired per problem.

Each ``--model NAME=PATH`` (a checkpoint folder of scripts/grpo_gsm8k.py, or a catalogued policy) answers the
first ``--n`` held-out problems (the easy GSM8K test cut the runs evaluate on) greedily, with the runs' prompt
and grader; one JSON line per problem goes to ``OUT/NAME.jsonl`` as it is answered, so a rerun continues.
Then a table: accuracy with a Wilson 95 % interval per model, and for each pair the paired difference with a
95 % interval (a normal interval on the per-problem differences) and the discordant counts::

    python scripts/grpo_eval.py --out /work/runs/grpo/heldout --n 200 \\
        --model step0=smollm2-135m-instruct \\
        --model outcome=/work/runs/grpo/outcome/checkpoint-80 \\
        --model outcome+prm=/work/runs/grpo/outcome+prm/checkpoint-80
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grpo_callbacks import greedy_answers
from grpo_gsm8k import DATA, GRADERS, chat_prompt, easy_problems


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def paired(
    a: Sequence[bool], b: Sequence[bool], z: float = 1.96
) -> tuple[float, float, float, int, int]:
    """Mean of a - b over the same problems, its 95 % normal interval, and the discordant counts."""
    d = [int(x) - int(y) for x, y in zip(a, b, strict=True)]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
    half = z * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sum(x == 1 for x in d), sum(x == -1 for x in d)


def answer(
    name: str, path: str, held: list[dict[str, str]], out: Path, args: argparse.Namespace
) -> list[bool]:
    """Greedy answers of one model, appended to ``out`` as they come; finished problems are read back."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from prmkit.models import to_transformers_dir

    done = {}
    if out.is_file():
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                done[rec["id"]] = rec["correct"]
    todo = [r for r in held if r["id"] not in done]
    if todo:
        torch.set_num_threads(args.threads)
        folder = path if Path(path).is_dir() else str(to_transformers_dir(path))
        tok = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        grade = GRADERS[args.grader]
        for i in range(0, len(todo), args.batch):
            rows = todo[i : i + args.batch]
            t0 = time.monotonic()
            answers = greedy_answers(model, tok, [chat_prompt(r["problem"]) for r in rows], args.max_new_tokens,
                                     args.batch)
            seconds = (time.monotonic() - t0) / len(rows)
            with out.open("a", encoding="utf-8") as fh:
                for r, (text, _) in zip(rows, answers, strict=True):
                    done[r["id"]] = ok = bool(grade(text, r["reference"]))
                    fh.write(json.dumps({"id": r["id"], "model": name, "correct": ok, "text": text,
                                         "seconds": round(seconds, 2)}) + "\n")
            print(f"{name}: {len(done)}/{len(held)}", file=sys.stderr, flush=True)
    return [done[r["id"]] for r in held]


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--model",
        action="append",
        required=True,
        help="NAME=PATH (checkpoint folder or policy name)",
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=200, help="first N held-out problems")
    p.add_argument("--eval-path", type=Path, default=DATA / "test.jsonl")
    p.add_argument("--max-ref-steps", type=int, default=2)
    p.add_argument("--grader", choices=sorted(GRADERS), default="lenient")
    p.add_argument("--max-new-tokens", type=int, default=96)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    held = easy_problems(args.eval_path, args.max_ref_steps)[: args.n]
    models = dict(m.split("=", 1) for m in args.model)
    correct = {
        name: answer(name, path, held, args.out / f"{name}.jsonl", args)
        for name, path in models.items()
    }
    print(f"| model | held-out accuracy (n = {len(held)}) | 95 % Wilson interval |")
    print("|---|---|---|")
    for name, c in correct.items():
        lo, hi = wilson(sum(c), len(c))
        print(
            f"| {name} | {100 * sum(c) / len(c):.1f} % ({sum(c)}/{len(c)}) | [{100 * lo:.1f}, {100 * hi:.1f}] |"
        )
    print(
        "\n| pair | difference | 95 % interval | problems only the first / only the second solves |"
    )
    print("|---|---|---|---|")
    for a, b in itertools.combinations(correct, 2):
        mean, lo, hi, only_a, only_b = paired(correct[a], correct[b])
        print(
            f"| {a} − {b} | {100 * mean:+.1f} pts | [{100 * lo:+.1f}, {100 * hi:+.1f}] | {only_a} / {only_b} |"
        )


if __name__ == "__main__":
    main()
