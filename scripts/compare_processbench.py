"""Paired comparison of two ProcessBench runs of the same split: F1 of each and a bootstrap CI of B - A.

Reads the per-case files that ``prmkit eval processbench --out DIR`` writes
(``DIR/<split>.jsonl``: ``id``, ``label``, ``pred``) and resamples the cases
both runs scored, with replacement, the same cases for both (paired), so the
interval is that of the difference, not of two independent numbers::

    python scripts/compare_processbench.py runs/pb-a/gsm8k.jsonl runs/pb-b/gsm8k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def _cases(path: str) -> dict[str, tuple[int, int | None]]:
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out[str(r["id"])] = (int(r["label"]), r.get("pred"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from prmkit.evaluation.processbench import split_metrics

    a, b = _cases(args.a), _cases(args.b)
    ids = sorted(a.keys() & b.keys())
    if not ids:
        raise SystemExit("the two runs share no case")
    if any(a[i][0] != b[i][0] for i in ids):
        raise SystemExit("the runs disagree on gold labels: not the same split")

    def f1(run: dict[str, tuple[int, int | None]], pick: list[str]) -> float:
        return 100 * split_metrics([run[i][0] for i in pick], [run[i][1] for i in pick]).f1

    rng = random.Random(args.seed)
    diffs = sorted(f1(b, s) - f1(a, s) for s in ([rng.choice(ids) for _ in ids] for _ in range(args.resamples)))
    lo, hi = diffs[int(0.025 * len(diffs))], diffs[int(0.975 * len(diffs)) - 1]
    ma, mb = (split_metrics([r[i][0] for i in ids], [r[i][1] for i in ids]) for r in (a, b))
    print(json.dumps({
        "cases": len(ids),
        "a": {"error_acc": round(100 * ma.error_acc, 1), "correct_acc": round(100 * ma.correct_acc, 1), "f1": round(100 * ma.f1, 1)},
        "b": {"error_acc": round(100 * mb.error_acc, 1), "correct_acc": round(100 * mb.correct_acc, 1), "f1": round(100 * mb.f1, 1)},
        "b_minus_a": round(100 * (mb.f1 - ma.f1), 1),
        "ci95": [round(lo, 1), round(hi, 1)],
        "resamples": args.resamples,
    }))


if __name__ == "__main__":
    main()
