"""Building a judge: the ``judge`` backend of :data:`prmkit.scoring.BACKENDS` (a judge format on an engine)."""

from __future__ import annotations

import dataclasses
from typing import Any

from prmkit.errors import ConfigError
from prmkit.generation import Generator, load_generator
from prmkit.scoring.judges.registry import get_judge
from prmkit.scoring.judges.scorer import JudgeScorer
from prmkit.scoring.spec import PRMSpec

__all__ = ["build_judge"]


def build_judge(
    spec: PRMSpec,
    *,
    model: str | None = None,
    engine: str | None = None,
    url: str | None = None,
    samples: int | None = None,
    seed: int = 0,
    generator: Generator | None = None,
    dtype: str | None = None,
    device: str | None = None,
    max_length: int | None = None,
    threads: int | None = None,
) -> JudgeScorer:
    """The ``judge`` backend (:data:`prmkit.scoring.BACKENDS`): the judge ``spec.judge`` on a generator.

    ``generator``: a built one; else ``url`` (an OpenAI-compatible ``/v1`` server, model ``model`` or the
    server's first) or ``engine`` (a name in :data:`prmkit.generation.GENERATORS`, default ``llamacpp``)
    loading ``model`` (default: the spec's). ``samples`` overrides the judge's K; ``seed`` is the judge's seed.
    ``dtype``/``device``: the ``hf`` engine's; ``max_length``: llama.cpp's context window (default 4096);
    ``threads``: llama.cpp's CPU threads.
    """
    if spec.readout != "generative" or spec.judge is None:
        raise ConfigError(
            f"spec {spec.name!r} has readout {spec.readout!r} and no judge; the judge backend needs both"
        )
    judge = get_judge(spec.judge)
    if samples is not None:
        judge = dataclasses.replace(judge, samples=samples)
    if generator is None:
        generator = _generator(spec, model, engine, url, dtype, device, max_length, threads)
    elif any(v is not None for v in (model, engine, url, dtype, device, max_length, threads)):
        raise ConfigError(
            "give a generator or the options that build one (model, engine, url, ...), not both"
        )
    return JudgeScorer(spec, judge, generator, seed=seed)


def _generator(
    spec: PRMSpec,
    model: str | None,
    engine: str | None,
    url: str | None,
    dtype: str | None,
    device: str | None,
    max_length: int | None,
    threads: int | None,
) -> Generator:
    if url is not None:
        if engine not in (None, "openai"):
            raise ConfigError(f"a judge URL runs on the openai engine, not {engine!r}")
        return load_generator("openai", base_url=url, model=model)
    name = engine or "llamacpp"
    options: dict[str, Any] = {"model": model or spec.model}
    if name == "llamacpp":
        options["n_ctx"] = max_length or 4096
        if threads is not None:
            options["n_threads"] = threads
    elif name in ("hf", "vllm"):
        options.update({k: v for k, v in (("dtype", dtype), ("device", device)) if v is not None})
    return load_generator(name, **options)
