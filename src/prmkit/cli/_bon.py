"""``prmkit eval bon``: Best-of-N accuracy vs N from a candidate set.

Example (offline, seconds)::

    prmkit eval bon --candidates math_cot_100.jsonl --scores-from-file \\
        --aggregators sigmoid:last --out runs/bon
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from prmkit.errors import ConfigError, PRMKitError

__all__ = ["add_parser", "main"]

ALL_SELECTORS = "best_of_n,majority,weighted_sum,weighted_max,hmrv,wrfv,pass_at_n"
SCORE_FREE = "majority,pass_at_n"


def _eval_group(subparsers: Any) -> Any:
    """The ``eval`` command's sub-command action, created on first use and shared by other ``eval`` commands."""
    existing = subparsers.choices.get("eval")
    if existing is None:
        existing = subparsers.add_parser("eval", help="evaluate PRMs (Best-of-N, benchmarks)")
    for action in existing._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return existing.add_subparsers(dest="eval_command", required=True)


def add_parser(subparsers: Any) -> None:
    """Register ``eval bon`` on the top-level sub-command action."""
    p = _eval_group(subparsers).add_parser(
        "bon",
        help="Best-of-N accuracy vs N with bootstrap intervals",
        description="Accuracy vs N of answer selectors over a candidate set (problems x N sampled solutions).",
    )
    src = p.add_argument_group("candidates")
    src.add_argument("--candidates", required=True, help="candidate file: prmkit JSONL (docs/candidates.md), Qwen2.5-Math math_cot or GSM8K example solutions")
    src.add_argument("--format", default="auto", choices=["auto", "prmkit", "math_cot", "gsm8k_examples"], help="candidate file format (default: detect)")
    src.add_argument("--answer-style", default="auto", choices=["auto", "boxed", "gsm8k", "choice"], help="where to find answers in text without a given answer")
    sc = p.add_argument_group("scores (pick one; without either only majority and pass_at_n run)")
    sc.add_argument("--prm", help="score every candidate with this catalogued PRM")
    sc.add_argument("--model", help="weights for --prm: a local path or hub id overriding the catalogue's")
    sc.add_argument("--backend", help="scoring backend for --prm (default: the PRM's own)")
    sc.add_argument("--batch-size", type=int, default=16, help="solutions per scoring call (default 16)")
    sc.add_argument("--scores-from-file", action="store_true", help="use the step (or outcome) scores stored in the candidate file")
    sc.add_argument("--save-scored", help="write the scored candidates here (prmkit JSONL) to reuse with --scores-from-file")
    ev = p.add_argument_group("evaluation")
    ev.add_argument("--selectors", help=f"comma-separated selectors, name[:param] (default with scores: {ALL_SELECTORS}; without: {SCORE_FREE})")
    ev.add_argument("--aggregators", default="last", help="comma-separated step-score aggregators [sigmoid:]rule[:window] (default: last)")
    ev.add_argument("--ns", help="comma-separated N values (default: 1, 2, 4, ... up to the candidates per problem)")
    ev.add_argument("--subsets", type=int, default=1000, help="random subsets per problem and N; all subsets when fewer exist (default 1000)")
    ev.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples over problems (default 2000)")
    ev.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the subsets and the bootstrap (default 0)")
    ev.add_argument("--timeout", type=float, default=5.0, help="seconds per math-verify answer comparison (default 5)")
    ev.add_argument("--baseline", help="compare every other selector with this one, paired (default: majority when run)")
    out = p.add_argument_group("output")
    out.add_argument("--out", help="directory for bon.json and accuracy_vs_n.png/.svg")
    out.add_argument("--no-plot", action="store_true", help="skip the plot")
    out.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _csv(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    """Run ``eval bon``; returns the exit code (2 on a usage or data error)."""
    try:
        return _run(args)
    except PRMKitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from prmkit.data.candidates import load_candidates, write_candidates
    from prmkit.evaluation._bon_report import format_comparisons, format_table
    from prmkit.evaluation._bon_scoring import score_candidates
    from prmkit.evaluation.bon import BonConfig, evaluate_bon
    from prmkit.search.select import Selector

    if args.prm and args.scores_from_file:
        raise ConfigError("give --prm or --scores-from-file, not both")
    has_scores = bool(args.prm or args.scores_from_file)
    selectors = [Selector.parse(s) for s in _csv(args.selectors or (ALL_SELECTORS if has_scores else SCORE_FREE))]
    needs = [s.name for s in selectors if s.spec.uses_scores]
    if needs and not has_scores:
        raise ConfigError(f"selectors {', '.join(needs)} need scores: pass --prm NAME or --scores-from-file")
    cset = load_candidates(args.candidates, args.format, answer_style=args.answer_style)
    if args.prm:
        from prmkit.scoring import load_prm

        options = {"model": args.model} if args.model else {}
        scorer = load_prm(args.prm, backend=args.backend, **options)
        total = sum(len(p.candidates) for p in cset.problems)
        with tqdm(total=total, desc="scoring", unit="sol", file=sys.stderr, disable=args.quiet) as bar:
            cset = score_candidates(cset, scorer, batch_size=args.batch_size, progress=bar.update)
        failed = sum(c.score_failure is not None for p in cset.problems for c in p.candidates)
        if failed:
            print(f"warning: {failed} of {total} candidates could not be scored (treated as unscored)", file=sys.stderr)
    elif args.scores_from_file:
        missing = sum(c.step_scores is None for p in cset.problems for c in p.candidates)
        if missing:
            print(f"warning: {missing} candidates have no scores in the file (treated as unscored)", file=sys.stderr)
    if args.save_scored:
        write_candidates(cset, args.save_scored)
    try:
        ns = tuple(int(n) for n in _csv(args.ns)) or None
    except ValueError:
        raise ConfigError(f"--ns must be comma-separated integers, got {args.ns!r}") from None
    cfg = BonConfig(ns, args.subsets, args.bootstrap, args.confidence, args.seed, args.timeout)
    with tqdm(total=len(cset.problems), desc="evaluating", unit="problem", file=sys.stderr, disable=args.quiet) as bar:
        result = evaluate_bon(cset, selectors, _csv(args.aggregators), cfg, progress=bar.update)
    baseline = Selector.parse(args.baseline) if args.baseline else next((s for s in selectors if s.kind == "majority"), None)
    comparisons = []
    if baseline is not None:
        others = [s for s in selectors if s.name != baseline.name and not s.spec.uses_correct]
        aggs = _csv(args.aggregators)
        for s in others:
            for agg in aggs if (s.spec.uses_scores or baseline.spec.uses_scores) else aggs[:1]:
                comparisons += result.compare(s.name, baseline.name, agg)
    lo, hi = cset.n_range
    size = f"{lo}" if lo == hi else f"{lo}-{hi}"
    print(f"{Path(args.candidates).name}: {len(cset.problems)} problems x {size} candidates; "
          f"scores: {'PRM ' + args.prm if args.prm else 'file' if args.scores_from_file else 'none'}; "
          f"subsets per N: all if <= {cfg.n_subsets} else {cfg.n_subsets} random (seed {cfg.seed}); "
          f"{cfg.n_bootstrap} bootstrap resamples")
    print(format_table(result))
    if comparisons:
        print()
        print(f"paired differences against {baseline.name if baseline else ''} (percentage points)")
        print(format_comparisons(comparisons, cfg.confidence))
    if args.out:
        outdir = Path(args.out)
        outdir.mkdir(parents=True, exist_ok=True)
        doc = result.to_json(comparisons)
        doc["candidates"] = str(args.candidates)
        doc["scores"] = f"prm:{args.prm}" if args.prm else "file" if args.scores_from_file else None
        (outdir / "bon.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        if not args.no_plot:
            from prmkit.evaluation.plot import plot_accuracy_vs_n

            plot_accuracy_vs_n(result, outdir / "accuracy_vs_n")
        print(f"\nwrote {outdir / 'bon.json'}" + ("" if args.no_plot else f", {outdir / 'accuracy_vs_n'}.png/.svg"), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m prmkit.cli._bon eval bon ...`` (the ``prmkit`` command wires the same parser)."""
    parser = argparse.ArgumentParser(prog="prmkit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
