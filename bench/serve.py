"""Loopback load on ``prmkit serve``: dynamic batching against batch-of-one serving, same PRM, same requests.

Two real ``prmkit serve`` processes on free loopback ports serve the same PRM
(without the step-score cache, so every request is scored): ``batched`` with
the default ``--max-wait-ms`` and ``--max-batch-solutions 64``, and
``batch-of-one`` with ``--max-batch-solutions 1``. At each concurrency (1, 8
and 64 client threads, plain urllib, a new connection per request) the bench
sends ``--requests`` requests of one ProcessBench GSM8K solution each (cycling
through ``--limit`` seeded cases) to each server in turn and measures
throughput (solutions/s) and p50/p99 latency. Every answer must be a 200 with
the scores the bench computes offline from the same PRM (within 1e-6;
``arith``: exactly). It prints a table, the ratios batched / batch-of-one of
throughput and p99 at each concurrency, and a note on what the machine allows
(the issue's target: >= 5x throughput at no worse p99).

    python bench/serve.py --dtype float32              # prmkit-prm, 128 requests per run
    python bench/serve.py --prm arith --requests 256   # the server's overhead alone (seconds)
    python bench/serve.py --prm trl-prm --model DIR --limit 64 --json fig.json   # add --device cuda on a GPU

Every wait (server start, each request, the whole run) is bounded by ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from prmkit.data import load_processbench
from prmkit.scoring.config import ScorerConfig
from prmkit.types import Solution, StepScores

REPO = Path(__file__).resolve().parents[1]
MODES = {"batched": ("--max-batch-solutions", "64"), "batch-of-one": ("--max-batch-solutions", "1")}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def find_gsm8k() -> Path:
    for base in (REPO.parent, REPO.parent.parent):
        p = base / "shared" / "data" / "processbench" / "gsm8k.json"
        if p.exists():
            return p
    sys.exit("bench/serve.py: ../shared/data/processbench/gsm8k.json not found")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: Any, key: str | None, timeout: float) -> tuple[int, Any]:
    """``(status, parsed JSON or text)`` of a POST (or a GET with ``body`` None)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    req = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
    try:
        with _OPENER.open(req, timeout=max(timeout, 0.1)) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@contextmanager
def serving(tmp: Path, name: str, flags: Sequence[str], key: str, deadline: float) -> Iterator[str]:
    """``prmkit serve`` with ``flags`` on a free loopback port; its URL, once ``/health`` answers. SIGTERM at the end."""
    keys = tmp / f"{name}.keys"
    keys.write_text(key + "\n")
    log = tmp / f"{name}.log"
    port = free_port()
    cmd = [sys.executable, "-m", "prmkit", "serve", "--host", "127.0.0.1", "--port", str(port), "--keys-file",
           str(keys), "--no-cache", *flags]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"bench/serve.py: {name} server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if post(url + "/health", None, None, 2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"bench/serve.py: {name} server not ready within --timeout:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def load(url: str, key: str, sols: list[Solution], expected: list[tuple[float, ...]], requests: int, clients: int,
         tol: float, deadline: float) -> dict[str, Any]:
    """``requests`` one-solution requests from ``clients`` threads; throughput, latencies, errors, score mismatches."""
    lock = threading.Lock()
    next_i = [0]
    latencies: list[float] = []
    errors: list[str] = []
    worst = [0.0]
    mismatches = [0]

    def client() -> None:
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= requests or time.monotonic() > deadline:
                return
            j = i % len(sols)
            sol = sols[j]
            t = time.perf_counter()
            try:
                status, body = post(url + "/v1/score", {"problem": sol.problem, "steps": list(sol.steps), "id": str(i)},
                                    key, deadline - time.monotonic())
            except OSError as e:
                with lock:
                    errors.append(f"request {i}: {e!r}")
                continue
            dt = time.perf_counter() - t
            with lock:
                if status != 200 or not isinstance(body, dict) or "step_scores" not in body["results"][0]:
                    errors.append(f"request {i}: HTTP {status} {str(body)[:200]}")
                    continue
                latencies.append(dt)
                got = body["results"][0]["step_scores"]
                diff = (max((abs(a - b) for a, b in zip(got, expected[j], strict=True)), default=0.0)
                        if len(got) == len(expected[j]) else math.inf)
                worst[0] = max(worst[0], diff)
                mismatches[0] += diff > tol

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(deadline - time.monotonic(), 0.0) + 5)
    seconds = time.perf_counter() - t0
    if time.monotonic() > deadline or any(th.is_alive() for th in threads):
        sys.exit(f"bench/serve.py: --timeout reached at {clients} clients on {url}")
    return {
        "requests": requests, "clients": clients, "seconds": seconds, "answered": len(latencies),
        "solutions_per_s": len(latencies) / seconds,
        "p50_s": percentile(latencies, 50) if latencies else math.nan,
        "p99_s": percentile(latencies, 99) if latencies else math.nan,
        "errors": len(errors), "error_examples": errors[:3],
        "score_mismatches": mismatches[0], "max_abs_score_diff": worst[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prm", default="prmkit-prm", help="the PRM both servers serve (default: the embedded prmkit-prm)")
    ap.add_argument("--model", default=None, help="weights folder for --prm (e.g. a tiny test model)")
    ap.add_argument("--device", default=None, help="the servers' (and the offline scorer's) device")
    ap.add_argument("--dtype", default=None,
                    help="the model dtype of the servers and the offline scorer (default: the backend's; in bfloat16 "
                         "a score depends on the batch it is in, by up to ~1e-2: use float32 for the 1e-6 check)")
    ap.add_argument("--tol", type=float, default=None,
                    help="largest accepted |served - offline| score difference (default: 0 for arith, else 1e-6)")
    ap.add_argument("--requests", type=int, default=128, help="requests (one solution each) per server and concurrency")
    ap.add_argument("--limit", type=int, default=64, help="distinct ProcessBench GSM8K solutions (seeded), cycled")
    ap.add_argument("--concurrency", default="1,8,64", help="client thread counts, comma-separated")
    ap.add_argument("--max-wait-ms", type=float, default=None, help="the batched server's --max-wait-ms (default: its own)")
    ap.add_argument("--timeout", type=float, default=900, help="bound on the whole run, in seconds")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    levels = [int(c) for c in args.concurrency.split(",")]

    cases = list(load_processbench(find_gsm8k()))
    random.Random(0).shuffle(cases)
    sols = [c.solution() for c in cases[: args.limit]]
    prm_flags = ["--prm", args.prm] + (["--model", args.model] if args.model else []) + (
        ["--device", args.device] if args.device else []) + (["--dtype", args.dtype] if args.dtype else [])
    scorer = ScorerConfig(prm=args.prm, model=args.model, device=args.device, dtype=args.dtype, no_cache=True).load()
    dtype = str(getattr(scorer, "dtype", args.dtype or "n/a"))
    offline = scorer.score(sols)
    if not all(isinstance(r, StepScores) for r in offline):
        sys.exit(f"bench/serve.py: offline scoring failed on some solutions: {offline}")
    expected = [tuple(r.scores) for r in offline]  # type: ignore[union-attr]
    tol = args.tol if args.tol is not None else 0.0 if args.prm == "arith" else 1e-6
    del scorer

    key = secrets.token_urlsafe(16)
    wait = ["--max-wait-ms", str(args.max_wait_ms)] if args.max_wait_ms is not None else []
    runs: dict[str, dict[str, Any]] = {mode: {} for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="prmkit-bench-serve-") as tmp, ExitStack() as stack:
        urls = {mode: stack.enter_context(serving(Path(tmp), mode, [*prm_flags, *flags, *(wait if mode == "batched" else [])],
                                                   key, deadline))
                for mode, flags in MODES.items()}
        for mode, url in urls.items():  # warm-up: the worker builds and runs the scorer once
            warm = load(url, key, sols, expected, min(8, len(sols)), 4, tol, deadline)
            if warm["errors"]:
                sys.exit(f"bench/serve.py: the {mode} server fails in warm-up: {warm['error_examples']}")
        for c in levels:  # the modes take turns at each concurrency, so a change in load hits both
            for mode, url in urls.items():
                runs[mode][str(c)] = load(url, key, sols, expected, args.requests, c, tol, deadline)

    ratios = {str(c): {"throughput": runs["batched"][str(c)]["solutions_per_s"] / runs["batch-of-one"][str(c)]["solutions_per_s"],
                       "p99": runs["batched"][str(c)]["p99_s"] / runs["batch-of-one"][str(c)]["p99_s"]} for c in levels}
    errors = sum(r["errors"] for m in runs.values() for r in m.values())
    mismatches = sum(r["score_mismatches"] for m in runs.values() for r in m.values())
    worst = max(r["max_abs_score_diff"] for m in runs.values() for r in m.values())
    cores = os.cpu_count() or 1
    top = str(max(levels))
    met = ratios[top]["throughput"] >= 5 and ratios[top]["p99"] <= 1
    fig = {"prm": args.prm, "model": args.model, "device": args.device or "default", "dtype": dtype, "tolerance": tol, "cpu_cores": cores,
           "requests": args.requests, "solutions": len(sols), "concurrency": levels,
           "steps_per_solution": sum(len(e) for e in expected) / len(expected),
           "runs": runs, "ratios_batched_vs_batch_of_one": ratios, "errors": errors, "score_mismatches": mismatches,
           "max_abs_score_diff": worst, "target_met": met}

    print(f"prmkit serve on loopback, --prm {args.prm}{' --model ' + args.model if args.model else ''} ({dtype}), "
          f"{args.requests} requests of one ProcessBench GSM8K solution ({len(sols)} distinct, "
          f"{fig['steps_per_solution']:.1f} steps on average) per run, {cores} CPU cores")
    print(f"{'server':13s} {'clients':>7s} {'solutions/s':>12s} {'p50 ms':>9s} {'p99 ms':>9s} {'errors':>6s} {'mismatch':>8s}")
    for c in levels:
        for mode in MODES:
            r = runs[mode][str(c)]
            print(f"{mode:13s} {c:7d} {r['solutions_per_s']:12.1f} {1e3 * r['p50_s']:9.1f} {1e3 * r['p99_s']:9.1f} "
                  f"{r['errors']:6d} {r['score_mismatches']:8d}")
    for c in levels:
        print(f"ratio batched / batch-of-one throughput at {c} clients: {ratios[str(c)]['throughput']:.2f}x")
        print(f"ratio batched / batch-of-one p99 at {c} clients: {ratios[str(c)]['p99']:.2f}x")
    print(f"errors: {errors}; scores differing from offline scoring by more than {tol:g}: {mismatches} "
          f"(max |difference| {worst:.2e})")
    verdict = "met" if met else "not met"
    print(f"note: target >= 5x throughput at no worse p99 at {top} clients: {verdict} here. Batching saves the "
          "per-call overhead of the scorer (one forward pass, padded, for up to 64 solutions instead of 64 passes); "
          "it cannot save the per-request HTTP work (parsing, validation, JSON), which is all `arith` costs, and on "
          f"{cores} CPU core(s) a forward pass of a batch costs about the sum of its solutions' passes (the cores "
          "are saturated by one solution), while the clients and both servers share the same cores. The 5x is "
          "reachable where one solution leaves the accelerator idle (a GPU, --device cuda), not on a few CPU cores.")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))
    if errors or mismatches:
        sys.exit(f"bench/serve.py: {errors} errors, {mismatches} score mismatches")


if __name__ == "__main__":
    main()
