"""How often the ``sympy`` verifier has a verdict on ProcessBench steps, and how often it is right.

A step's correctness is known up to the earliest wrong step: the steps before
``label`` are correct, the step at ``label`` is wrong, later steps are unknown
and not counted (with ``label == -1`` every step is correct). A step *has a
verdict* when at least one of its claims passed or failed; it is predicted
wrong when one failed. Prints one JSON object::

    python scripts/sympy_processbench.py ../shared/data/processbench/gsm8k.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from prmkit.data import load_processbench
from prmkit.scoring.symbolic import SympyOptions, check_steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="a ProcessBench split (JSON array)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases")
    ap.add_argument("--timeout-s", type=float, default=SympyOptions().timeout_s)
    ap.add_argument(
        "--show-fails", action="store_true", help="print every failed claim on a correct step"
    )
    args = ap.parse_args()

    cases = load_processbench(args.data)[: args.limit]
    opts = SympyOptions(timeout_s=args.timeout_s)
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    start = time.monotonic()
    for case in cases:
        known = len(case.steps) if case.label == -1 else case.label + 1
        for k, checks in enumerate(check_steps(case.problem, case.steps[:known], opts)):
            wrong = k == case.label
            counts["steps"] += 1
            counts["claims"] += len(checks)
            for c in checks:
                reasons[c.verdict + (": timeout" if c.reason == "timeout" else "")] += 1
            verdicts = {c.verdict for c in checks}
            if not verdicts & {"pass", "fail"}:
                continue
            counts["with_verdict"] += 1
            flagged = "fail" in verdicts
            counts["right"] += flagged == wrong
            counts["flagged"] += flagged
            counts["flagged_wrong"] += flagged and wrong
            counts["wrong_with_verdict"] += wrong
            if args.show_fails and flagged and not wrong:
                print(
                    case.id, k, [(c.left, c.right, c.reason) for c in checks if c.verdict == "fail"]
                )
    n = counts["with_verdict"]
    print(
        json.dumps(
            {
                "cases": len(cases),
                "labelled_steps": counts["steps"],
                "steps_with_verdict": n,
                "accuracy_on_those": round(counts["right"] / n, 3) if n else None,
                "flagged_wrong": counts["flagged"],
                "flag_precision": round(counts["flagged_wrong"] / counts["flagged"], 3)
                if counts["flagged"]
                else None,
                "wrong_steps_with_verdict": counts["wrong_with_verdict"],
                "claims": counts["claims"],
                "claim_verdicts": dict(sorted(reasons.items())),
                "seconds": round(time.monotonic() - start, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
