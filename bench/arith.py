"""Time per claim of the ``arith`` verifier against claim length, for normal and adversarial claims.

Each family builds a step from a size ``n`` (terms, claims or nesting levels) for every ``--sizes``; the
bench checks it ``--repeat`` times (the fastest run counts, in CPU seconds of this process, so other
work on a shared machine does not distort the ratios) and prints the characters, claims, time per
step, per claim and per character, and the ratio of the time per character to the shortest size's in the
same run: about 1x when the time is linear in the length, ``4x`` per 4x of length if it were quadratic.
Adversarial families are the failure classes of the verifier's limits (a sum of fractions with big
powers, deep nesting, literals past Python's int-string limit, claims past ``max_tokens``); they end as
``skip`` verdicts naming the limit, and the bench prints the first one's detail.

    python bench/arith.py                                   # sizes 50,200,800,3200
    python bench/arith.py --sizes 100,400 --repeat 3 --json fig.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from prmkit.scoring.arith import check_step


def _primes(n: int) -> list[int]:
    out: list[int] = []
    k = 2
    while len(out) < n:
        if all(k % p for p in out if p * p <= k):
            out.append(k)
        k += 1
    return out


FAMILIES: dict[str, tuple[str, Callable[[int], str]]] = {
    "sum": (
        "normal",
        lambda n: " + ".join(str(10 + i % 90) for i in range(max(2, n // 8))) + " = 1",
    ),
    "claims": (
        "normal",
        lambda n: " ".join(f"{i % 9} + 1{i % 9} = 1{2 * (i % 9)}," for i in range(n)),
    ),
    "latex": (
        "normal",
        lambda n: " and ".join([r"\(\frac{3}{4} \cdot \frac{2}{5} = \frac{3}{10}\)"] * n),
    ),
    "percent": ("normal", lambda n: " ".join(["20% of $50 = $10, and 1/4 = 25%."] * n)),
    "big-fractions": (
        "adversarial",
        lambda n: " + ".join(f"1/{p}^{{200}}" for p in _primes(n)) + " = 1",
    ),
    "long-claim": ("adversarial", lambda n: " + ".join(["1"] * (4 * n)) + " = 5"),
    "nesting": ("adversarial", lambda n: "(" * n + "1" + ")" * n + " = 1"),
    "latex-nesting": ("adversarial", lambda n: "\\frac{" * n + "1" + "}{2}" * n + " = 3"),
    "huge-literals": (
        "adversarial",
        lambda n: " ".join(["1" * 5000 + " + 1 = 2."] * max(1, n // 50)),
    ),
    "unclosed-roots": ("adversarial", lambda n: r"\sqrt[" * (10 * n) + " 1 + 1 = 2"),
}


def measure(text: str, repeat: int) -> tuple[float, list[str]]:
    best, details = float("inf"), []
    for _ in range(repeat):
        t0 = time.process_time()
        claims = check_step(text)
        best = min(best, time.process_time() - t0)
        details = [
            c.detail for c in claims if c.verdict == "skip" and c.detail.startswith("limit ")
        ]
    return best, details if details else [f"{len(claims)} claims, none past a limit"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default="50,200,800,3200", help="comma-separated sizes n, shortest first"
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per step; the fastest counts")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    fig: dict[str, dict[str, object]] = {}
    print(
        f"{'family':<15} {'kind':<12} {'n':>6} {'chars':>9} {'claims':>7} {'ms/step':>9} {'us/claim':>9} "
        f"{'ns/char':>8} {'vs n0':>6}"
    )
    for name, (kind, make) in FAMILIES.items():
        rows = []
        for n in sizes:
            text = make(n)
            seconds, details = measure(text, args.repeat)
            claims = len(check_step(text))
            rows.append(
                {
                    "n": n,
                    "chars": len(text),
                    "claims": claims,
                    "seconds": seconds,
                    "us_per_claim": 1e6 * seconds / max(claims, 1),
                    "ns_per_char": 1e9 * seconds / len(text),
                }
            )
        base = rows[0]["ns_per_char"]
        for r in rows:
            r["ratio_per_char_vs_shortest"] = r["ns_per_char"] / base
            print(
                f"{name:<15} {kind:<12} {r['n']:>6} {r['chars']:>9} {r['claims']:>7} {1e3 * r['seconds']:>9.2f} "
                f"{r['us_per_claim']:>9.1f} {r['ns_per_char']:>8.1f} {r['ratio_per_char_vs_shortest']:>5.2f}x"
            )
        print(f"  {details[0][:110]}")
        fig[name] = {"kind": kind, "rows": rows, "detail": details[0]}
    for name, f in fig.items():
        rows = f["rows"]
        assert isinstance(rows, list)
        last = rows[-1]
        print(
            f"ratio {name} time per char at n={last['n']} vs n={rows[0]['n']}: "
            f"{last['ratio_per_char_vs_shortest']:.2f}x"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"sizes": sizes, "repeat": args.repeat, "families": fig}, indent=1)
        )


if __name__ == "__main__":
    main()
