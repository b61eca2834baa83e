"""The long fuzz run of every loader: ``python scripts/fuzz.py [--cases N] [--state FILE]``.

Draws files with the suite's strategies (``tests/fuzz/_fuzz_strategies.py``) and checks each loader with
the suite's property (``tests/fuzz/_fuzz_loaders.py``: a well-formed result or a typed error naming the
file; valid files load and round-trip). ``--cases`` (default 100,000) is split evenly over the loaders and
run in chunks of ``--chunk`` cases, each chunk with its own seed; after every chunk the counts go to
``--state`` (JSON), and a rerun with the same state file goes on from the next chunk. Prints, per
loader, the cases run, how many loaded (valid) and how many were refused with a typed error, and
every escaped exception with the file that caused it (hypothesis's shrunk reproducer). Exits 1 if
anything escaped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "fuzz")]

from _fuzz_loaders import LOADERS, Loader, run_case  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def run_chunk(loader: Loader, n: int, chunk_seed: int, counts: dict[str, int]) -> str | None:
    """``n`` cases of ``loader``; counts ``valid`` / ``typed`` into ``counts``; the escape, if any, as text."""

    @seed(chunk_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              print_blob=True)
    @given(st.data())
    def one(data: st.DataObject) -> None:
        contents, records = data.draw(loader.files, label="file")
        with tempfile.TemporaryDirectory() as tmp:
            outcome = run_case(loader, contents, records, Path(tmp))
        counts[outcome] = counts.get(outcome, 0) + 1

    try:
        one()
    except Exception as e:
        notes = "\n".join(getattr(e, "__notes__", []))
        return "".join(traceback.format_exception_only(type(e), e))[-4000:] + notes[-4000:]
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000, help="cases in all, split evenly over the loaders")
    ap.add_argument("--chunk", type=int, default=1_000, help="cases per chunk (one seed, one state save)")
    ap.add_argument("--state", type=Path, default=None, help="JSON file of the counts so far; a rerun resumes")
    ap.add_argument("--only", nargs="*", default=None, help="loader names (default: all)")
    args = ap.parse_args(argv)
    loaders = [x for x in LOADERS if args.only is None or x.name in args.only]
    per_loader = -(-args.cases // len(loaders))
    state: dict[str, dict[str, Any]] = {}
    if args.state is not None and args.state.exists():
        state = json.loads(args.state.read_text())
    t0 = time.monotonic()
    for i, loader in enumerate(loaders):
        s = state.setdefault(loader.name, {"chunks": 0, "valid": 0, "typed": 0, "escaped": []})
        while s["chunks"] * args.chunk < per_loader:
            counts: dict[str, int] = {}
            n = min(args.chunk, per_loader - s["chunks"] * args.chunk)
            escaped = run_chunk(loader, n, 1_000 * i + s["chunks"], counts)
            s["valid"] += counts.get("valid", 0)
            s["typed"] += counts.get("typed", 0)
            s["chunks"] += 1
            if escaped is not None:
                s["escaped"].append(escaped)
                print(f"{loader.name}: ESCAPED\n{escaped}", flush=True)
            if args.state is not None:
                args.state.write_text(json.dumps(state, indent=1))
        print(f"{loader.name:28s} cases {s['valid'] + s['typed']:7d}  valid {s['valid']:6d}  "
              f"typed errors {s['typed']:6d}  escaped {len(s['escaped'])}", flush=True)
    total = sum(s["valid"] + s["typed"] for s in state.values())
    escapes = sum(len(s["escaped"]) for s in state.values())
    print(f"total cases {total}, escaped {escapes}, {time.monotonic() - t0:.0f} s this run")
    return 1 if escapes else 0


if __name__ == "__main__":
    sys.exit(main())
