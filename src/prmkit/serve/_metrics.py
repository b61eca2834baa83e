"""The server's counters, written in the Prometheus text exposition format.

>>> m = Metrics()
>>> m.observe_request("/v1/score", 200, 0.003)
>>> m.observe_batch(requests=2, solutions=5)
>>> text = m.render()
>>> 'prmkit_requests_total{route="/v1/score",code="200"} 1' in text
True
>>> 'prmkit_batch_solutions_bucket{le="8"} 1' in text
True
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter

__all__ = ["Metrics"]

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.total += 1
        self.sum += value

    def lines(self, name: str, labels: str = "") -> list[str]:
        sep = "," if labels else ""
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=True):
            running += count
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound:g}"}} {running}')
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.total}')
        suffix = f"{{{labels}}}" if labels else ""
        out += [f"{name}_sum{suffix} {self.sum:.6g}", f"{name}_count{suffix} {self.total}"]
        return out


class Metrics:
    """Requests by route and status, batches, batch sizes, queue depth and request latency."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.batches = 0
        self.solutions = 0
        self.queue_depth = 0
        self.batch_requests = _Histogram(SIZE_BUCKETS)
        self.batch_solutions = _Histogram(SIZE_BUCKETS)
        self.latency: dict[str, _Histogram] = {}

    def observe_request(self, route: str, code: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        with self._lock:
            self.requests[route, code] += 1
            self.latency.setdefault(route, _Histogram(LATENCY_BUCKETS_S)).observe(seconds)

    def observe_batch(self, requests: int, solutions: int) -> None:
        """Count one scoring call of ``requests`` requests holding ``solutions`` solutions."""
        with self._lock:
            self.batches += 1
            self.solutions += solutions
            self.batch_requests.observe(requests)
            self.batch_solutions.observe(solutions)

    def render(self) -> str:
        """Every metric, in the Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = ["# HELP prmkit_requests_total Requests answered, by route and HTTP status.",
                     "# TYPE prmkit_requests_total counter"]
            lines += [f'prmkit_requests_total{{route="{r}",code="{c}"}} {n}' for (r, c), n in sorted(self.requests.items())]
            lines += ["# HELP prmkit_batches_total Scoring calls made.", "# TYPE prmkit_batches_total counter",
                      f"prmkit_batches_total {self.batches}",
                      "# HELP prmkit_solutions_scored_total Solutions scored.",
                      "# TYPE prmkit_solutions_scored_total counter", f"prmkit_solutions_scored_total {self.solutions}",
                      "# HELP prmkit_queue_depth Requests waiting for a batch.", "# TYPE prmkit_queue_depth gauge",
                      f"prmkit_queue_depth {self.queue_depth}",
                      "# HELP prmkit_batch_requests Requests per scoring call.", "# TYPE prmkit_batch_requests histogram"]
            lines += self.batch_requests.lines("prmkit_batch_requests")
            lines += ["# HELP prmkit_batch_solutions Solutions per scoring call.",
                      "# TYPE prmkit_batch_solutions histogram"]
            lines += self.batch_solutions.lines("prmkit_batch_solutions")
            lines += ["# HELP prmkit_request_seconds Request latency, by route.",
                      "# TYPE prmkit_request_seconds histogram"]
            for route, hist in sorted(self.latency.items()):
                lines += hist.lines("prmkit_request_seconds", f'route="{route}"')
        return "\n".join(lines) + "\n"
