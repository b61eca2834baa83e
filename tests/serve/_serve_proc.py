"""A real ``prmkit serve`` process on a free loopback port, and a plain HTTP client for it (urllib, no proxy)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY = "test-key-7f3a9c"
"""The one API key in the servers' keys files."""

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def call(url: str, body: Any = None, *, key: str | None = KEY, raw: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, Any]:
    """``(status, parsed JSON or text)`` of a GET (no body) or a POST."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    h = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=data, headers=h, method="GET" if data is None else "POST")
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@contextmanager
def serving(tmp: Path, *flags: str, timeout: float = 120) -> Iterator[Server]:
    """``prmkit serve`` with ``flags`` and a keys file holding :data:`KEY`; stopped with SIGTERM at the end."""
    tmp.mkdir(parents=True, exist_ok=True)
    keys = tmp / "keys.txt"
    keys.write_text(f"# the test key\n{KEY}\n")
    port = free_port()
    log = tmp / "server.log"
    cmd = [sys.executable, "-m", "prmkit", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--keys-file", str(keys), *flags]
    if "--no-cache" not in flags:
        cmd += ["--cache", str(tmp / "scores.sqlite")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH")) if p)}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"prmkit serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if call(url + "/health", key=None, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"prmkit serve not ready after {timeout} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(url, proc, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
