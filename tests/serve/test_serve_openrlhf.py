"""OpenRLHF's remote reward client (``openrlhf==0.11.2``, ``openrlhf.utils.agent``), unchanged, against a real
``prmkit serve`` process: ``--remote_rm_url`` pointing at ``/v1/openrlhf``, one URL and several.

The executor runs its own single-turn path: it tokenizes the prompt with the SmolLM2 tokenizer, takes the
response tokens from the engine (scripted here: vLLM is not installed on this CPU, and only its token ids
are used), decodes prompt and response with their special tokens, posts to the URL and reads the answer.
The rewards must equal offline scoring with the same PRM and credit rule.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from _require import need_module
from _serve_proc import KEY, Server, call, serving

from prmkit.rewards import CREDIT
from prmkit.rewards.openrlhf import openrlhf_samples
from prmkit.scoring.arith import ArithVerifier
from prmkit.steps import grade_text, split_steps
from prmkit.types import ScoreFailure, Solution, StepScores

need_module("fastapi", "fastapi is not installed: pip install 'prmkit[serve]'")
need_module("uvicorn", "uvicorn is not installed: pip install 'prmkit[serve]'")
need_module("openrlhf", "openrlhf is not installed: bash scripts/install.sh dev (openrlhf is installed with --no-deps)")
from openrlhf.utils.agent import SingleTurnAgentExecutor  # noqa: E402

pytestmark = pytest.mark.slow  # a real server process

PROBLEM = "What is (2 + 2) * 3?"
RESPONSES = [
    "2 + 2 = 4.\n\n4 * 3 = 12.\n\nThe answer is: 12",
    "2 + 2 = 5.\n\n5 * 3 = 15.\n\nThe answer is: 15",
    "(2 + 2) * 3 = 12.\n\nThe answer is: 12",
]
QUERY = "?rule=min&temperature=0&outcome_weight=1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve"), "--prm", "arith", "--no-cache") as s:
        yield s


@pytest.fixture(scope="module")
def tok() -> Any:
    need_module("transformers")
    from prmkit.models.tokenizers import smollm2_tokenizer

    return smollm2_tokenizer()


def _offline(response: str, reference: str = "12") -> float:
    (scores,) = ArithVerifier().score([Solution(PROBLEM, split_steps(response))])
    assert isinstance(scores, StepScores)
    return CREDIT.get("min")(scores.scores, float(grade_text(response, reference)), temperature=0).value


class _Engine:
    """What the executor needs of vLLM's engine: ``generate`` returning the response's token ids."""

    def __init__(self, response_ids: list[int]) -> None:
        self.response_ids = response_ids

    async def generate(self, prompt_ids: list[int], params: Any, multi_modal_data: Any = None) -> Any:
        out = SimpleNamespace(token_ids=self.response_ids, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[out])


def _authed(url: str) -> str:
    """The URL with the key as its password: aiohttp sends it as HTTP Basic auth."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://prmkit:{KEY}@{rest}"


def test_openrlhf_executor_gets_the_offline_rewards(server: Server, tok: Any) -> None:
    prompt = tok.apply_chat_template([{"role": "user", "content": PROBLEM}], tokenize=False, add_generation_prompt=True)
    executor = SingleTurnAgentExecutor(remote_rm_url=[_authed(server.url) + "/v1/openrlhf" + QUERY])
    params = SimpleNamespace(max_tokens=64, logprobs=None)
    got = []
    for response in RESPONSES:
        engine = _Engine(tok(response, add_special_tokens=False)["input_ids"] + [tok.eos_token_id])
        out = asyncio.run(executor.execute(prompt, "12", params, 256, tok, engine))
        assert out["extra_logs"]["prm_failed"] == [0.0] and out["extra_logs"]["prm_steps"] == [len(split_steps(response))]
        assert out["scores"] == out["reward"]
        got.append(out["reward"][0])
    assert got == pytest.approx([_offline(r) for r in RESPONSES], abs=1e-12)
    assert got == pytest.approx([2.0, -1.0, 2.0])


def test_several_urls_share_the_queries_and_keys_are_checked(server: Server, tok: Any) -> None:
    prompt = tok.apply_chat_template([{"role": "user", "content": PROBLEM}], tokenize=False, add_generation_prompt=True)
    queries = [prompt + r + tok.eos_token for r in RESPONSES]
    other = server.url.replace("127.0.0.1", "localhost")
    urls = [_authed(u) + "/v1/openrlhf" + QUERY for u in (server.url, other)]
    executor = SingleTurnAgentExecutor(remote_rm_url=",".join(urls).split(","))  # as train_ppo_ray splits it
    answers = asyncio.run(executor._fetch_rewards_via_http(queries, [prompt] * 3, ["12", "12", "15"]))
    assert len(answers) == 2  # two shards, one per URL
    rewards = [r for a in answers for r in a["rewards"]]
    assert rewards == pytest.approx([_offline(RESPONSES[0]), _offline(RESPONSES[1]), _offline(RESPONSES[2], "15")])

    body = {"query": queries[:1], "prompts": [prompt], "labels": ["12"]}
    assert call(server.url + "/v1/openrlhf", body, key=None)[0] == 401
    basic = base64.b64encode(b"prmkit:not-the-key").decode()
    assert call(server.url + "/v1/openrlhf", body, key=None, headers={"Authorization": f"Basic {basic}"})[0] == 401
    status, reply = call(server.url + "/v1/openrlhf?rule=min&temperature=0", body)  # Bearer works too
    assert status == 200 and reply["rewards"] == [pytest.approx(_offline(RESPONSES[0]) - 1.0)]  # no outcome weight
    basic = base64.b64encode(f"u:{KEY}".encode()).decode()
    assert call(server.url + "/v1/score", {"problem": "?", "steps": ["1 + 1 = 2"]}, key=None,
                headers={"Authorization": f"Basic {basic}"})[0] == 401  # Basic is for /v1/openrlhf only
    status, reply = call(server.url + "/v1/openrlhf?rule=min&eta=1", body)
    assert status == 422 and "eta" in reply["detail"]
    status, reply = call(server.url + "/v1/openrlhf", {**body, "prompts": []})
    assert status == 422 and "1 queries, 0 prompts" in reply["detail"]
    status, reply = call(server.url + "/v1/openrlhf", {**body, "query": [prompt + "   "]})
    assert status == 200 and reply["rewards"] == [0.0] and reply["extra_logs"]["prm_failed"] == [1.0]
    assert KEY not in server.log.read_text()


def test_problem_and_response_are_cut_out_of_the_query(tok: Any) -> None:
    prompt = tok.apply_chat_template([{"role": "user", "content": PROBLEM}], tokenize=False, add_generation_prompt=True)
    (s,) = openrlhf_samples(["<s>" + prompt + RESPONSES[0] + tok.eos_token + "\n"], [prompt], ["12"])  # a BOS before
    assert s.solution is not None and s.solution.problem == PROBLEM
    assert s.solution.steps == split_steps(RESPONSES[0]) and s.response == RESPONSES[0]
    (lost,) = openrlhf_samples(["something else"], [prompt])
    assert lost.solution is None


def test_a_failure_or_a_nan_score_fails_that_sample_only() -> None:
    from prmkit.rewards.openrlhf import openrlhf_reply

    samples = openrlhf_samples(["Q\n1 + 1 = 2", "Q\n1 + 1 = 2", "Q\n1 + 1 = 2", "Q\n  "], ["Q"] * 4, ["2"] * 4)
    results = [ScoreFailure("context_length", "too long"), StepScores((float("nan"),)), StepScores((0.25,))]
    reply = openrlhf_reply(samples, results, "sum")
    assert reply["rewards"] == [0.0, 0.0, 0.25, 0.0] and reply["scores"] == reply["rewards"]
    assert reply["extra_logs"] == {"prm_steps": [1.0, 1.0, 1.0, 0.0], "prm_failed": [1.0, 1.0, 0.0, 1.0],
                                   "prm_min_score": [0.0, 0.0, 0.25, 0.0]}
