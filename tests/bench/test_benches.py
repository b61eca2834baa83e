"""Every bench runs end to end in its smallest configuration, through every flag combination its commands
in the README, docs and its own docstring use, and prints finite, positive ratios and JSON figures.

These are smoke tests of the bench code, not timed tests: no speed is asserted (the speed targets stay in
the benches). Each bench runs in a child process, as a user runs it, importing this checkout's ``src``;
on a tiny real-architecture model (``_bench_models.py``) and a handful of solutions or requests, except
``bench/labeling.py --labelled``, which reads the committed dataset and is fast as it is. The ``--vllm``
run uses the vLLM environment (``tests/_vllm_env.py``).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _bench_models import save_paragraph_policy, save_scoring_model
from _vllm_env import vllm_python

ROOT = Path(__file__).resolve().parents[2]
DATASET = "datasets/gsm8k-train-qwen2.5-coder-0.5b"
TIMEOUT = 600


@pytest.fixture(scope="module")
def scorer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    return save_scoring_model(tmp_path_factory.mktemp("bench") / "tiny-llama")


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    return save_paragraph_policy(tmp_path_factory.mktemp("bench") / "tiny-qwen2")


def run_bench(script: str, *args: str | Path, python: str | Path = sys.executable) -> str:
    """``python bench/SCRIPT ARGS`` from the repository root; its stdout (stderr shown on failure)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.monotonic()
    proc = subprocess.run([str(python), str(ROOT / "bench" / script), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, f"bench/{script} {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    print(f"bench/{script}: {time.monotonic() - t0:.1f} s")
    return proc.stdout


def positive(value: Any, where: str) -> float:
    assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, f"{where}: {value!r}"
    return float(value)


def printed_ratios(stdout: str) -> dict[str, float]:
    """The ``ratio NAME: VALUEx`` (or ``VALUE%``) lines a bench prints."""
    return {name.strip(): float(value) for name, value in re.findall(r"^ratio ([^:]+):\s*([0-9.eE+-]+)[x%]", stdout, re.M)}


# --- the commands to cover --------------------------------------------------------------------------

# (bench, runs in the vLLM environment, the README flags the case carries); test_every_documented_bench_command_is_smoke_tested
# checks that every documented command's flags are among one case's.
CASES = {
    "scoring-chunk": ("scoring", False, ("--limit", "--chunk")),
    "scoring-compile": ("scoring", False, ("--limit", "--compile")),
    "scoring-cuda": ("scoring", False, ("--device", "--dtype")),
    "scoring-vllm": ("scoring", True, ("--vllm", "--dtype", "--limit")),
    "labeling-labelled": ("labeling", False, ("--labelled",)),
    "labeling-independent": ("labeling", False, ("--labelled", "--independent")),
    "labeling-fresh": ("labeling", False, ("--policy", "--n", "--k", "--out")),
    "generation": ("generation", False, ("--dtype", "--requests", "--n", "--max-tokens", "--batch-size")),
    "generation-prefix": ("generation", False,
                          ("--prefix-cache", "--dtype", "--requests", "--n", "--max-tokens", "--batch-size")),
    "search": ("search", False, ("--policy", "--prm", "--prm-model", "--problems", "--n", "--width", "--iterations",
                                 "--step-tokens", "--max-tokens", "--json")),
    "serve-arith": ("serve", False, ("--prm", "--requests", "--limit", "--json", "--timeout")),
    "serve-model": ("serve", False, ("--prm", "--model", "--dtype", "--limit", "--requests", "--json", "--timeout")),
    "arith": ("arith", False, ("--sizes", "--repeat", "--json")),
}


def documented_commands() -> list[tuple[str, bool, frozenset[str]]]:
    """Every ``python bench/X.py ...`` command in the README, docs/ and the benches' docstrings."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "bench").glob("*.py"))]
    found = []
    for path in texts:
        for venv, bench, rest in re.findall(r"(\.venv-vllm/bin/)?python bench/(\w+)\.py([^`\n#]*)", path.read_text()):
            found.append((bench, bool(venv), frozenset(re.findall(r"--[\w-]+", rest))))
    return found


def test_every_documented_bench_command_is_smoke_tested() -> None:
    commands = documented_commands()
    assert {b for b, _, _ in commands} >= {"scoring", "labeling", "generation"}
    benches = {p.stem for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_")}
    assert benches == {bench for bench, _, _ in CASES.values()}, "a bench without a smoke test"
    for bench, venv, flags in commands:
        assert any(b == bench and v == venv and flags <= set(f) for b, v, f in CASES.values()), (
            f"no smoke test runs bench/{bench}.py with {sorted(flags)}{' in .venv-vllm' if venv else ''}")


# --- bench/scoring.py -------------------------------------------------------------------------------


def check_scoring(stdout: str, fig_path: Path, methods: set[str], agree: float) -> None:
    fig = json.loads(fig_path.read_text())
    assert set(fig["seconds"]) == set(fig["tokens_per_s"]) == methods
    for name in methods:
        positive(fig["seconds"][name], f"seconds[{name}]")
        positive(fig["tokens_per_s"][name], f"tokens_per_s[{name}]")
    for key in ("solution_tokens", "matmul_flops", "achieved_flops_nonembedding", "achieved_flops_all_params",
                "ratio_vs_per_prefix", "ratio_vs_unbatched", "fraction_of_matmul"):
        positive(fig[key], key)
    assert fig["solutions"] == 4
    ratios = printed_ratios(stdout)
    expected = {"hf / per-prefix", "hf / unbatched", "achieved / matmul FLOP/s"} | ({"vllm / hf"} if "vllm" in methods else set())
    assert set(ratios) == expected, stdout
    for name, value in ratios.items():
        positive(value, f"printed ratio {name}")
    assert math.isfinite(fig["max_abs_score_diff"]) and fig["max_abs_score_diff"] < agree
    if "vllm" in methods:
        positive(fig["ratio_vllm_vs_hf"], "ratio_vllm_vs_hf")
        assert math.isfinite(fig["max_abs_score_diff_vllm"]) and fig["max_abs_score_diff_vllm"] < 0.1
    else:
        assert "ratio_vllm_vs_hf" not in fig and "max_abs_score_diff_vllm" not in fig


def test_scoring_bench_in_chunks(scorer_dir: Path, tmp_path: Path) -> None:
    """``--limit 100 --chunk 25``, the README's command, which crashed after measuring without ``--vllm``."""
    out = run_bench("scoring.py", "--model", scorer_dir, "--limit", "4", "--chunk", "2", "--threads", "1",
                    "--json", tmp_path / "fig.json")
    check_scoring(out, tmp_path / "fig.json", {"hf", "unbatched", "per-prefix"}, agree=1e-4)


@pytest.mark.slow
def test_scoring_bench_compiled(scorer_dir: Path, tmp_path: Path) -> None:
    out = run_bench("scoring.py", "--model", scorer_dir, "--limit", "4", "--compile", "--threads", "1",
                    "--json", tmp_path / "fig.json")
    check_scoring(out, tmp_path / "fig.json", {"hf", "unbatched", "per-prefix"}, agree=1e-4)


@pytest.mark.gpu
def test_scoring_bench_on_cuda(scorer_dir: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    out = run_bench("scoring.py", "--model", scorer_dir, "--limit", "4", "--device", "cuda", "--dtype", "bfloat16",
                    "--json", tmp_path / "fig.json")
    check_scoring(out, tmp_path / "fig.json", {"hf", "unbatched", "per-prefix"}, agree=0.1)


@pytest.mark.slow
def test_scoring_bench_with_vllm(scorer_dir: Path, tmp_path: Path) -> None:
    python = vllm_python()
    out = run_bench("scoring.py", "--vllm", "--dtype", "bfloat16", "--model", scorer_dir, "--limit", "4",
                    "--chunk", "2", "--threads", "1", "--json", tmp_path / "fig.json", python=python)
    check_scoring(out, tmp_path / "fig.json", {"hf", "unbatched", "per-prefix", "vllm"}, agree=0.1)


# --- bench/labeling.py ------------------------------------------------------------------------------


def check_labeling(summary_path: Path, comparisons: list[str], solutions: int) -> dict[str, Any]:
    summary = json.loads(summary_path.read_text())
    assert [r["comparison"] for r in summary["results"]] == comparisons
    assert 0.0 <= summary["policy_accuracy"] <= 1.0 and summary["k"] >= 1
    for r in summary["results"]:
        assert r["solutions"] == solutions and r["wrong_solutions"] >= 1, r
        for key in ("mc_rollouts_per_solution", "bs_rollouts_per_solution", "rollout_ratio_bs_over_mc",
                    "mc_tokens_per_solution", "bs_tokens_per_solution"):
            positive(r[key], f"{r['comparison']}: {key}")
        for key in ("first_error_agreement", "first_error_agreement_wrong_only", "mc_labels_monotone"):
            assert 0.0 <= r[key] <= 1.0, (key, r)
    return summary


REPLAYED = [f"binary search ({s}) on MC's rollouts (same seeds)" for s in ("bisect", "gallop")]
FRESH = [f"binary search ({s}) on fresh rollouts (job seed + 1)" for s in ("bisect", "gallop")]


def test_labeling_bench_on_the_committed_dataset(tmp_path: Path) -> None:
    """The README's command as it is (it replays the dataset's rollouts: no model), and its figures."""
    run_bench("labeling.py", "--labelled", DATASET, "--out", tmp_path / "out", "--json", tmp_path / "summary.json")
    summary = check_labeling(tmp_path / "summary.json", REPLAYED, solutions=100)
    assert (tmp_path / "out" / "summary.json").read_text() == (tmp_path / "summary.json").read_text()
    bisect, gallop = summary["results"]
    assert (round(gallop["rollout_ratio_bs_over_mc"], 3), gallop["first_error_agreement"]) == (0.178, 1.0)
    assert (round(bisect["rollout_ratio_bs_over_mc"], 2), bisect["first_error_agreement"]) == (0.27, 0.86)


def test_labeling_bench_independent(policy_dir: Path, tmp_path: Path) -> None:
    """``--labelled ... --independent`` on the dataset's first two solutions, fresh rollouts from a tiny policy."""
    run_bench("labeling.py", "--labelled", DATASET, "--independent", "--limit", "2", "--policy", f"hf:{policy_dir}",
              "--max-tokens", "16", "--out", tmp_path / "out", "--json", tmp_path / "summary.json")
    summary = check_labeling(tmp_path / "summary.json", REPLAYED + FRESH, solutions=2)
    assert summary["policy"] == f"hf:{policy_dir}"


def test_labeling_bench_from_scratch(policy_dir: Path, tmp_path: Path, shared_data: Path) -> None:
    """``--policy ... --n ... --k ...``: a policy samples solutions, MC and binary search label them."""
    run_bench("labeling.py", "--policy", f"hf:{policy_dir}", "--n", "2", "--k", "2", "--max-tokens", "16",
              "--data", shared_data / "gsm8k" / "train.jsonl", "--out", tmp_path / "out",
              "--json", tmp_path / "summary.json")
    check_labeling(tmp_path / "summary.json", REPLAYED, solutions=2)


# --- bench/generation.py ----------------------------------------------------------------------------


def test_generation_bench(policy_dir: Path, tmp_path: Path, shared_data: Path) -> None:
    out = run_bench("generation.py", "--model", policy_dir, "--dtype", "bfloat16", "--requests", "2", "--n", "2",
                    "--max-tokens", "8", "--batch-size", "2,4", "--threads", "1", "--data",
                    shared_data / "gsm8k" / "train.jsonl", "--json", tmp_path / "fig.json")
    fig = json.loads((tmp_path / "fig.json").read_text())
    run = fig["runs"]["bfloat16"]
    assert [m["method"] for m in run["methods"]] == ["batched 2", "batched 4", "one-at-a-time"]
    for m in run["methods"]:
        assert m["samples"] == (4 if m["method"].startswith("batched") else 2), m
        positive(m["tokens"], m["method"])
        positive(m["tok_per_s"], m["method"])
    assert set(run["ratios_best_vs"]) == {"one-at-a-time"} and "llamacpp" not in fig
    positive(run["ratios_best_vs"]["one-at-a-time"], "best vs one-at-a-time")
    assert positive(run["prefill_sharing_factor"], "prefill sharing") >= 1.0
    assert all(positive(p, "prefill_s") for p in run["prefill_s"]) and len(run["prompt_tokens"]) == 2
    assert 0 <= run["identical_to_first"]["batched 4"] <= 4
    assert re.search(r"best: batched \d at [0-9.]+ tok/s, [0-9.]+x one-at-a-time", out), out


def test_generation_bench_prefix_cache(policy_dir: Path, tmp_path: Path, shared_data: Path) -> None:
    """``--prefix-cache``: the 3-step chain prefills fewer tokens with the cache and samples the same."""
    out = run_bench("generation.py", "--prefix-cache", "--model", policy_dir, "--dtype", "float32", "--requests", "2",
                    "--n", "2", "--max-tokens", "4", "--batch-size", "4", "--threads", "1", "--data",
                    shared_data / "gsm8k" / "train.jsonl", "--json", tmp_path / "fig.json")
    fig = json.loads((tmp_path / "fig.json").read_text())["prefix_cache"]["float32"]
    assert fig["prompt_tokens_on"] == fig["prompt_tokens_off"] == fig["prefill_tokens_off"]
    assert 0 < fig["prefill_tokens_on"] < fig["prefill_tokens_off"] / 2
    assert fig["identical_samples"] == fig["samples"] == 2 * 2 * 3
    ratios = printed_ratios(out)
    assert positive(ratios["prefill tokens off / on"], "prefill tokens") == pytest.approx(fig["ratio_prefill_tokens"], rel=0.01)
    positive(ratios["seconds off / on"], "seconds")


def test_search_bench(tmp_path: Path, scorer_dir: Path, policy_dir: Path) -> None:
    out = run_bench("search.py", "--policy", policy_dir, "--prm", "trl-prm", "--prm-model", scorer_dir,
                    "--problems", "2", "--n", "4", "--width", "2", "--iterations", "3", "--step-tokens", "12",
                    "--max-tokens", "24", "--json", tmp_path / "fig.json")
    fig = json.loads((tmp_path / "fig.json").read_text())
    for key in ("incremental_ratio", "rescoring_ratio", "batching_speedup", "distinct_tree_tokens"):
        positive(fig[key], key)
    assert fig["incremental_tokens"] < fig["rescoring_tokens"]
    assert fig["same_tree"] is True
    assert "ratio" in out and "speed-up" in out


# --- bench/serve.py ---------------------------------------------------------------------------------


def check_serve(stdout: str, fig_path: Path, requests: int, solutions: int) -> dict[str, Any]:
    fig = json.loads(fig_path.read_text())
    assert fig["errors"] == 0 and fig["score_mismatches"] == 0, fig
    assert fig["solutions"] == solutions and fig["concurrency"] == [1, 8, 64]
    assert set(fig["runs"]) == {"batched", "batch-of-one"}
    for mode, by_clients in fig["runs"].items():
        assert set(by_clients) == {"1", "8", "64"}
        for c, r in by_clients.items():
            assert r["answered"] == r["requests"] == requests and r["errors"] == 0, (mode, c, r)
            for key in ("seconds", "solutions_per_s", "p50_s", "p99_s"):
                positive(r[key], f"{mode} at {c}: {key}")
            assert r["p50_s"] <= r["p99_s"]
    for c, ratio in fig["ratios_batched_vs_batch_of_one"].items():
        positive(ratio["throughput"], f"throughput ratio at {c}")
        positive(ratio["p99"], f"p99 ratio at {c}")
    ratios = printed_ratios(stdout)
    assert set(ratios) == {f"batched / batch-of-one {what} at {c} clients" for what in ("throughput", "p99")
                           for c in (1, 8, 64)}, stdout
    for name, value in ratios.items():
        positive(value, f"printed ratio {name}")
    assert "note: target >= 5x throughput" in stdout
    return fig


def test_serve_bench_arith(tmp_path: Path) -> None:
    """Two real servers of the ``arith`` verifier: every answer a 200 with exactly the offline scores."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    out = run_bench("serve.py", "--prm", "arith", "--requests", "16", "--limit", "6", "--timeout", "300",
                    "--json", tmp_path / "fig.json")
    fig = check_serve(out, tmp_path / "fig.json", requests=16, solutions=6)
    assert fig["max_abs_score_diff"] == 0.0


@pytest.mark.slow
def test_serve_bench_tiny_model(scorer_dir: Path, tmp_path: Path) -> None:
    """Two real servers of a tiny token classifier (its head seeded and saved, so the servers and the bench
    load the same weights): scores within 1e-6 of offline scoring."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    torch.manual_seed(0)
    folder = tmp_path / "tiny-classifier"
    AutoModelForTokenClassification.from_pretrained(str(scorer_dir), num_labels=2).save_pretrained(str(folder))
    AutoTokenizer.from_pretrained(str(scorer_dir)).save_pretrained(str(folder))
    out = run_bench("serve.py", "--prm", "trl-prm", "--model", folder, "--dtype", "float32", "--limit", "3", "--requests", "8",
                    "--timeout", "500", "--json", tmp_path / "fig.json")
    fig = check_serve(out, tmp_path / "fig.json", requests=8, solutions=3)
    assert fig["max_abs_score_diff"] <= 1e-6


# --- bench/arith.py ---------------------------------------------------------------------------------


def test_arith_bench(tmp_path: Path) -> None:
    """Two sizes of every family: positive times, a ratio per family, and the adversarial steps past a limit."""
    out = run_bench("arith.py", "--sizes", "60,240", "--repeat", "1", "--json", tmp_path / "fig.json")
    fig = json.loads((tmp_path / "fig.json").read_text())
    assert fig["sizes"] == [60, 240] and len(fig["families"]) == 10
    for name, family in fig["families"].items():
        assert [r["n"] for r in family["rows"]] == [60, 240]
        for r in family["rows"]:
            positive(r["ns_per_char"], f"{name}: ns_per_char")
        assert family["rows"][0]["ratio_per_char_vs_shortest"] == 1.0
        if family["kind"] == "adversarial" and name != "unclosed-roots":
            assert family["detail"].startswith("limit "), (name, family["detail"])
    ratios = printed_ratios(out)
    assert set(ratios) == {f"{name} time per char at n=240 vs n=60" for name in fig["families"]}, out
    for name, value in ratios.items():
        positive(value, f"printed ratio {name}")
