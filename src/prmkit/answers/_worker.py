"""The math-verify worker process: reads JSON requests on stdin, writes one JSON verdict per line.

Run as a script (it imports nothing from prmkit); started and killed by
:mod:`prmkit.answers._verify`. Request ``{"g": gold, "t": target}``;
reply ``{"v": "equal" | "different" | "error"}``. The first line written is
``{"ready": true}`` once math-verify is imported (or ``{"missing": "..."}``).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any


def _load() -> Any:
    import math_verify

    # The parent process enforces the time limit; math-verify's own alarm-based limits are off.
    for sub in ("grader", "parser"):
        mod = getattr(math_verify, sub, None)
        if mod is not None and hasattr(mod, "TIMEOUT_WARNING_SHOWN"):
            mod.TIMEOUT_WARNING_SHOWN = True
    return math_verify


def serve() -> None:
    """Answer comparisons until stdin closes."""
    out = sys.stdout
    try:
        mv = _load()
    except ImportError as e:
        out.write(json.dumps({"missing": str(e)}) + "\n")
        out.flush()
        return
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()

    @lru_cache(maxsize=65536)
    def parse(text: str) -> Any:
        wrapped = text if "$" in text or "\\boxed" in text else f"${text}$"
        return mv.parse(wrapped, parsing_timeout=None)

    for line in sys.stdin:
        try:
            req = json.loads(line)
            g, t = parse(req["g"]), parse(req["t"])
            equal = bool(g) and bool(t) and bool(mv.verify(g, t, timeout_seconds=None))
            reply = {"v": "equal" if equal else "different"}
        except Exception as e:  # one bad comparison is a verdict, not a dead worker
            reply = {"v": "error", "detail": f"{type(e).__name__}: {e}"[:200]}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
