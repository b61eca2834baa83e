"""The ``remote`` backend: a PRM served by ``prmkit serve``, scored over HTTP.

``load_prm("http://host:port/NAME")`` (or ``--prm http://host:port/NAME``)
builds a :class:`RemoteScorer`; ``NAME`` must be the PRM the server runs. Its
identity, threshold and causality are the server's PRM's, so the step-score
cache keeps remote and local scores of one PRM under the same key. The API key
comes from ``$PRMKIT_API_KEY``. Standard library only (urllib).

>>> RemoteScorer("http://127.0.0.1:9/arith", connect=False).base_url
'http://127.0.0.1:9'
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from prmkit._http import JsonClient
from prmkit.errors import ConfigError, PRMKitError
from prmkit.scoring._backend import ScorerInfo, check_batch
from prmkit.types import ScoreResult, Solution, from_record

__all__ = ["API_KEY_ENV", "RemoteError", "RemoteScorer", "is_remote"]

API_KEY_ENV = "PRMKIT_API_KEY"
"""The environment variable the remote backend reads its API key from."""

_RETRY_STATUS = frozenset({429, 502, 503, 504})


class RemoteError(PRMKitError, RuntimeError):
    """The server could not be reached, refused the call, or answered something malformed."""


def is_remote(prm: str) -> bool:
    """Whether a PRM name is a server URL.

    >>> is_remote("http://127.0.0.1:8000/arith"), is_remote("arith")
    (True, False)
    """
    return prm.startswith(("http://", "https://"))


class RemoteScorer:
    """A scorer that POSTs batches to a ``prmkit serve`` server.

    ``url``: ``http(s)://host:port/NAME`` (``NAME``, the served PRM, is checked against the server's;
    without it any PRM is accepted); ``api_key``: bearer key (default ``$PRMKIT_API_KEY``);
    ``timeout``: seconds per call; ``max_retries``: retries after a 429/5xx or a connection error;
    ``batch_size``: most solutions per request (lowered to the server's ``--max-solutions``); ``connect``: ask the
    server for its PRM now (``False``: on first use).
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 300.0,
        max_retries: int = 4,
        backoff: float = 0.25,
        batch_size: int = 64,
        connect: bool = True,
    ) -> None:
        parsed = urllib.parse.urlparse(url)
        problems = []
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(f"url must be http(s)://host:port/NAME, got {url!r}")
        if timeout <= 0:
            problems.append(f"timeout must be > 0, got {timeout}")
        if max_retries < 0:
            problems.append(f"max_retries must be >= 0, got {max_retries}")
        if batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {batch_size}")
        if problems:
            raise ConfigError("invalid remote PRM: " + "; ".join(problems))
        self.base_url = f"{parsed.scheme}://{parsed.netloc}"
        self.name = parsed.path.strip("/") or None
        self.timeout, self.max_retries, self.backoff, self.batch_size = timeout, max_retries, backoff, batch_size
        self._http = JsonClient(
            self.base_url,
            api_key=api_key if api_key is not None else os.environ.get(API_KEY_ENV),
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            retry_status=_RETRY_STATUS,
            error=RemoteError,
        )
        self._info: ScorerInfo | None = None
        if connect:
            _ = self.info

    @property
    def info(self) -> ScorerInfo:
        """The served PRM's identity, threshold and causality, asked from ``/v1/info`` once (a wrong key
        fails here)."""
        if self._info is None:
            health = self._http.call("GET", "/v1/info", None)
            if self.name is not None and health.get("prm") != self.name:
                raise ConfigError(f"{self.base_url} serves {health.get('prm')!r}, not {self.name!r}")
            self._info = ScorerInfo(str(health["identity"]), health.get("threshold"), bool(health.get("causal", True)))
            self.batch_size = min(self.batch_size, int(health.get("max_solutions", self.batch_size)))
        return self._info

    @property
    def identity(self) -> str:
        return self.info.identity

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in requests of at most ``batch_size`` solutions."""
        sols = list(solutions)
        _ = self.info  # the server's request size
        out: list[ScoreResult] = []
        for start in range(0, len(sols), self.batch_size):
            chunk = sols[start : start + self.batch_size]
            body = {"solutions": [{"problem": s.problem, "steps": list(s.steps), "id": s.id} for s in chunk]}
            reply = self._http.call("POST", "/v1/score", body)
            records = reply.get("results")
            if not isinstance(records, list) or len(records) != len(chunk):
                raise RemoteError(f"{self.base_url}/v1/score: expected {len(chunk)} results, got {reply!r:.300}")
            out += [from_record(r, s.id) for r, s in zip(records, chunk, strict=True)]
        return check_batch(sols, out, f"remote PRM {self.base_url}")
