"""The OpenAI-compatible client against a real local server: llama-cpp-python's own
``python -m llama_cpp.server`` serving SmolLM2-135M-Instruct on a free loopback port."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _require import installed, need_module

from prmkit.generation import GenerationError, GenerationRequest, Generator
from prmkit.models import fetch

need_module("llama_cpp.server", "llama-cpp-python[server] is not installed: pip install 'prmkit[llamacpp]'")

from prmkit.generation.llamacpp import LlamaCppGenerator  # noqa: E402
from prmkit.generation.openai_http import OpenAIGenerator  # noqa: E402

pytestmark = pytest.mark.slow  # a real server with real weights

COUNT = "1, 2, 3, 4, 5,"
CHAT = "<|im_start|>user\nWhat is 12 * 7? Think step by step.<|im_end|>\n<|im_start|>assistant\n"
STORY = "<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n"
# llama-cpp-python's server defaults to top_k=40, min_p=0.05, repeat_penalty=1.1; prmkit samples plainly
PLAIN = {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def gguf() -> Path:
    with installed():
        return fetch("smollm2-135m-instruct")


@pytest.fixture(scope="module")
def server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "1", "--verbose", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 120 s:\n{log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def client(server: str) -> OpenAIGenerator:
    return OpenAIGenerator(server, extra_body=PLAIN, max_workers=1, timeout=120)


def test_model_id_is_discovered_and_it_is_a_generator(client: OpenAIGenerator) -> None:
    assert isinstance(client, Generator)
    assert client.model == "smollm2"


def test_greedy_matches_the_embedded_llamacpp_generator(client: OpenAIGenerator, gguf: Path) -> None:
    reqs = [
        GenerationRequest(COUNT, max_tokens=16, temperature=0),
        GenerationRequest(COUNT, max_tokens=16, temperature=0, stop=(" 9",)),
        GenerationRequest(CHAT, max_tokens=48, temperature=0),
    ]
    remote = client.generate(reqs)
    with LlamaCppGenerator(gguf, n_ctx=1024, n_threads=1) as local:
        assert remote == local.generate(reqs)
    assert remote[0][0].text == " 6, 7, 8, 9, 10,"
    assert (remote[1][0].text, remote[1][0].finish_reason) == (" 6, 7, 8,", "stop")
    assert remote[2][0].finish_reason == "stop" and remote[2][0].n_tokens < 48  # ended by EOS


def test_n_samples_seeds_stops_and_counts(client: OpenAIGenerator) -> None:
    req = GenerationRequest(STORY, n=3, max_tokens=16, temperature=1.0, seed=11, stop=("\n",))
    # llama-cpp-python's server reuses its KV cache across requests, and a token's logits differ
    # slightly when decoded alone rather than in a batch: warm it on this prompt (>= 2 tokens
    # generated, so the next request re-decodes the last prompt token) to make runs comparable.
    client.generate([GenerationRequest(STORY, max_tokens=4, temperature=0)])
    first = client.generate([req])[0]
    again = client.generate([req])[0]
    assert first == again  # the seed travels with each call
    assert len(first) == 3 and len({s.text for s in first}) == 3  # seed + j per sample
    for s in first:
        assert "\n" not in s.text and 1 <= s.n_tokens <= 16 and s.n_prompt_tokens == 14
        assert s.finish_reason == "stop" or s.n_tokens == 16
    (short,) = client.generate([GenerationRequest(COUNT, max_tokens=3, temperature=0.7, seed=1)])[0]
    assert (short.n_tokens, short.finish_reason, short.n_prompt_tokens) == (3, "length", 14)


def test_concurrent_calls_keep_request_and_sample_order(server: str) -> None:
    client = OpenAIGenerator(server, extra_body=PLAIN, max_workers=4)
    reqs = [GenerationRequest(f"{k}, {k + 1}, {k + 2},", n=2, max_tokens=4, temperature=0) for k in (10, 20, 30)]
    out = client.generate(reqs)
    assert [[s.text.split(",")[0].strip() for s in row] for row in out] == [["13", "13"], ["23", "23"], ["33", "33"]]


def test_a_client_error_is_not_retried(server: str) -> None:
    wrong = server.removesuffix("/v1") + "/v2"  # no such API version: 404
    client = OpenAIGenerator(wrong, model="smollm2", max_retries=3, backoff=5.0)
    t0 = time.monotonic()
    with pytest.raises(GenerationError, match=r"/v2/completions failed after 1 attempt\(s\): HTTP 404"):
        client.generate([GenerationRequest(COUNT, max_tokens=2)])
    assert time.monotonic() - t0 < 5.0


def test_an_unreachable_server_is_retried_with_backoff_then_named() -> None:
    port = _free_port()  # nothing listens there
    client = OpenAIGenerator(f"http://127.0.0.1:{port}/v1", model="m", max_retries=2, backoff=0.2)
    t0 = time.monotonic()
    with pytest.raises(GenerationError, match=rf"POST http://127.0.0.1:{port}/v1/completions failed after 3 attempt"):
        client.generate([GenerationRequest(COUNT, max_tokens=2)])
    assert time.monotonic() - t0 >= 0.2 + 0.4  # slept 0.2 s, then 0.4 s


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = OpenAIGenerator(f"http://127.0.0.1:{port}/v1", model="m", timeout=0.3, max_retries=1, backoff=0.05)
        with pytest.raises(GenerationError, match=r"failed after 2 attempt.*timed out"):
            client.generate([GenerationRequest(COUNT, max_tokens=2)])


class _FlakyProxy(http.server.BaseHTTPRequestHandler):
    """Answers 503 (Retry-After: 0) to the first ``failures`` POSTs, then forwards to the real server."""

    upstream = ""
    failures = 0
    seen = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen += 1
        if type(self).seen <= type(self).failures:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        req = urllib.request.Request(self.upstream + self.path, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_overloaded_server_answers_are_retried(server: str) -> None:
    _FlakyProxy.upstream, _FlakyProxy.failures, _FlakyProxy.seen = server.removesuffix("/v1"), 2, 0
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        client = OpenAIGenerator(
            f"http://127.0.0.1:{proxy.server_address[1]}/v1", model="smollm2", extra_body=PLAIN, backoff=0.01
        )
        (s,) = client.generate([GenerationRequest(COUNT, max_tokens=5, temperature=0)])[0]
        assert s.text == " 6, 7" and _FlakyProxy.seen == 3
        _FlakyProxy.failures, _FlakyProxy.seen = 10, 0
        failing = OpenAIGenerator(
            f"http://127.0.0.1:{proxy.server_address[1]}/v1", model="smollm2", max_retries=1, backoff=0.01
        )
        with pytest.raises(GenerationError, match=r"after 2 attempt\(s\): HTTP 503"):
            failing.generate([GenerationRequest(COUNT, max_tokens=5)])
    finally:
        proxy.shutdown()
        proxy.server_close()
