"""One JSON-over-HTTP client with retries, for the clients of servers (an OpenAI-compatible policy, a remote PRM).

A call sends JSON, reads JSON, and retries a connection failure or a status
in ``retry_status`` with exponential backoff (``backoff``, doubled each retry,
at most ``max_backoff``; a ``Retry-After`` in seconds is honoured). A loopback
server is reached directly, whatever proxy the environment names. Every
failure is one ``error`` naming the method, the URL and the cause.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["JsonClient", "is_loopback"]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("example.org"), is_loopback(None)
    (True, True, False, False)
    """
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class JsonClient:
    """JSON calls to ``base_url`` (``scheme://host:port[/prefix]``) with retries."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        backoff: float,
        retry_status: Collection[int],
        error: type[Exception],
        max_backoff: float = float("inf"),
    ) -> None:
        self.base_url, self.api_key, self.timeout = base_url, api_key, timeout
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.retry_status, self.error = frozenset(retry_status), error
        handlers = [urllib.request.ProxyHandler({})] if is_loopback(urllib.parse.urlparse(base_url).hostname) else []
        self._opener = urllib.request.build_opener(*handlers)

    def call(self, method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        """One JSON call with retries; raises ``error`` naming the URL and the cause."""
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.max_retries + 1):
            delay = min(self.max_backoff, self.backoff * 2**attempt)
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method=method)
                with self._opener.open(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}: {e.read()[:500].decode('utf-8', 'replace')}"
                if e.code not in self.retry_status:
                    break
                retry_after = e.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = min(self.max_backoff, float(retry_after))
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                last = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            except json.JSONDecodeError as e:
                last = f"response is not JSON ({e})"
                break
            if attempt < self.max_retries:
                time.sleep(delay)
        raise self.error(f"{method} {url} failed after {attempt + 1} attempt(s): {last}")
