"""``prmkit eval bon``: Best-of-N accuracy vs N from a candidate set.

Scores come from ``--scores-from-file`` (step or outcome scores stored in the
candidate file) or from a PRM (``--prm``, default the embedded default PRM,
through the step-score cache). Selectors that read no scores (majority,
pass_at_n) alone need neither. Example (offline, seconds)::

    prmkit eval bon --candidates math_cot_100.jsonl --scores-from-file \\
        --aggregators sigmoid:last --out runs/bon

Judge selectors (``--selectors knockout,elo``) ask a pairwise judge (``--pairwise-backend``,
``--pairwise-model``, ``--pairwise-url``) about every pair of each problem's candidates once, stored in
``OUT/judge.jsonl`` (a rerun resumes it), and answer every subset's tournament from those verdicts;
see docs/pairwise.md.

When candidates are scored, ``bon.json`` also holds a ``lessons`` block
(:mod:`prmkit.evaluation.lessons`): the share of solutions whose minimum step
score is on the last step, and score against solution length and step position.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.errors import PRMKitError
from prmkit.evaluation.config import BonRunConfig

__all__ = ["add_parser", "main"]

def add_parser(subparsers: Any) -> None:
    """Register ``bon`` on the subparsers of the ``eval`` command."""
    p = subparsers.add_parser(
        "bon",
        help="Best-of-N accuracy vs N with bootstrap intervals",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_dataclass_arguments(p, BonRunConfig)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``eval bon``; returns the exit code (2 on a usage or data error)."""
    try:
        return _run(args)
    except PRMKitError as e:
        print(f"prmkit: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from prmkit.data import check_output_dir, check_output_file, lock_output
    from prmkit.search.select import Selector

    run_cfg = config_from_args(BonRunConfig, args)
    for s in run_cfg.selectors:  # a bad selector name fails before the output is touched
        Selector.parse(s)
    with ExitStack() as held:  # checked and locked before any work: a folder that cannot be written loses nothing
        if run_cfg.out:
            held.enter_context(lock_output(check_output_dir(run_cfg.out), folder=True))
        if run_cfg.save_scored:
            held.enter_context(lock_output(check_output_file(run_cfg.save_scored), folder=False))
        return _run_locked(run_cfg)


def _run_locked(run_cfg: BonRunConfig) -> int:
    from tqdm import tqdm

    from prmkit.data import check_output_dir
    from prmkit.data.candidates import load_candidates, write_candidates
    from prmkit.errors import ConfigError
    from prmkit.evaluation import format_comparisons, format_table, score_candidates
    from prmkit.evaluation.bon import evaluate_bon
    from prmkit.evaluation.lessons import candidate_lessons
    from prmkit.scoring.combine import decision_threshold
    from prmkit.search.aggregate import Aggregator
    from prmkit.search.select import Selector

    selectors = [Selector.parse(s) for s in run_cfg.selectors]
    cfg = run_cfg.bon
    aggregators = list(run_cfg.aggregators)
    cset = load_candidates(run_cfg.candidates, run_cfg.format, answer_style=run_cfg.answer_style)
    judged = [s.kind for s in selectors if s.spec.uses_judge]
    bon_judge = None
    if judged:
        _, n_max = cset.n_range
        if n_max > run_cfg.pairwise.max_n and max(cfg.ns or (n_max,)) > 1:
            raise ConfigError(
                f"{', '.join(judged)}: every pair of a problem's candidates is judged and a problem has {n_max} "
                f"candidates, more than --pairwise-max-n {run_cfg.pairwise.max_n} (C(n, 2) x 2 judge generations "
                "per problem); raise --pairwise-max-n or give fewer candidates"
            )
        if not run_cfg.out:
            print("warning: no --out: the judge's verdicts are kept in memory only (no resume)", file=sys.stderr)
        bon_judge = run_cfg.pairwise.load(str(check_output_dir(run_cfg.out) / "judge.jsonl") if run_cfg.out else None)
    source = "none"
    threshold = 0.5  # the PRM's own decision threshold where a PRM scores (lessons' step metrics)
    if run_cfg.scores_from_file:
        source = "file"
        missing = sum(c.step_scores is None for p in cset.problems for c in p.candidates)
        if missing:
            print(
                f"warning: {missing} candidates have no scores in the file (treated as unscored)",
                file=sys.stderr,
            )
    elif run_cfg.scorer.prm or run_cfg.save_scored or any(s.spec.uses_scores for s in selectors):
        source = f"PRM {run_cfg.scorer.name}"
        scorer = run_cfg.scorer.load()
        threshold = decision_threshold(scorer)
        total = sum(len(p.candidates) for p in cset.problems)
        with tqdm(
            total=total, desc="scoring", unit="sol", file=sys.stderr, disable=run_cfg.quiet
        ) as bar:
            cset = score_candidates(cset, scorer, batch_size=run_cfg.batch_size, progress=bar.update)
        failed = sum(c.score_failure is not None for p in cset.problems for c in p.candidates)
        if failed:
            print(
                f"warning: {failed} of {total} candidates could not be scored (treated as unscored)",
                file=sys.stderr,
            )
    if run_cfg.save_scored:
        write_candidates(cset, run_cfg.save_scored)
    with tqdm(
        total=len(cset.problems),
        desc="evaluating",
        unit="problem",
        file=sys.stderr,
        disable=run_cfg.quiet,
    ) as bar:
        result = evaluate_bon(cset, selectors, aggregators, cfg, progress=bar.update, judge=bon_judge)
    baseline = (
        Selector.parse(run_cfg.baseline)
        if run_cfg.baseline
        else next((s for s in selectors if s.kind == "majority"), None)
    )
    unscored = sorted({r.aggregator for r in result.rows if r.aggregator and r.scored == 0})
    comparisons = []
    if baseline is not None:
        for s in selectors:
            if s.name == baseline.name or s.spec.uses_correct:
                continue
            scored = s.spec.uses_scores or baseline.spec.uses_scores
            for agg in aggregators if scored else aggregators[:1]:
                if scored and Aggregator.parse(agg).name in unscored:
                    continue  # nothing to compare: no scores under this aggregator
                comparisons += result.compare(s.name, baseline.name, agg)
    lo, hi = cset.n_range
    size = f"{lo}" if lo == hi else f"{lo}-{hi}"
    print(
        f"{Path(run_cfg.candidates).name}: {len(cset.problems)} problems x {size} candidates; scores: {source}; "
        f"subsets per N: all if <= {cfg.n_subsets} else {cfg.n_subsets} random (seed {cfg.seed}); "
        + (f"{cfg.n_bootstrap} bootstrap resamples" if cfg.n_bootstrap else "no bootstrap, so no intervals")
    )
    if unscored:
        print(f"warning: no candidate has a score under {', '.join(unscored)}: score-based selectors had "
              "no scores (shown as 'no scores'; their choice would be only the tie-break)", file=sys.stderr)
    print(format_table(result))
    if bon_judge is not None:
        j = _judge_summary(bon_judge, run_cfg)
        print(f"judge {j['judge']}: {j['generated']} generations this run ({j['generated_tokens']:,} tokens), "
              f"{j['memo']} in the memo")
    if comparisons and baseline is not None:
        print(f"\npaired differences against {baseline.name} (percentage points)")
        print(format_comparisons(comparisons, cfg.confidence, intervals=cfg.n_bootstrap > 0))
    if run_cfg.out:
        outdir = check_output_dir(run_cfg.out)
        doc = {"candidates": str(run_cfg.candidates), "scores": source, **result.to_json(comparisons)}
        if bon_judge is not None:
            doc["judge"] = _judge_summary(bon_judge, run_cfg)
        if source != "none":
            doc["lessons"] = candidate_lessons(cset, threshold=threshold)
        (outdir / "bon.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        wrote = [str(outdir / "bon.json")]
        if run_cfg.plot:
            from prmkit.errors import MissingExtraError
            from prmkit.evaluation.plot import plot_accuracy_vs_n

            try:
                wrote += [str(p) for p in plot_accuracy_vs_n(result, outdir / "accuracy_vs_n")]
            except MissingExtraError as e:
                print(f"warning: plot skipped: {e}", file=sys.stderr)
        print(f"wrote {', '.join(wrote)}", file=sys.stderr)
    return 0


def _judge_summary(bon_judge: Any, run_cfg: BonRunConfig) -> dict[str, Any]:
    j = bon_judge.judge
    return {
        "judge": f"{run_cfg.pairwise.backend}:{run_cfg.pairwise.model}",
        "max_tokens": j.max_tokens,
        "seed": j.seed,
        "generated": j.generated,
        "generated_tokens": j.generated_tokens,
        "generate_calls": j.calls,
        "memo": len(j.memo),
        "memo_tokens": sum(s.n_tokens for s in j.memo.values()),
    }


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry, ``python -m prmkit.cli._bon eval bon ...``; ``prmkit eval bon`` is the same parser."""
    parser = argparse.ArgumentParser(prog="prmkit")
    ev = parser.add_subparsers(dest="command", required=True).add_parser(
        "eval", help="evaluate PRMs"
    )
    add_parser(ev.add_subparsers(dest="benchmark", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
