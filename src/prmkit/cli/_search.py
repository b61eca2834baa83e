"""``prmkit search``, ``prmkit search-compare`` and ``prmkit search-calibrate``: live test-time search.

>>> import argparse
>>> from prmkit.cli._config_args import config_from_args
>>> parser = argparse.ArgumentParser(prog="prmkit")
>>> add_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["search", "--method", "dvts", "--problems", "p.jsonl", "--out", "runs/s",
...                           "--n", "8", "--prm", "prmkit-prm"])
>>> cfg = config_from_args(SearchConfig, args)
>>> cfg.method, cfg.n, cfg.scorer.prm, cfg.policy.model
('dvts', 8, 'prmkit-prm', 'qwen2.5-coder-0.5b-instruct')
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from prmkit.cli._config_args import add_dataclass_arguments, config_from_args
from prmkit.cli._label import stoppable
from prmkit.data import check_output_dir, check_output_file, lock_output
from prmkit.errors import ConfigError
from prmkit.search.compare_config import CompareConfig
from prmkit.search.config import CalibrateConfig, SearchConfig

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register the search commands on an argparse subparsers object."""
    run = subparsers.add_parser(
        "search", help="search problems with a live policy guided by a PRM (beam, dvts, particle, ...; resumable)",
        description="Run a test-time search on every problem: the policy writes steps, the PRM scores them, the "
                    "method keeps, prunes or resamples. The --out folder is the state: rerun to resume.")
    add_dataclass_arguments(run, SearchConfig)
    run.set_defaults(func=_run)
    cmp = subparsers.add_parser(
        "search-compare", help="run several search methods and budgets on one problem set; table and plot",
        description="One resumable run per (method, N) under --out, then accuracy with 95 %% intervals against "
                    "compute: compare.md, compare.json and compare.png.")
    add_dataclass_arguments(cmp, CompareConfig)
    cmp.set_defaults(func=_compare)
    cal = subparsers.add_parser(
        "search-calibrate", help="fit a PRM's score -> success-probability map on Monte Carlo labels",
        description="Score every prefix of a Monte Carlo labelled JSONL(.gz) with the PRM and fit the monotone "
                    "calibration the adaptive search reads.")
    add_dataclass_arguments(cal, CalibrateConfig)
    cal.set_defaults(func=_calibrate)


def _search(cfg: SearchConfig) -> dict[str, Any]:
    from tqdm import tqdm

    from prmkit.search.job import search_job

    check_output_dir(cfg.out)  # before the policy and the PRM are loaded
    with lock_output(cfg.out, folder=True), stoppable(), tqdm(desc=f"search {cfg.method} n={cfg.n}", file=sys.stderr) as bar:
        run = search_job(cfg, on_result=lambda _: bar.update(1))
    done = [r for r in run.results if "failed" not in r and r]
    return {"method": cfg.method, "n": cfg.n, "problems": len(run.results), "failed": len(run.results) - len(done),
            "accuracy": sum(bool(r.get("correct")) for r in done) / max(1, len(done)),
            "restarts": sum(r["restarts"] for r in done), "continuations": sum(r["continuations"] for r in done),
            "generated": run.stats.generated, "reused": run.stats.reused, "out": cfg.out}


def _run(args: argparse.Namespace) -> int:
    print(json.dumps(_search(config_from_args(SearchConfig, args))))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from prmkit.evaluation.search import (
        common_ids,
        comparison_lines,
        format_table,
        majority_curve,
        plot_compute,
        summarize,
    )

    cfg = config_from_args(CompareConfig, args)
    runs = cfg.runs()
    if cfg.report_only:
        missing = [r.out for r in runs if not (Path(r.out) / "results.jsonl").is_file()]
        if missing:
            raise ConfigError(f"--report-only: no search results in {', '.join(missing)}")
    else:
        for run in runs:
            check_output_dir(run.out)
        for run in runs:
            print(json.dumps(_search(run)), file=sys.stderr)
    dirs = [r.out for r in runs]
    if "bon" in cfg.methods:
        dirs = _largest_pool(dirs, Path(cfg.run.out))
    ids = common_ids(dirs)
    if not ids:
        counts = ", ".join(f"{d}: {len(common_ids([d]))}" for d in dirs)
        raise ConfigError(f"no problem was finished by every run (finished: {counts})")
    rows = summarize(dirs, ids=ids)
    pools = [d for d in dirs if _is_pool(d)]
    curve = majority_curve(pools[-1], ids) if pools else []
    lines = [f"The {len(ids)} problems every run finished.", "", format_table(rows), "",
             *comparison_lines(rows, ids, curve)]
    out = Path(cfg.run.out)
    (out / "compare.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "compare.json").write_text(json.dumps([r.record() for r in rows], indent=1), encoding="utf-8")
    plot_compute(rows, out / "compare", formats=("png",), curve=curve)
    print("\n".join(lines))
    return 0


def _is_pool(directory: str | Path) -> bool:
    return Path(directory).name.startswith("bon-n")


def _largest_pool(dirs: list[str], out: Path) -> list[str]:
    """``dirs`` with the Best-of-N run replaced by the largest pool under ``out`` that loses none of the problems
    the comparison would cover with it: the pools are nested (a pool of 8 holds the pool of 4), so the larger
    one gives the same votes at every smaller N and majority vote at more compute to match the searches against."""
    from prmkit.evaluation.search import common_ids

    need = set(common_ids(dirs))  # the other runs finished these too, so the pool alone decides
    pools = sorted(
        (int(p.name[5:]), p) for p in out.glob("bon-n*") if p.name[5:].isdigit() and (p / "results.jsonl").is_file()
    )
    for _, pool in reversed(pools):
        if need <= set(common_ids([pool])):
            return [str(pool) if _is_pool(d) else d for d in dirs]
    return dirs


def _calibrate(args: argparse.Namespace) -> int:
    from prmkit.search.calibrate import calibration_points, fit_calibration

    cfg = config_from_args(CalibrateConfig, args)
    check_output_file(cfg.out)
    cal = fit_calibration(calibration_points(cfg.labelled), cfg.scorer.load())
    cal.save(cfg.out)
    print(json.dumps({"blocks": len(cal.edges), "out": cfg.out}))
    return 0
