"""A client for OpenAI-compatible ``/v1/completions`` servers (vLLM, llama.cpp, SGLang, TGI, ...).

Standard library only (urllib). One HTTP call per sample, with ``seed + j`` for
sample ``j`` (servers differ in how, or whether, they honour ``n``), run
``max_workers`` at a time; connection errors, timeouts, HTTP 408/429/5xx are
retried with exponential backoff (``Retry-After`` honoured).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from prmkit._http import JsonClient
from prmkit.errors import ConfigError
from prmkit.generation._protocol import (
    GenerationError,
    GenerationRequest,
    Sample,
    check_samples,
    sample_seed,
)

__all__ = ["OpenAIGenerator"]

_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class _Usage(BaseModel):
    # Servers add their own fields to responses; only the ones read here are checked.
    model_config = ConfigDict(extra="ignore")
    prompt_tokens: int
    completion_tokens: int


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    finish_reason: str | None = None


class _Completion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    choices: list[_Choice]
    usage: _Usage | None = None


class OpenAIGenerator:
    """Generate through an OpenAI-compatible completions endpoint.

    ``base_url`` includes the version prefix, e.g. ``http://127.0.0.1:8000/v1``.

    >>> gen = OpenAIGenerator("http://127.0.0.1:8000/v1", model="m", max_retries=0)
    >>> gen.identity
    'openai:http://127.0.0.1:8000/v1:m'
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 300.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_workers: int = 4,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        """``model``: the server's model id (default: the first one ``/models`` lists);
        ``api_key``: bearer token (default ``$OPENAI_API_KEY``, none if unset); ``timeout``:
        seconds per HTTP call; ``max_retries``: retries after the first attempt; ``backoff``:
        first retry delay in seconds, doubled each retry up to ``max_backoff``;
        ``max_workers``: concurrent calls; ``extra_body``: fields added to every request
        (server-specific sampling knobs such as ``{"top_k": 0}``)."""
        problems = []
        parsed = urllib.parse.urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(f"base_url must be an http(s) URL (got {base_url!r})")
        if timeout <= 0:
            problems.append(f"timeout must be > 0 (got {timeout})")
        if max_retries < 0:
            problems.append(f"max_retries must be >= 0 (got {max_retries})")
        if max_workers < 1:
            problems.append(f"max_workers must be >= 1 (got {max_workers})")
        if problems:
            raise ConfigError("invalid OpenAIGenerator: " + "; ".join(problems))
        self.base_url = base_url.rstrip("/")
        self.timeout, self.max_retries, self.max_workers = timeout, max_retries, max_workers
        self.backoff, self.max_backoff = backoff, max_backoff
        self.extra_body = dict(extra_body or {})
        self._http = JsonClient(
            self.base_url,
            api_key=api_key if api_key is not None else os.environ.get("OPENAI_API_KEY"),
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
            retry_status=_RETRY_STATUS,
            error=GenerationError,
        )
        self._model = model

    @property
    def model(self) -> str:
        """The model id sent with each request (asked from ``/models`` once if not given)."""
        if self._model is None:
            listing = self._http.call("GET", "/models", None)
            try:
                self._model = str(listing["data"][0]["id"])
            except (KeyError, IndexError, TypeError) as e:
                raise GenerationError(f"GET {self.base_url}/models listed no model: {listing!r:.200}") from e
        return self._model

    @property
    def identity(self) -> str:
        return f"openai:{self.base_url}:{self._model or '?'}"

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """``request.n`` samples per request, in order (one HTTP call per sample)."""
        model = self.model
        jobs = [(i, j) for i, r in enumerate(requests) for j in range(r.n)]
        out: list[list[Sample | None]] = [[None] * r.n for r in requests]
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            futures = {job: pool.submit(self._sample, requests[job[0]], job, model) for job in jobs}
            for (i, j), fut in futures.items():
                out[i][j] = fut.result()
        return check_samples(requests, [[s for s in row if s is not None] for row in out])

    def _sample(self, req: GenerationRequest, job: tuple[int, int], model: str) -> Sample:
        body: dict[str, Any] = {
            "model": model,
            "prompt": req.prompt,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "n": 1,
            **self.extra_body,
        }
        if req.stop:
            body["stop"] = list(req.stop)
        seed = sample_seed(req, job[1])
        if seed is not None:
            body["seed"] = seed
        raw = self._http.call("POST", "/completions", body)
        where = f"request {job[0]} sample {job[1]}"
        try:
            resp = _Completion.model_validate(raw)
        except ValidationError as e:
            raise GenerationError(f"{where}: malformed response from {self.base_url}: {e}") from e
        if len(resp.choices) != 1 or resp.usage is None:
            raise GenerationError(
                f"{where}: expected 1 choice and usage from {self.base_url}, got {raw!r:.300}"
            )
        choice = resp.choices[0]
        if choice.finish_reason not in ("stop", "length"):
            raise GenerationError(f"{where}: server finish_reason {choice.finish_reason!r}")
        return Sample(
            text=choice.text,
            n_tokens=resp.usage.completion_tokens,
            finish_reason="stop" if choice.finish_reason == "stop" else "length",
            n_prompt_tokens=resp.usage.prompt_tokens,
        )

