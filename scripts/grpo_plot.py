"""Plot and tabulate GRPO runs (scripts/grpo_gsm8k.py): reward and held-out accuracy against step per arm.

``summary`` collects the runs' logs into one small JSONL (the last record per arm, kind and step), which
is committed; ``plot`` draws ``docs/img/grpo.png`` from it and prints a markdown table::

    python scripts/grpo_plot.py summary /work/runs/grpo/outcome /work/runs/grpo/outcome+prm \\
        --out docs/img/grpo_summary.jsonl --max-step 50
    python scripts/grpo_plot.py plot docs/img/grpo_summary.jsonl --png docs/img/grpo.png
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grpo_callbacks import read_log


def summary(runs: Sequence[Path], out: Path, max_step: int | None = None) -> None:
    """The runs' records (up to ``max_step``: arms compared at the same step) into one JSONL."""
    recs = [r for run in runs for r in read_log(run / "log.jsonl") if max_step is None or r["step"] <= max_step]
    out.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")


def _mean(xs: Sequence[float | None]) -> float:
    v = [x for x in xs if x is not None]
    return sum(v) / len(v) if v else float("nan")


def smooth(xs: Sequence[float | None], k: int) -> list[float]:
    """Trailing mean over the last ``k`` values (None ignored)."""
    return [_mean(xs[max(0, i - k + 1) : i + 1]) for i in range(len(xs))]


def table(recs: list[dict[str, Any]], window: int = 25) -> str:
    """Per arm: steps done, s/step, and means of the first and last ``window`` steps; held-out accuracy."""
    lines = [f"| arm | steps | s/step | outcome acc (first → last {window}) | PRM reward (first → last) | KL (last) "
             "| completion tokens (last) | held-out acc (step 0 → last eval) |",
             "|---|---|---|---|---|---|---|---|"]
    for arm in sorted({r["arm"] for r in recs}):
        tr = [r for r in recs if r["arm"] == arm and r["kind"] == "train"]
        ev = [r for r in recs if r["arm"] == arm and r["kind"] == "eval"]
        if not tr:
            continue
        a, b = tr[:window], tr[-window:]

        def m(rs: list[dict[str, Any]], f: str) -> float:
            return _mean([r.get(f) for r in rs])

        held = f"{ev[0]['accuracy']:.3f} → {ev[-1]['accuracy']:.3f} (step {ev[-1]['step']}, n={ev[-1]['n']})" if ev else "-"
        lines.append(f"| {arm} | {tr[-1]['step']} | {m(tr, 'step_time'):.1f} | {m(a, 'accuracy'):.3f} → "
                     f"{m(b, 'accuracy'):.3f} | {m(a, 'prm_reward'):+.3f} → {m(b, 'prm_reward'):+.3f} | "
                     f"{m(b, 'kl'):.4f} | {m(b, 'completion_length'):.0f} | {held} |")
    return "\n".join(lines)


def plot(recs: list[dict[str, Any]], png: Path, window: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for arm in sorted({r["arm"] for r in recs}):
        tr = [r for r in recs if r["arm"] == arm and r["kind"] == "train"]
        ev = [r for r in recs if r["arm"] == arm and r["kind"] == "eval"]
        steps = [r["step"] for r in tr]
        axes[0].plot(steps, smooth([r["accuracy"] for r in tr], window), label=arm)
        axes[1].plot(steps, smooth([r["prm_reward"] for r in tr], window), label=arm)
        axes[2].plot([r["step"] for r in ev], [r["accuracy"] for r in ev], marker="o", label=arm)
    titles = (f"train outcome accuracy (mean of {window} steps)", f"PRM min-form reward (mean of {window} steps)",
              "held-out accuracy (greedy)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("GRPO step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summary")
    s.add_argument("runs", nargs="+", type=Path)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--max-step", type=int, help="keep steps up to this one (compare the arms at one step)")
    q = sub.add_parser("plot")
    q.add_argument("summary", type=Path)
    q.add_argument("--png", type=Path, default=Path("docs/img/grpo.png"))
    args = p.parse_args(argv)
    if args.cmd == "summary":
        summary(args.runs, args.out, args.max_step)
        return
    recs = [json.loads(line) for line in args.summary.read_text(encoding="utf-8").splitlines() if line.strip()]
    plot(recs, args.png)
    print(table(recs))


if __name__ == "__main__":
    main()
