"""Live search compute: incremental PRM scoring against re-scoring every prefix, and batching across problems.

One beam search (real policy, real PRM, GSM8K test problems) is run three ways:

* ``incremental``: the PRM wrapped by :func:`prmkit.scoring.incremental` (a prefix's key/value cache is
  reused for its extensions), all problems in flight together;
* ``re-scoring``: the plain PRM, which runs every scored prefix whole (what search-and-learn does), on the
  generations the first run stored (replayed, so both score the very same tree);
* ``one problem at a time``: the incremental run again with ``max_active=1`` (fresh generation), timed.

It prints the PRM tokens each scorer computed divided by the distinct tokens of the search tree (the
number of nodes of the trie of every rendered prefix: the work a perfect prefix cache does; target
<= 1.1), the ratio to re-scoring, and the wall-time speed-up of batching problems together.

    python bench/search.py --problems 8 --n 4 --width 2
    python bench/search.py --policy qwen2.5-coder-0.5b-instruct --prm prmkit-prm --problems 20 --n 8

``--json`` writes every figure. The suite's smoke test (``tests/bench``) runs it on tiny models.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from prmkit.data import read_problems
from prmkit.generation import Sampling
from prmkit.generation.hf import HFGenerator
from prmkit.runtime import LocalRunner, ReplayRunner
from prmkit.scoring import load_prm
from prmkit.scoring.hf import HFScorer
from prmkit.scoring.incremental import incremental
from prmkit.scoring.render import render
from prmkit.search.beam import BeamSearch
from prmkit.search.live import run_search


class Recording:
    """A scorer that keeps every solution it was asked to score (and counts the tokens it computed)."""

    def __init__(self, scorer: Any) -> None:
        self.scorer, self.seen, self.tokens = scorer, [], 0
        self.identity = scorer.identity

    def score(self, solutions: Any) -> Any:
        out = self.scorer.score(solutions)
        self.seen.extend(solutions)
        self.tokens += sum(getattr(r, "tokens", 0) for r in out)
        return out


def _shape(results: list[dict[str, Any]]) -> list[list[tuple[Any, ...]]]:
    """Each tree's nodes without their scores (which differ by float rounding between the two scorers)."""
    return [[(n["id"], n["parent"], n["step"], n["status"]) for n in r.get("tree", [])] for r in results]


def distinct_tokens(prm: HFScorer, solutions: list[Any]) -> int:
    """Nodes of the trie of the rendered token ids of ``solutions``: each distinct prefix token once."""
    trie: dict[Any, Any] = {}
    count = 0
    for sol in solutions:
        node = trie
        for t in render(prm.tokenizer, prm.spec, sol, prm.token_ids).input_ids:
            if t not in node:
                node[t] = {}
                count += 1
            node = node[t]
    return count * len(prm.models)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policy", default="smollm2-135m-instruct", help="catalog name or transformers folder")
    ap.add_argument("--prm", default="prmkit-prm", help="PRM name (a model PRM: the bench times its forward passes)")
    ap.add_argument("--prm-model", default=None, help="weights for --prm (a folder), e.g. a tiny test model")
    ap.add_argument("--data", default="../shared/data/gsm8k/test.jsonl")
    ap.add_argument("--problems", type=int, default=8)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--width", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--step-tokens", type=int, default=96)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    problems = read_problems(args.data)[: args.problems]
    sampling = Sampling(style="boxed", temperature=0.8, max_tokens=args.max_tokens)
    method = BeamSearch(n=args.n, width=args.width, iterations=args.iterations, step_tokens=args.step_tokens)
    options = {"model": args.prm_model} if args.prm_model else {}
    prm = load_prm(args.prm, dtype=args.dtype, **options)
    if not isinstance(prm, HFScorer):
        raise SystemExit("--prm must name a model PRM (the hf backend)")
    policy = HFGenerator(args.policy, dtype=args.dtype, batch_size=32)
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    rows: dict[str, Any] = {}

    inc, why = incremental(prm)
    assert why is None, why
    rec_inc = Recording(inc)
    t0 = time.perf_counter()
    first = run_search(problems, method, LocalRunner(policy, batch_size=32), rec_inc, work / "batched",
                       sampling=sampling, max_active=len(problems))
    rows["batched_s"] = time.perf_counter() - t0

    rec_full = Recording(prm)
    t0 = time.perf_counter()
    replay = run_search(problems, method, ReplayRunner(work / "batched"), rec_full, work / "rescore",
                        sampling=sampling, max_active=len(problems))
    rows["rescore_prm_s"] = time.perf_counter() - t0
    same = _shape(replay.results) == _shape(first.results)

    tree = distinct_tokens(prm, rec_inc.seen)
    rows.update(distinct_tree_tokens=tree, incremental_tokens=rec_inc.tokens, rescoring_tokens=rec_full.tokens,
                incremental_ratio=rec_inc.tokens / tree, rescoring_ratio=rec_full.tokens / tree,
                same_tree=same)

    t0 = time.perf_counter()
    inc2, _ = incremental(prm)
    run_search(problems, method, LocalRunner(HFGenerator(args.policy, dtype=args.dtype, batch_size=32),
                                             batch_size=32), inc2, work / "single", sampling=sampling, max_active=1)
    rows["one_at_a_time_s"] = time.perf_counter() - t0
    rows["batching_speedup"] = rows["one_at_a_time_s"] / rows["batched_s"]

    print(f"beam search n={args.n} width={args.width} on {len(problems)} problems; policy {args.policy}, "
          f"PRM {args.prm} ({args.dtype})")
    print(f"  distinct tokens in the search tree: {tree}")
    print(f"  incremental PRM tokens: {rec_inc.tokens}  ratio {rows['incremental_ratio']:.3f} (target <= 1.1)")
    print(f"  re-scoring PRM tokens:  {rec_full.tokens}  ratio {rows['rescoring_ratio']:.3f}")
    print(f"  re-scoring / incremental: {rec_full.tokens / max(1, rec_inc.tokens):.2f}x "
          f"(same tree when replayed: {same})")
    print(f"  wall: all problems together {rows['batched_s']:.1f} s, one at a time {rows['one_at_a_time_s']:.1f} s, "
          f"speed-up {rows['batching_speedup']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
