"""``prmkit search`` as a function: load the problems, the policy and the PRM of a :class:`SearchConfig`, run.

The policy's generated tokens and the PRM's computed tokens are turned into
FLOPs with the models' parameter counts (embeddings included, as
``num_parameters()`` counts them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from prmkit.data import read_problems
from prmkit.runtime import LocalRunner
from prmkit.scoring import Scorer, load_prm
from prmkit.scoring.calibration import load_calibrator
from prmkit.scoring.combine import Combined
from prmkit.scoring.incremental import incremental
from prmkit.search.adaptive import Calibration, default_calibration
from prmkit.search.config import SearchConfig
from prmkit.search.live import SearchRun, run_search

__all__ = ["load_calibration", "load_scorer", "parameters", "search_job"]


def load_scorer(cfg: SearchConfig) -> tuple[Scorer, str | None]:
    """The PRM of ``cfg`` (made incremental where it can be, unless ``incremental`` is off) and, when it
    could not be made incremental, why."""
    sc = cfg.scorer
    options = {k: getattr(sc, k) for k in ("model", "dtype", "device", "max_length") if getattr(sc, k) is not None}
    scorer = load_prm(sc.name, backend=sc.backend, **options)
    why: str | None = "turned off (--no-incremental)"
    if cfg.incremental:
        scorer, why = incremental(scorer)
    return sc.cached(scorer), why


def load_calibration(path: str) -> Any:
    """A search :class:`Calibration` file, or a calibrator written by ``prmkit eval calibration``."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    return load_calibrator(path) if isinstance(doc, dict) and "kind" in doc else Calibration.load(path)


def parameters(obj: Any) -> int | None:
    """Parameters of a generator's or scorer's model(s) (a combination: its members' sum); None without a model."""
    if isinstance(obj, Combined):
        return sum(parameters(m) or 0 for m in obj.scorers)
    inner = getattr(obj, "scorer", None)  # a wrapper (incremental, cached) around a scorer
    if inner is not None:
        return parameters(inner)
    models = [m for m in (getattr(obj, "models", None) or [getattr(obj, "model", None)]) if m is not None]
    if not models or not all(hasattr(m, "num_parameters") for m in models):
        return None
    return int(sum(m.num_parameters() for m in models))


def search_job(cfg: SearchConfig, *, on_result: Callable[[dict[str, Any]], object] | None = None) -> SearchRun:
    """Run ``cfg``'s search (resuming its ``out`` directory)."""
    problems = read_problems(cfg.problems)
    if cfg.limit is not None:
        problems = problems[: cfg.limit]
    method = cfg.search()
    scorer, _why = load_scorer(cfg)
    generator = cfg.policy.generator_factory(batch_size=cfg.batch_size)()
    calibration = load_calibration(cfg.calibration) if cfg.calibration else default_calibration(cfg.scorer.name)
    identity = {"policy": cfg.policy.identity, "prm": scorer.identity}
    return run_search(
        problems, method, LocalRunner(generator, batch_size=cfg.batch_size), scorer, cfg.out,
        sampling=cfg.sampling, grader=cfg.policy.grader(), seed=cfg.seed, calibration=calibration,
        identity=identity, policy_params=parameters(generator), prm_params=parameters(scorer),
        max_active=cfg.max_active, on_result=on_result,
    )
