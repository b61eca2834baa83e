"""``prmkit serve`` as a real uvicorn process serving the ``arith`` verifier: keys, limits, batching under
64 concurrent clients, overload, metrics and graceful shutdown."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _require import need_module
from _serve_proc import KEY, Server, call, serving
from _shared_data import shared_path

from prmkit.data import load_processbench
from prmkit.scoring import load_prm
from prmkit.types import Solution, to_record

need_module("fastapi", "fastapi is not installed: pip install 'prmkit[serve]'")
need_module("uvicorn", "uvicorn is not installed: pip install 'prmkit[serve]'")

pytestmark = pytest.mark.slow  # real server processes


@pytest.fixture(scope="module")
def cases() -> list[Solution]:
    return [c.solution() for c in load_processbench(shared_path("processbench", "gsm8k.json"))[:128]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    flags = ["--prm", "arith", "--max-wait-ms", "50", "--max-body-bytes", "200000", "--max-solution-steps", "40",
             "--max-solutions", "16", "--max-step-chars", "2000"]
    with serving(tmp_path_factory.mktemp("serve"), *flags) as s:
        yield s


def _body(sol: Solution) -> dict[str, Any]:
    return {"problem": sol.problem, "steps": list(sol.steps), "id": sol.id}


def _metric(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{re.escape(name)} (\S+)$", text, re.M))


def test_a_missing_or_wrong_key_is_refused_and_never_logged(server: Server, cases: list[Solution]) -> None:
    body = _body(cases[0])
    assert call(server.url + "/v1/score", body, key=None)[0] == 401
    assert call(server.url + "/v1/score", body, key="not-the-key")[0] == 401
    assert call(server.url + "/v1/rewards", {**body, "rule": "min"}, key="")[0] == 401
    status, reply = call(server.url + "/v1/score", body, key=None, headers={"Authorization": f"Basic {KEY}"})
    assert status == 401 and "API key" in reply["detail"]
    assert call(server.url + "/v1/score", body)[0] == 200
    log = server.log.read_text()
    assert "POST /v1/score" in log and KEY not in log and "not-the-key" not in log


def test_an_oversized_request_is_refused_naming_the_limit(server: Server, cases: list[Solution]) -> None:
    big = {"problem": "x" * 300_000, "steps": ["1 + 1 = 2"]}
    status, reply = call(server.url + "/v1/score", big)
    assert status == 413 and "--max-body-bytes" in reply["detail"]
    status, reply = call(server.url + "/v1/score", {"problem": "?", "steps": ["1 + 1 = 2"] * 41})
    assert status == 422 and "--max-solution-steps" in reply["detail"] and "41 steps" in reply["detail"]
    status, reply = call(server.url + "/v1/score", [_body(cases[0])] * 17)
    assert status == 422 and "--max-solutions" in reply["detail"]
    status, reply = call(server.url + "/v1/score", {"problem": "?", "steps": ["1 + 1 = 2", "y" * 2001]})
    assert status == 422 and "--max-step-chars" in reply["detail"] and "step 1" in reply["detail"]
    status, reply = call(server.url + "/v1/score", {"problem": "?", "steps": ["a"], "extra": 1})
    assert status == 422 and "extra" in reply["detail"]
    assert call(server.url + "/v1/score", raw=b"{not json")[0] == 422
    assert call(server.url + "/health", key=None)[1]["status"] == "ok"


def test_64_concurrent_clients_get_exactly_the_offline_scores(server: Server, cases: list[Solution]) -> None:
    offline = [to_record(r) for r in load_prm("arith").score(cases)]
    before = call(server.url + "/metrics", key=None)[1]

    def client(i: int) -> list[dict[str, Any]]:
        got = []
        for j in range(i, len(cases), 64):  # two requests per client, one solution each
            status, reply = call(server.url + "/v1/score", _body(cases[j]))
            assert status == 200, reply
            got.append(reply["results"][0])
        return got

    with ThreadPoolExecutor(64) as pool:
        replies = list(pool.map(client, range(64)))
    by_index = {j: r for i, rs in enumerate(replies) for j, r in zip(range(i, len(cases), 64), rs, strict=True)}
    for j, sol in enumerate(cases):
        assert by_index[j] == {"id": sol.id, **offline[j]}, j
    after = call(server.url + "/metrics", key=None)[1]
    requests = _metric(after, "prmkit_batch_requests_sum") - _metric(before, "prmkit_batch_requests_sum")
    batches = _metric(after, "prmkit_batches_total") - _metric(before, "prmkit_batches_total")
    assert requests == len(cases) and batches < requests  # requests were gathered into shared batches


def test_rewards_are_the_credit_rules_on_the_served_scores(server: Server, cases: list[Solution]) -> None:
    from prmkit.rewards import CREDIT

    body = {"solutions": [{**_body(s), "outcome": 1.0} for s in cases[:4]], "rule": "clip", "options": {"eta": 0.4}}
    status, reply = call(server.url + "/v1/rewards", body)
    assert status == 200 and reply["rule"] == "clip"
    for sol, got in zip(cases[:4], reply["results"], strict=True):
        scores = load_prm("arith").score([sol])[0].scores  # type: ignore[union-attr]
        credit = CREDIT.get("clip")(scores, outcome=1.0, eta=0.4)
        assert got["rewards"] == credit.rewards.tolist() and got["value"] == credit.value
    status, reply = call(server.url + "/v1/rewards", {**body, "rule": "mn"})
    assert status == 422 and "did you mean 'min'" in reply["detail"]
    status, reply = call(server.url + "/v1/rewards", {**body, "options": {"etta": 1}})
    assert status == 422 and "etta" in reply["detail"]
    status, reply = call(server.url + "/v1/score", {"problem": "?", "steps": ["1 + 1 = 2", " "], "id": "e"})
    assert reply["results"] == [{"id": "e", "failure": {"reason": "empty_step", "detail": "step 1 is empty"}}]


def test_metrics_have_the_counters(server: Server, cases: list[Solution]) -> None:
    call(server.url + "/v1/score", _body(cases[0]))
    status, text = call(server.url + "/metrics", key=None)
    assert status == 200
    for name in ("prmkit_requests_total", "prmkit_batches_total", "prmkit_queue_depth", "prmkit_batch_solutions_bucket",
                 "prmkit_batch_requests_count", "prmkit_request_seconds_bucket", "prmkit_solutions_scored_total"):
        assert f"# TYPE {name.removesuffix('_bucket').removesuffix('_count')} " in text and name in text, name
    assert 'prmkit_requests_total{route="/v1/score",code="200"}' in text


def test_overload_answers_429_and_the_server_stays_up(tmp_path: Path, cases: list[Solution]) -> None:
    offline = [to_record(r) for r in load_prm("arith").score(cases)]
    body = [_body(s) for s in cases[:64]]
    with serving(tmp_path, "--prm", "arith", "--no-cache", "--max-queue", "1", "--max-wait-ms", "0") as server:
        with ThreadPoolExecutor(48) as pool:
            replies = list(pool.map(lambda _: call(server.url + "/v1/score", body), range(96)))
        statuses = [s for s, _ in replies]
        assert set(statuses) <= {200, 429} and statuses.count(429) > 0 and statuses.count(200) > 0, statuses
        for status, reply in replies:
            if status == 200:
                assert [{k: v for k, v in r.items() if k != "id"} for r in reply["results"]] == offline[:64]
            else:
                assert "--max-queue" in reply["detail"]
        assert call(server.url + "/health", key=None)[1]["status"] == "ok"
        assert call(server.url + "/v1/score", body[:2])[0] == 200
        assert server.proc.poll() is None


def test_shutdown_finishes_the_requests_in_flight(tmp_path: Path, cases: list[Solution]) -> None:
    with serving(tmp_path, "--prm", "arith", "--no-cache", "--max-wait-ms", "1500") as server:
        got: list[tuple[int, Any]] = []
        client = threading.Thread(target=lambda: got.append(call(server.url + "/v1/score", _body(cases[0]))))
        client.start()
        time.sleep(0.5)  # the request is waiting for its batch to fill
        server.proc.send_signal(signal.SIGTERM)
        client.join(30)
        assert server.proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert got and got[0][0] == 200 and got[0][1]["results"][0]["step_scores"]
