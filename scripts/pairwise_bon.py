"""Best-of-N by a pairwise judge (knockout or Elo) over each problem's stored candidates.

Reads a candidate set (``prmkit eval bon``'s formats), runs the selector on
every problem's full candidate list with a judge generator, and writes a JSON
report: accuracy, judge tokens, ties and verdict failures, and per problem the
chosen index and every comparison with the judge's raw texts. Judged samples
are appended to ``--memo`` (JSONL, keyed by content) as they are made, so a
rerun with the same memo resumes without judging anything twice. Where
candidates carry step scores, the last step's score breaks ties.

    python scripts/pairwise_bon.py runs/cands.jsonl --selector knockout \
        --judge-backend llamacpp --judge-model qwen2.5-coder-0.5b-instruct \
        --memo runs/judge.jsonl --out runs/pairwise.json
    python scripts/pairwise_bon.py runs/cands.jsonl --selector elo --opponents 3 \
        --judge-backend openai --judge-url http://localhost:8000/v1 --judge-model my-judge
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict
from typing import Any

from prmkit.answers import grade_answer
from prmkit.data.candidates import load_candidates
from prmkit.generation import load_generator
from prmkit.search.aggregate import aggregate
from prmkit.search.pairwise import JsonlMemo, PairwiseJudge
from prmkit.search.tournament import elo, knockout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidates")
    ap.add_argument("--selector", choices=["knockout", "elo"], default="knockout")
    ap.add_argument(
        "--judge-backend", default="llamacpp", help="generator engine: hf, llamacpp, openai, vllm"
    )
    ap.add_argument("--judge-model", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument(
        "--judge-url", default=None, help="base URL of an OpenAI-compatible server (backend openai)"
    )
    ap.add_argument("--max-tokens", type=int, default=512, help="judge tokens per order")
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument(
        "--seed", type=int, default=0, help="seeds the bracket / Elo order and the judge"
    )
    ap.add_argument(
        "--opponents", type=int, default=None, help="elo: k random opponents each (default: all)"
    )
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument(
        "--memo", default=None, help="JSONL of judged samples, appended as made (resume)"
    )
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    options = {"model": args.judge_model}
    if args.judge_url is not None:
        options["base_url"] = args.judge_url
    judge = PairwiseJudge(
        load_generator(args.judge_backend, **options),
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        seed=args.seed,
    )
    if args.memo is not None:
        judge.memo = JsonlMemo(args.memo)
    cset = load_candidates(args.candidates)
    rows: list[dict[str, Any]] = []
    hits = 0
    for p in cset.problems[: args.limit]:
        solutions = ["\n\n".join(c.steps) for c in p.candidates]
        scores = [
            aggregate(c.step_scores, "last") if c.step_scores else math.nan for c in p.candidates
        ]
        if args.selector == "knockout":
            t = knockout(judge, p.problem, solutions, scores, seed=args.seed)
        else:
            t = elo(judge, p.problem, solutions, scores, opponents=args.opponents, seed=args.seed)
        chosen = p.candidates[t.index]
        correct = chosen.answer.ok and (
            chosen.correct
            if chosen.correct is not None
            else p.reference is not None and grade_answer(chosen.answer, p.reference)
        )
        hits += bool(correct)
        rows.append(
            {
                "id": p.id,
                "index": t.index,
                "correct": bool(correct),
                "n_tokens": t.n_tokens,
                "failures": t.n_failures,
                "ties": t.n_ties,
                "ratings": t.ratings,
                "comparisons": [asdict(c) for c in t.comparisons],
            }
        )
    report = {
        "selector": args.selector,
        "judge": f"{args.judge_backend}:{args.judge_model}",
        "problems": len(rows),
        "accuracy": hits / len(rows) if rows else None,
        "judge_tokens": sum(r["n_tokens"] for r in rows),
        "comparisons": sum(len(r["comparisons"]) for r in rows),
        "failures": sum(r["failures"] for r in rows),
        "ties": sum(r["ties"] for r in rows),
        "rows": rows,
    }
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}))


if __name__ == "__main__":
    main()
