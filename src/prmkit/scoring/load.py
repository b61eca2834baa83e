"""Building scorers: a catalogued PRM name, a spec or a combination of names on a backend.

>>> load_prm("arith").info.identity.startswith("verifier:arith:")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prmkit._registry import Registry
from prmkit.errors import ConfigError
from prmkit.scoring._backend import Scorer, check_batch
from prmkit.scoring.catalog import SPECS, get_spec
from prmkit.scoring.combine import Combined, split_combination
from prmkit.scoring.readouts import get_readout
from prmkit.scoring.remote import is_remote
from prmkit.scoring.spec import PRMSpec
from prmkit.scoring.verifiers import DEFAULT_VERIFIER
from prmkit.types import ScoreResult, Solution

__all__ = ["BACKENDS", "load_prm", "parse_combination", "score"]

BACKENDS: Registry[Any] = Registry("backend")
"""Engine factories ``(spec, **options) -> Scorer``, imported only when used."""
BACKENDS.register("hf", "prmkit.scoring.hf:HFScorer")
BACKENDS.register("verifier", "prmkit.scoring.verifiers:build_verifier")
BACKENDS.register("vllm", "prmkit.scoring.vllm:VLLMScorer")
BACKENDS.register("remote", "prmkit.scoring.remote:RemoteScorer")
BACKENDS.register("judge", "prmkit.scoring.judges.build:build_judge")

JUDGE_OPTIONS = frozenset({"engine", "url", "samples", "seed", "generator", "threads"})
"""Options only the ``judge`` backend takes; a combination gives them to its judges alone."""


def load_prm(prm: str | PRMSpec, backend: str | None = None, **options: Any) -> Scorer:
    """Build a scorer for a catalogued PRM name (or a spec) on a backend.

    ``backend`` defaults to the readout's (``"verifier"`` for model-free
    verifiers, ``"hf"`` otherwise); ``options`` go to the backend (``model=`` a path or hub
    id overriding the spec's weights, ``dtype=``, ``device=``, ``max_length=``,
    ``batch_tokens=``). A name like ``"arith+qwen2.5-math-prm-7b"`` combines
    scorers with a per-step minimum (see :mod:`prmkit.scoring.combine`). A URL
    ``"http://host:port/NAME"`` is the PRM ``NAME`` served by ``prmkit serve``, on
    the ``remote`` backend (:mod:`prmkit.scoring.remote`; its options: ``api_key=``,
    ``timeout=``, ``batch_size=``); the server chooses weights, dtype and device.
    """
    verifier = options.pop("verifier_options", None) or {}
    if isinstance(prm, str) and is_remote(prm):
        if verifier:
            raise ConfigError(
                f"{prm!r} is a served PRM: its verifiers' options are the server's to choose"
            )
        if backend not in (None, "remote"):
            raise ConfigError(
                f"{prm!r} is a served PRM: it runs on the remote backend, not {backend!r}"
            )
        server_side = sorted(
            set(options) & ({"model", "dtype", "device", "max_length"} | JUDGE_OPTIONS)
        )
        if server_side:
            raise ConfigError(
                f"{prm!r} is a served PRM: {', '.join(server_side)} are the server's to choose"
            )
        remote: Scorer = BACKENDS.get("remote")(prm, **options)
        return remote
    if isinstance(prm, str) and ("+" in prm or "*" in prm) and prm not in SPECS:
        return parse_combination(prm, backend=backend, verifier_options=verifier, **options)
    spec = get_spec(prm) if isinstance(prm, str) else prm
    name = backend or get_readout(spec.readout).backend
    if verifier:
        if get_readout(spec.readout).runs_model:
            raise ConfigError(
                f"PRM {spec.name!r} is not a model-free verifier: it takes no verifier options"
            )
        _check_prefixes(verifier, {_verifier_name(spec)})
        options = {**options, **_verifier_options(spec, verifier)}
    if name != "judge" and set(options) & JUDGE_OPTIONS:
        given = ", ".join(sorted(set(options) & JUDGE_OPTIONS))
        raise ConfigError(
            f"PRM {spec.name!r} is not a generative judge: {given} are a judge's options"
        )
    factory = BACKENDS.get(name)
    scorer: Scorer = factory(spec, **options)
    return scorer


def score(prm: Scorer | str, solutions: Sequence[Solution], **options: Any) -> list[ScoreResult]:
    """Score solutions with a scorer or a catalogued PRM name; one result per solution.

    >>> score("arith", [Solution("?", ("3 * 4 = 12",))])[0].scores
    (1.0,)
    """
    scorer = load_prm(prm, **options) if isinstance(prm, str) else prm
    sols = list(solutions)
    return check_batch(sols, scorer.score(sols))


def parse_combination(
    name: str,
    backend: str | None = None,
    verifier_options: dict[str, Any] | None = None,
    **options: Any,
) -> Combined:
    """Build the combination a name like ``"arith+qwen2.5-math-prm-7b"`` describes.

    Every name is looked up before any scorer is built, so a typo fails fast
    (with "did you mean"). ``backend`` and ``options`` go to the members that
    run a model; model-free verifiers take none.

    >>> parse_combination("arith*arith").identity.startswith("product(verifier:arith:")
    True
    """
    rule, names = split_combination(name)
    specs = [get_spec(n) for n in names]
    verifiers = [s for s in specs if not get_readout(s.readout).runs_model]
    if verifier_options:
        if not verifiers:
            raise ConfigError(f"{name!r} has no model-free verifier to take verifier options")
        _check_prefixes(verifier_options, {_verifier_name(s) for s in verifiers})
    members = [_member(spec, backend, options, verifier_options or {}) for spec in specs]
    return Combined(members, rule=rule)


def _member(
    spec: PRMSpec, backend: str | None, options: dict[str, Any], verifier: dict[str, Any]
) -> Scorer:
    """One member of a combination: judges get the judge options, other models the rest, verifiers the
    verifier options."""
    readout = get_readout(spec.readout)
    if not readout.runs_model:
        return load_prm(spec, verifier_options=_verifier_options(spec, verifier))
    if readout.backend == "judge":
        return load_prm(spec, **options)
    return load_prm(
        spec, backend=backend, **{k: v for k, v in options.items() if k not in JUDGE_OPTIONS}
    )


def _verifier_name(spec: PRMSpec) -> str:
    return spec.verifier or DEFAULT_VERIFIER


def _verifier_options(spec: PRMSpec, options: dict[str, Any]) -> dict[str, Any]:
    """The options for ``spec``'s verifier: unprefixed ones, and ``NAME.key`` ones for its verifier NAME."""
    out = {}
    for key, value in options.items():
        name, dot, bare = key.rpartition(".")
        if not dot or name == _verifier_name(spec):
            out[bare] = value
    return out


def _check_prefixes(options: dict[str, Any], names: set[str]) -> None:
    wrong = sorted(k for k in options if "." in k and k.rpartition(".")[0] not in names)
    if wrong:
        raise ConfigError(
            f"verifier options {', '.join(wrong)} name no verifier of this PRM (its verifiers: {', '.join(sorted(names))})"
        )
