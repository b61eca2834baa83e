"""The ``remote`` scoring backend against a real ``prmkit serve``: the same scores as local scoring, for the
``arith`` verifier on ProcessBench GSM8K and for a tiny real model, wherever a PRM name is accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from _require import need_module
from _serve_proc import KEY, Server, call, serving
from _shared_data import shared_path
from _tiny import tiny_config

from prmkit.cli import main
from prmkit.data import load_processbench
from prmkit.errors import ConfigError
from prmkit.scoring import load_prm, scorer_info
from prmkit.scoring.config import ScorerConfig
from prmkit.scoring.remote import RemoteError, RemoteScorer
from prmkit.types import Solution, StepScores

need_module("fastapi", "fastapi is not installed: pip install 'prmkit[serve]'")
need_module("uvicorn", "uvicorn is not installed: pip install 'prmkit[serve]'")

pytestmark = pytest.mark.slow  # real server processes


@pytest.fixture(scope="module")
def cases() -> list[Solution]:
    return [c.solution() for c in load_processbench(shared_path("processbench", "gsm8k.json"))[:50]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve"), "--prm", "arith", "--max-solutions", "16") as s:
        yield s


def test_remote_scores_are_the_local_scores_on_processbench_gsm8k(
    server: Server, cases: list[Solution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRMKIT_API_KEY", KEY)
    local = load_prm("arith")
    remote = load_prm(f"{server.url}/arith")
    assert isinstance(remote, RemoteScorer) and remote.batch_size == 16  # the server's --max-solutions
    before = call(server.url + "/metrics", key=None)[1]
    assert remote.score(cases) == local.score(cases)
    after = call(server.url + "/metrics", key=None)[1]
    ok = 'prmkit_requests_total{route="/v1/score",code="200"} '
    counts = [int(t.split(ok)[1].split()[0]) if ok in t else 0 for t in (before, after)]
    assert counts[1] - counts[0] == 4  # 50 solutions in requests of at most 16
    assert scorer_info(remote) == scorer_info(local)  # the cache keys remote and local scores alike
    cached = ScorerConfig(prm=f"{server.url}/arith", no_cache=True).load()
    assert cached.score(cases[:5]) == local.score(cases[:5])


def test_a_served_prm_is_accepted_where_a_prm_name_is(
    server: Server, cases: list[Solution], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRMKIT_API_KEY", KEY)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": s.id, "problem": s.problem, "steps": list(s.steps)}) + "\n"
                           for s in cases[:6]))
    assert main(["score", "--prm", f"{server.url}/arith", "--input", str(src), "--output", str(out)]) == 0
    got = [json.loads(line)["step_scores"] for line in out.read_text().splitlines()]
    assert got == [list(r.scores) for r in load_prm("arith").score(cases[:6])]  # type: ignore[union-attr]


def test_a_wrong_name_key_or_option_fails_clearly(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRMKIT_API_KEY", KEY)
    with pytest.raises(ConfigError, match="serves 'arith', not 'prmkit-prm'"):
        load_prm(f"{server.url}/prmkit-prm")
    with pytest.raises(ConfigError, match="model are the server's to choose"):
        load_prm(f"{server.url}/arith", model="elsewhere")
    with pytest.raises(RemoteError, match="HTTP 401"):
        load_prm(f"{server.url}/arith", api_key="wrong")
    with pytest.raises(RemoteError, match="after 1 attempt"):
        RemoteScorer("http://127.0.0.1:9/arith", max_retries=0, timeout=2)


def test_a_tiny_real_model_scores_the_same_remotely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = need_module("torch")
    need_module("transformers")
    from transformers import Qwen2Config, Qwen2ForTokenClassification

    from prmkit.models.tokenizers import qwen_tokenizer

    tok = qwen_tokenizer()
    torch.manual_seed(7)
    model = Qwen2ForTokenClassification(Qwen2Config(**tiny_config(vocab_size=len(tok), num_labels=2)))
    folder = tmp_path / "tiny-prm"
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    sols = [Solution("What is 2 + 3?", ("2 + 3 = 5", "The answer is 5.")),
            Solution("Tom has 4 apples and eats 1. How many are left?", ("4 - 1 = 3", "He has 3 left.", "3")),
            Solution("?", ("",))]
    local = load_prm("trl-prm", model=str(folder), dtype="float32").score(sols)
    monkeypatch.setenv("PRMKIT_API_KEY", KEY)
    flags = ("--prm", "trl-prm", "--model", str(folder), "--dtype", "float32", "--no-cache")
    with serving(tmp_path / "serve", *flags) as server:
        remote = load_prm(f"{server.url}/trl-prm").score(sols)
    assert [type(r) for r in remote] == [type(r) for r in local] == [StepScores, StepScores, type(local[2])]
    assert remote[2] == local[2]  # the empty step's typed failure, passed through
    for r, loc in zip(remote[:2], local[:2], strict=True):
        assert isinstance(r, StepScores) and isinstance(loc, StepScores) and r.tokens == loc.tokens
        assert r.scores == pytest.approx(loc.scores, abs=1e-6)
