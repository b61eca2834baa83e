"""Sampling throughput of the ``hf`` generator: batched decoding against one sample at a time.

On Monte Carlo rollout prompts (GSM8K train problems, each continued from a
prefix of 0-2 steps of its reference solution, rendered by
``prmkit.steps.rollout_prompt``: 300-500 tokens), with the labelling
settings (n rollouts per prompt, temperature 0.7, the ChatML stop strings,
per-request seeds), it times

* ``batched B``: ``HFGenerator(batch_size=B)`` on all requests (prefix-shared
  prefill, continuous batching);
* ``one-at-a-time``: ``model.generate`` per sample, batch of one, a prefill per
  sample (``HFGenerator`` before batching), on the first ``--baseline-requests``
  requests;
* ``llama.cpp`` (``--llamacpp``): the same model's Q4_K_M GGUF, one sample at a
  time, on the same subset;

and reports generated tokens per second and the ratios. It also times one
prefill per prompt, to show what sharing it across the ``n`` samples saves, and
counts how many samples are identical across batch sizes (same seeds: they
differ only where batched floating-point math flips a token). These runs keep
no prefix cache across calls (``prefix_cache_tokens=0``).

    python bench/generation.py --dtype bfloat16 --requests 4 --n 8 --max-tokens 128 --batch-size 8,16,32

``--prefix-cache`` instead times a 3-step continuation chain, the calls a
Monte Carlo labeller or a step-level search makes: call ``t`` asks for ``n``
samples from each problem's prompt with the first ``t`` reference steps, so
every prompt extends one of the call before. It runs the chain on a fresh
generator with its prefix cache and on one without (the first batch size),
and reports prompt tokens, the tokens the model prefilled, seconds, the ratios
and how many samples are identical:

    python bench/generation.py --prefix-cache --dtype float32 --requests 4 --n 2 --max-tokens 16 --batch-size 8

``--model`` also takes a transformers folder; the suite's smoke test
(``tests/bench``) runs the bench on a tiny one with a few short requests.
``--json`` writes every figure, ratios included.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import torch

from prmkit.generation import GenerationRequest, Sample, cut_at_stop, load_generator, sample_seed
from prmkit.generation.hf import HFGenerator
from prmkit.steps import rollout_prompt

REPO = Path(__file__).resolve().parents[1]
GSM8K = next(
    (p for p in (b / "shared" / "data" / "gsm8k" / "train.jsonl" for b in (REPO.parent, REPO.parent.parent)) if p.exists()),
    REPO.parent / "shared" / "data" / "gsm8k" / "train.jsonl",
)
STOP = ("<|im_end|>", "<|im_start|>")


def build_requests(path: Path, count: int, n: int, max_tokens: int, seed: int) -> list[GenerationRequest]:
    """Rollout requests: problem ``i`` continued from the first ``i % 3`` steps of its reference."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    picks = random.Random(seed).sample(range(len(rows)), count)
    out = []
    for k, i in enumerate(picks):
        steps = [s for s in rows[i]["answer"].split("#### ")[0].splitlines() if s.strip()][: k % 3]
        prompt = rollout_prompt(rows[i]["question"], steps)
        out.append(GenerationRequest(prompt, n=n, max_tokens=max_tokens, temperature=0.7, stop=STOP, seed=seed * 1000 + k * n))
    return out


def one_at_a_time(gen: HFGenerator, requests: list[GenerationRequest]) -> list[list[Sample]]:
    """Each sample alone through ``model.generate`` (a prefill per sample), as HFGenerator did before batching."""
    import transformers

    out = []
    for req in requests:
        ids = gen.tokenizer(req.prompt, return_tensors="pt").input_ids
        n_prompt = ids.shape[1]
        samples = []
        for j in range(req.n):
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed(sample_seed(req, j) or 0)
                seq = gen.model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=req.max_tokens,
                    do_sample=True,
                    temperature=req.temperature,
                    top_p=req.top_p,
                    top_k=0,
                    pad_token_id=min(gen._eos),
                    eos_token_id=sorted(gen._eos),
                    stopping_criteria=transformers.StoppingCriteriaList([_Stop(gen.tokenizer, n_prompt, req.stop)]),
                )
            new = seq[0, n_prompt:].tolist()
            eos_at = next((k for k, t in enumerate(new) if t in gen._eos), None)
            new = new if eos_at is None else new[:eos_at]
            text, hit = cut_at_stop(gen.tokenizer.decode(new, skip_special_tokens=True), req.stop)
            samples.append(Sample(text, len(new), "stop" if hit or eos_at is not None else "length", n_prompt))
        out.append(samples)
    return out


class _Stop:
    def __init__(self, tokenizer: Any, n_prompt: int, stop: tuple[str, ...]) -> None:
        self.tokenizer, self.n_prompt, self.stop = tokenizer, n_prompt, stop

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        text = self.tokenizer.decode(input_ids[0, self.n_prompt :], skip_special_tokens=True)
        return torch.tensor([any(s in text for s in self.stop)])


def timed(label: str, fn: Any, requests: list[GenerationRequest]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = fn(requests)
    wall = time.perf_counter() - t0
    tokens = sum(s.n_tokens for samples in out for s in samples)
    row = {
        "method": label,
        "samples": sum(len(s) for s in out),
        "tokens": tokens,
        "wall_s": round(wall, 3),
        "tok_per_s": round(tokens / wall, 2),
        "load_before": round(load, 2),
        "texts": [s.text for samples in out for s in samples],
    }
    print(f"  {label:<16} {row['samples']:>4} samples {tokens:>6} tokens {wall:8.1f} s {row['tok_per_s']:7.1f} tok/s"
          f"   (load avg before: {load:.2f})", flush=True)
    return row


def prefill_seconds(gen: HFGenerator, requests: list[GenerationRequest]) -> list[float]:
    import transformers

    out = []
    with torch.inference_mode():
        for req in requests:
            ids = gen.tokenizer(req.prompt, return_tensors="pt").input_ids
            t0 = time.perf_counter()
            gen.model(input_ids=ids, cache=transformers.DynamicCache(config=gen.model.config), use_cache=True, logits_to_keep=1)
            out.append(time.perf_counter() - t0)
    return out


def chain(path: Path, count: int, seed: int) -> list[list[str]]:
    """Per call, the prompts of the 3-step chain: problem ``i`` continued from its first 0, 1, 2 reference steps."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    picks = random.Random(seed).sample(range(len(rows)), count)
    steps = [[s for s in rows[i]["answer"].split("#### ")[0].splitlines() if s.strip()] for i in picks]
    return [[rollout_prompt(rows[i]["question"], ref[:t]) for i, ref in zip(picks, steps, strict=True)] for t in range(3)]


def prefix_cache(model: str, dtype: str, args: argparse.Namespace) -> dict[str, Any]:
    """The chain on a generator with the prefix cache and on one without; prefill tokens, seconds, ratios."""
    calls = chain(args.data, args.requests, args.seed)
    batch = int(args.batch_size.split(",")[0])
    runs: dict[str, Any] = {}
    print(f"{dtype}:")
    for label, budget in (("off", 0), ("on", 32768)):
        gen = HFGenerator(model, dtype=dtype, batch_size=batch, prefix_cache_tokens=budget)
        gen.generate([GenerationRequest("1, 2, 3,", max_tokens=2, temperature=0)])  # warm-up, shares no prefix
        tokens, prefilled = gen.prompt_tokens, gen.prefill_tokens
        t0, texts = time.perf_counter(), []
        for t, prompts in enumerate(calls):
            reqs = [GenerationRequest(p, n=args.n, max_tokens=args.max_tokens, temperature=0.7, stop=("\n\n", *STOP),
                                      seed=args.seed * 1000 + 100 * t + 10 * k) for k, p in enumerate(prompts)]
            texts += [s.text for samples in gen.generate(reqs) for s in samples]
        runs[label] = {"prompt_tokens": gen.prompt_tokens - tokens, "prefill_tokens": gen.prefill_tokens - prefilled,
                       "wall_s": round(time.perf_counter() - t0, 3), "texts": texts}
        print(f"  cache {label:<3}  prompt tokens {runs[label]['prompt_tokens']:>6}  prefilled {runs[label]['prefill_tokens']:>6}"
              f"  {runs[label]['wall_s']:8.2f} s", flush=True)
        del gen
    off, on = runs["off"], runs["on"]
    fig = {
        "calls": len(calls), "prompts_per_call": args.requests, "batch_size": batch,
        **{f"{k}_{label}": r[k] for label, r in runs.items() for k in ("prompt_tokens", "prefill_tokens", "wall_s")},
        "ratio_prefill_tokens": round(off["prefill_tokens"] / on["prefill_tokens"], 3),
        "ratio_seconds": round(off["wall_s"] / on["wall_s"], 3),
        "identical_samples": sum(a == b for a, b in zip(off["texts"], on["texts"], strict=True)),
        "samples": len(off["texts"]),
    }
    print(f"ratio prefill tokens off / on: {fig['ratio_prefill_tokens']:.2f}x")
    print(f"ratio seconds off / on: {fig['ratio_seconds']:.2f}x")
    print(f"  samples identical with and without the cache: {fig['identical_samples']}/{fig['samples']}")
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct", help="policy (catalog name, GGUF or directory)")
    ap.add_argument("--dtype", default="bfloat16", help="comma-separated dtypes to time: float32, bfloat16")
    ap.add_argument("--requests", type=int, default=4, help="rollout prompts (GSM8K train problems)")
    ap.add_argument("--n", type=int, default=8, help="samples per prompt")
    ap.add_argument("--max-tokens", type=int, default=128, help="most tokens per sample")
    ap.add_argument("--batch-size", default="8,16,32", help="comma-separated batch sizes for the batched generator")
    ap.add_argument("--baseline-requests", type=int, default=1,
                    help="requests the one-at-a-time and llama.cpp baselines run (the first ones)")
    ap.add_argument("--llamacpp", action="store_true", help="also time llama.cpp on the baseline subset")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch (and llama.cpp) threads")
    ap.add_argument("--seed", type=int, default=0, help="problem choice and sampling seeds")
    ap.add_argument("--data", type=Path, default=GSM8K, help="GSM8K train JSONL")
    ap.add_argument("--prefix-cache", action="store_true",
                    help="instead time a 3-step continuation chain with and without the prefix cache")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    if args.prefix_cache:
        print(f"{args.model}: 3-step chain on {args.requests} problems x n={args.n}, max {args.max_tokens} tokens; "
              f"{args.threads} threads; {os.cpu_count()} cores; load avg {os.getloadavg()[0]:.2f}")
        cache_report = {dtype: prefix_cache(args.model, dtype, args) for dtype in args.dtype.split(",")}
        if args.json:
            args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                             "prefix_cache": cache_report}, indent=1))
        return
    requests = build_requests(args.data, args.requests, args.n, args.max_tokens, args.seed)
    baseline = requests[: args.baseline_requests]
    sizes = [int(b) for b in args.batch_size.split(",")]
    print(f"{args.model}: {args.requests} requests x n={args.n}, max {args.max_tokens} tokens, "
          f"temperature 0.7; {args.threads} threads; {os.cpu_count()} cores; load avg {os.getloadavg()[0]:.2f}")
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "runs": {}}
    for dtype in args.dtype.split(","):
        gen = HFGenerator(args.model, dtype=dtype, prefix_cache_tokens=0)
        lengths = [len(gen.tokenizer(r.prompt).input_ids) for r in requests]
        gen.generate([GenerationRequest(requests[0].prompt, n=2, max_tokens=4, seed=0)])  # warm-up
        prefill = prefill_seconds(gen, requests)
        print(f"{dtype}: prompt tokens {min(lengths)}-{max(lengths)}; one prefill {min(prefill):.2f}-{max(prefill):.2f} s")
        rows = []
        for b in sizes:
            gen.batch_size = b
            rows.append(timed(f"batched {b}", gen.generate, requests))
        base = timed("one-at-a-time", functools.partial(one_at_a_time, gen), baseline)
        rows.append(base)
        if args.llamacpp and dtype == args.dtype.split(",")[0]:
            llm = load_generator("llamacpp", model=args.model, n_ctx=2048, n_threads=args.threads)
            report["llamacpp"] = timed("llama.cpp", llm.generate, baseline)
        best = max(rows[:-1], key=lambda r: r["tok_per_s"])
        first = rows[0]["texts"]
        same = {r["method"]: sum(a == b for a, b in zip(first, r["texts"], strict=True)) for r in rows[1:-1]}
        saved = sum(prefill) * (args.n - 1)
        # a ratio only against a baseline that ran (llama.cpp: with --llamacpp) and produced tokens
        baselines = {"one-at-a-time": base, "llama.cpp": report.get("llamacpp")}
        ratios = {label: best["tok_per_s"] / other["tok_per_s"]
                  for label, other in baselines.items() if other is not None and other["tok_per_s"] > 0}
        print(f"  best: {best['method']} at {best['tok_per_s']} tok/s"
              + "".join(f", {ratio:.2f}x {label}" for label, ratio in ratios.items()))
        print(f"  prefix sharing saves {saved:.1f} s of prefill ({args.n - 1} of {args.n} per prompt): "
              f"without it the best batched run would take {1 + saved / best['wall_s']:.2f}x as long")
        print(f"  samples identical to {rows[0]['method']}: " + ", ".join(f"{k}: {v}/{len(first)}" for k, v in same.items()))
        report["runs"][dtype] = {
            "prompt_tokens": lengths,
            "prefill_s": [round(p, 3) for p in prefill],
            "methods": [{k: v for k, v in r.items() if k != "texts"} for r in rows],
            "identical_to_first": same,
            "best": best["method"],
            "ratios_best_vs": {label: round(ratio, 3) for label, ratio in ratios.items()},
            "prefill_sharing_factor": round(1 + saved / best["wall_s"], 3),
        }
    if "llamacpp" in report:
        report["llamacpp"].pop("texts", None)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
