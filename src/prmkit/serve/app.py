"""The server: FastAPI routes over a :class:`~prmkit.serve._batcher.Batcher` and the library's scorers
and credit rules.

Routes: ``POST /v1/score``, ``POST /v1/rewards``, ``POST /v1/openrlhf`` (OpenRLHF's ``--remote_rm_url``
protocol, :mod:`prmkit.rewards.openrlhf`; it also takes the key as HTTP Basic auth), ``GET /v1/info`` (the PRM's name, identity, threshold
and causality, and the most solutions a request may hold) with an API key; ``GET /health`` (the same, and ``status``) and ``GET /metrics``
(Prometheus text) without. Errors are ``{"detail": message}``:
401 a missing or wrong key, 413 a body over ``--max-body-bytes``, 422 a malformed body or one over a
limit (the message names the flag), 429 a full queue.
"""

from __future__ import annotations

import base64
import hmac
import inspect
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError

from prmkit._extras import require
from prmkit.errors import UnknownNameError
from prmkit.rewards import CREDIT
from prmkit.rewards.openrlhf import openrlhf_reply, openrlhf_samples
from prmkit.scoring import Scorer, scorer_info
from prmkit.serve._batcher import Batcher, Overloaded
from prmkit.serve._metrics import Metrics
from prmkit.serve._schema import (
    SolutionIn,
    check_limits,
    openrlhf_settings,
    parse_openrlhf,
    parse_rewards,
    parse_score,
    result_record,
)
from prmkit.serve.config import ServeConfig
from prmkit.types import ScoreFailure, ScoreResult

__all__ = ["create_app", "serve"]


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def create_app(config: ServeConfig, load: Callable[[], Scorer] | None = None) -> FastAPI:
    """The server for ``config``; ``load`` builds the scorer (default: ``config.scorer.load``), on the
    worker thread when the server starts.

    >>> app = create_app(ServeConfig(no_auth=True))
    >>> sorted(r.path for r in app.routes if r.path.startswith(("/v1", "/health", "/metrics")))
    ['/health', '/metrics', '/v1/info', '/v1/openrlhf', '/v1/rewards', '/v1/score']
    """
    keys = [k.encode() for k in config.api_keys()]
    metrics = Metrics()
    batcher = Batcher(
        load or config.scorer.load, metrics, max_wait_s=config.max_wait_ms / 1000,
        max_solutions=config.max_batch_solutions, max_chars=config.max_batch_chars, max_queue=config.max_queue,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scorer = await batcher.start()
        info = scorer_info(scorer)
        app.state.info = {"prm": config.scorer.name, "identity": info.identity, "threshold": info.threshold,
                          "causal": info.causal, "max_solutions": config.max_solutions}
        yield
        await batcher.close()  # uvicorn has let in-flight requests finish; this scores what is queued

    app = FastAPI(title="prmkit serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        metrics.observe_request(_route(request.url.path), response.status_code, time.perf_counter() - start)
        return response

    @app.exception_handler(_Refused)
    async def refused(_request: Request, e: _Refused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
        return JSONResponse({"detail": e.detail}, status_code=e.status, headers=headers)

    def authorize(request: Request, basic: bool = False) -> None:
        """A key as ``Authorization: Bearer KEY``; with ``basic``, also as HTTP Basic auth's password
        (what a client sends for ``http://user:KEY@host/...``)."""
        if not keys:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        scheme, given = scheme.lower(), given.strip()
        if basic and scheme == "basic":
            try:
                scheme, given = "bearer", base64.b64decode(given, validate=True).decode().partition(":")[2]
            except ValueError:  # not base64, or not UTF-8
                given = ""
        # Every key is compared, in constant time, whatever matched: the answer's timing tells nothing.
        ok = False
        for key in keys:
            ok |= hmac.compare_digest(given.encode(), key)
        if scheme != "bearer" or not ok:
            raise _Refused(401, "missing or wrong API key (Authorization: Bearer KEY)")

    async def read_json(request: Request) -> Any:
        limit = config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _Refused(413, f"the body has {declared} bytes; the limit is {limit} (--max-body-bytes)")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise _Refused(413, f"the body has more than {limit} bytes (--max-body-bytes)")
        try:
            return json.loads(body)
        except ValueError as e:
            raise _Refused(422, f"the body is not JSON: {e}") from None

    async def scored(solutions: list[SolutionIn]) -> list[ScoreResult]:
        problem = check_limits(solutions, config)
        if problem is not None:
            raise _Refused(422, problem)
        try:
            return await batcher.score([s.solution() for s in solutions])
        except Overloaded as e:
            raise _Refused(429, f"overloaded: {e}; retry later") from None

    @app.post("/v1/score")
    async def score(request: Request) -> dict[str, Any]:
        authorize(request)
        try:
            req = parse_score(await read_json(request))
        except ValidationError as e:
            raise _Refused(422, str(e)) from None
        results = await scored(req.solutions)
        return {"identity": app.state.info["identity"],
                "results": [result_record(r, s.id) for r, s in zip(results, req.solutions, strict=True)]}

    @app.post("/v1/rewards")
    async def rewards(request: Request) -> dict[str, Any]:
        authorize(request)
        try:
            req = parse_rewards(await read_json(request))
            rule = CREDIT.get(req.rule)
            inspect.signature(rule).bind([0.5], outcome=0.0, **req.options)
        except ValidationError as e:
            raise _Refused(422, str(e)) from None
        except UnknownNameError as e:
            raise _Refused(422, str(e.args[0])) from None
        except TypeError as e:
            raise _Refused(422, f"options of credit rule {req.rule!r}: {e}") from None
        results = await scored(req.solutions)
        out = []
        for result, sol in zip(results, req.solutions, strict=True):
            record = result_record(result, sol.id)
            if not isinstance(result, ScoreFailure):
                try:
                    credit = rule(result.scores, outcome=sol.outcome, **req.options)
                except ValueError as e:
                    record = result_record(ScoreFailure("backend_error", f"credit rule {req.rule!r}: {e}"), sol.id)
                else:
                    record |= {"rewards": credit.rewards.tolist(), "returns": credit.returns.tolist(),
                               "value": credit.value}
            out.append(record)
        return {"identity": app.state.info["identity"], "rule": req.rule, "results": out}

    @app.post("/v1/openrlhf")
    async def openrlhf(request: Request) -> dict[str, Any]:
        authorize(request, basic=True)
        try:
            req = parse_openrlhf(await read_json(request))
            settings = openrlhf_settings(request.query_params)
            rule = CREDIT.get(settings.rule)
            inspect.signature(rule).bind([0.5], outcome=0.0, **settings.options)
            samples = openrlhf_samples(req.query, req.prompts, req.labels)
        except (ValidationError, ValueError) as e:
            raise _Refused(422, str(e)) from None
        except UnknownNameError as e:
            raise _Refused(422, str(e.args[0])) from None
        except TypeError as e:
            raise _Refused(422, f"options of credit rule {settings.rule!r}: {e}") from None
        todo = [SolutionIn(problem=s.solution.problem, steps=list(s.solution.steps)) for s in samples if s.solution]
        results = await scored(todo) if todo else []
        return openrlhf_reply(samples, results, settings.rule, settings.outcome_weight, **settings.options)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", **app.state.info}

    @app.get("/v1/info")
    async def info(request: Request) -> dict[str, Any]:
        authorize(request)
        return dict(app.state.info)

    @app.get("/metrics")
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app


def serve(config: ServeConfig) -> None:
    """Run the server until SIGINT or SIGTERM; in-flight requests and queued batches finish first."""
    uvicorn = require("uvicorn", extra="serve")
    uvicorn.run(
        create_app(config), host=config.host, port=config.port, log_level="info",
        timeout_graceful_shutdown=60, server_header=False,
    )


_ROUTES = frozenset({"/v1/score", "/v1/rewards", "/v1/openrlhf", "/v1/info", "/health", "/metrics"})


def _route(path: str) -> str:
    """The metrics label of a path: one of the routes, else ``other`` (a label per unknown path would grow
    without bound)."""
    return path if path in _ROUTES else "other"
