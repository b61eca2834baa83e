"""The ``vllm`` scoring backend gives the ``hf`` backend's scores: for trained PRMs (token classifiers, a PQM
value head, an implicit PRM's log-ratio), for "+/-" tag PRMs (Math-Shepherd's and RLHFlow's formats, on
untied and tied LM heads), and for prmkit's own.

vLLM runs in its own environment (``tests/_vllm_env.py``). The parity test trains PRMs here with
``prmkit.training``, scores them here with the ``hf`` backend, then scores the same folders there with
the ``vllm`` backend (``_vllm_child.py``, and the ``prmkit score`` command) and compares. vLLM's CPU attention needs a head size of at least 32, so the tiny
backbone here is wider than the other tests' (hidden 128, 2 heads of 64).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _require import need_module
from _vllm_env import vllm_python

from prmkit.errors import ConfigError, MissingExtraError
from prmkit.scoring import BACKENDS, get_spec, load_prm

GOLDEN = Path(__file__).parent / "golden" / "prmkit-prm-real.json"
QWEN_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
"""The system prompt of the Qwen2.5-Math-PRM model card, written here rather than read from the catalog."""


def test_vllm_is_a_scoring_backend() -> None:
    assert "vllm" in BACKENDS.names()


def test_a_verifier_is_refused_before_vllm_is_imported() -> None:
    """A generative verifier has no per-token model readout; the refusal comes before vLLM is needed."""
    spec = replace(get_spec("trl-prm"), name="judge", readout="verifier")
    with pytest.raises(ConfigError, match=r"'judge'.*readout 'verifier' is not a model readout"):
        load_prm(spec, backend="vllm", model="unused")


def test_without_vllm_the_error_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # as where it is not installed: `import vllm` fails
    with pytest.raises(MissingExtraError, match=r"scripts/install.sh vllm"):
        load_prm("trl-prm", backend="vllm", model="unused")


def _qwen_math_prm(path: Path, tok: Any, **config: Any) -> Path:
    """A tiny checkpoint laid out as Qwen2.5-Math-PRM ships: ``Qwen2ForProcessRewardModel`` (the backbone's
    blocks plus a two-layer MLP ``score`` head on every token, 2 labels) and Qwen's tokenizer with ``<extra_0>``."""
    import torch
    from _tiny import save_tiny_lm
    from safetensors.torch import load_file, save_file

    tok = copy.deepcopy(tok)
    tok.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    backbone = save_tiny_lm(path.with_name(path.name + "-base"), "qwen2", tok, pad_token_id=tok.pad_token_id, **config)
    path.mkdir()
    weights = {k: v for k, v in load_file(str(backbone / "model.safetensors")).items() if not k.startswith("lm_head.")}
    g = torch.Generator().manual_seed(5)
    h = weights["model.embed_tokens.weight"].shape[1]
    for name, shape in (("score.0.weight", (h, h)), ("score.0.bias", (h,)), ("score.2.weight", (2, h)), ("score.2.bias", (2,))):
        weights[name] = torch.randn(shape, generator=g) * 0.3
    save_file(weights, str(path / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((backbone / "config.json").read_text())
    config |= {"architectures": ["Qwen2ForProcessRewardModel"], "num_labels": 2}
    (path / "config.json").write_text(json.dumps(config))
    tok.save_pretrained(str(path))
    return path


def _model_card_scores(folder: Path, sols: list[Any]) -> list[list[float]]:
    """The model card's procedure: the chat-formatted solution with ``<extra_0>`` after every step,
    ``softmax(score(hidden))[..., 1]`` at the ``<extra_0>`` tokens, in float32."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, Qwen2Model

    tok = AutoTokenizer.from_pretrained(str(folder))
    sep = tok.convert_tokens_to_ids("<extra_0>")
    w = load_file(str(folder / "model.safetensors"))
    model = Qwen2Model.from_pretrained(str(folder), dtype=torch.float32)
    out = []
    for sol in sols:
        messages = [{"role": "system", "content": QWEN_SYSTEM},
                    {"role": "user", "content": sol.problem},
                    {"role": "assistant", "content": "<extra_0>".join(sol.steps) + "<extra_0>"}]
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        ids = torch.tensor([tok.encode(text)])
        with torch.inference_mode():
            hidden = model(ids).last_hidden_state[0]
            x = torch.relu(hidden @ w["score.0.weight"].T + w["score.0.bias"])
            probs = torch.softmax(x @ w["score.2.weight"].T + w["score.2.bias"], dim=-1)[:, 1]
        out.append(probs[ids[0] == sep].tolist())
    return out


def _records() -> list[dict[str, Any]]:
    recs = []
    for i, (a, b, c) in enumerate([(3, 4, 5), (12, 30, 7), (8, 8, 1), (41, 2, 19), (5, 6, 20), (9, 13, 4)]):
        wrong = i % 3 == 1
        s1 = a + b + (1 if wrong else 0)
        steps = [f"First, {a} + {b} = {s1}.", f"Then {s1} + {c} = {s1 + c}.", f"The answer is {s1 + c}."]
        recs.append({"prompt": f"What is {a} + {b} + {c}?", "completions": steps,
                     "labels": [not wrong, not wrong, not wrong]})
    return recs


@pytest.mark.slow
def test_vllm_scores_trained_prms_and_the_embedded_prm_as_hf_does(tmp_path: Path, shared_data: Path) -> None:
    python = vllm_python()
    need_module("torch")
    need_module("peft")
    from _tiny import save_tiny_lm
    from tokenizers import AddedToken

    from prmkit.data import load_processbench
    from prmkit.models.tokenizers import qwen_tokenizer, smollm2_tokenizer
    from prmkit.training import TrainConfig, load_spec, train
    from prmkit.types import Solution, StepScores

    tok = qwen_tokenizer()
    backbone = save_tiny_lm(tmp_path / "backbone", "qwen2", tok, hidden_size=128, intermediate_size=256,
                            num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024,
                            pad_token_id=tok.pad_token_id)
    recs = _records()
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    common: dict[str, Any] = dict(train_path=str(data), model=str(backbone), batch_size=2, progress=False,
                                  threads=1, seed=3, learning_rate=5e-2, trainable="lora", lora_r=4, max_steps=3)
    # a LoRA token classifier cut to one block: the merged folder, and the small head folder prmkit ships
    train(TrainConfig(output_dir=str(tmp_path / "bce"), layers=1, save_head=True, **common))
    # a PQM value head (one output, read through a sigmoid)
    train(TrainConfig(output_dir=str(tmp_path / "pqm"), loss="pqm", step_marker="\n\n", **common))
    # an implicit PRM: a LoRA policy trained on outcomes beside its frozen reference, read by log_ratio
    outcomes = tmp_path / "outcomes.jsonl"
    outcomes.write_text("".join(json.dumps({"prompt": r["prompt"], "completions": r["completions"],
                                            "outcome": all(r["labels"])}) + "\n" for r in recs))
    train(TrainConfig(output_dir=str(tmp_path / "implicit"), loss="implicit", beta=0.5,
                      **{**common, "train_path": str(outcomes), "learning_rate": 2e-2}))
    folders = [tmp_path / "bce", tmp_path / "bce" / "head", tmp_path / "pqm", tmp_path / "implicit"]
    # "+/-" tag PRMs are causal LMs read at two LM-head rows: an untied Llama (SmolLM2's tokenizer with
    # Math-Shepherd's " ки" added as one token) in Math-Shepherd's and RLHFlow's formats, a tied Qwen2 in
    # RLHFlow's; initialised wide (0.2) so that the two logits differ by a few units, as a trained PRM's do
    shepherd_tok = smollm2_tokenizer()
    shepherd_tok.add_tokens([AddedToken(" ки", normalized=False, special=False)])
    wide: dict[str, Any] = dict(hidden_size=128, intermediate_size=256, num_attention_heads=2, num_key_value_heads=1,
                                max_position_embeddings=1024, initializer_range=0.2)
    llama = save_tiny_lm(tmp_path / "llama-lm", "llama", shepherd_tok, tie_word_embeddings=False, **wide)
    qwen = save_tiny_lm(tmp_path / "qwen-lm", "qwen2", tok, pad_token_id=tok.pad_token_id, **wide)
    catalog = [("math-shepherd", llama), ("rlhflow-8b-deepseek", llama), ("rlhflow-8b-mistral", qwen)]
    math_prm = _qwen_math_prm(tmp_path / "qwen-math-prm", tok, **wide)

    # the head folder's fitted threshold disagrees with its spec's (0.5): the spec's own weights are read at the
    # spec's threshold, and the folder given as model= at its own, on both backends
    head_meta = tmp_path / "bce" / "head" / "prmkit_head.json"
    head_meta.write_text(json.dumps({**json.loads(head_meta.read_text()), "threshold": 0.7}))
    runs_as = [(folder, {}) for folder in folders] + [(tmp_path / "bce" / "head", {"model": str(tmp_path / "bce" / "head")})]

    sols = [Solution(r["prompt"], tuple(r["completions"])) for r in recs]
    long_problem = "Add up all of these numbers, one after the other: " + " + ".join(str(k) for k in range(200)) + "?"
    extra = [Solution(long_problem, ("The sum is 19900.",)), Solution("What is 2 + 2?", ("2 + 2 = 4.", " "))]
    max_length = 256
    want: list[list[Any]] = []
    thresholds: list[float] = []
    for folder, options in runs_as:
        prm = load_prm(load_spec(folder), dtype="float32", max_length=max_length, **options)
        want.append([list(r.scores) if isinstance(r, StepScores) else r.reason for r in prm.score(sols + extra)])
        thresholds.append(prm.threshold)  # type: ignore[attr-defined]
    assert thresholds == [0.5, 0.5, 0.5, 0.5, 0.7]  # bce/head read as its spec's weights, then given as model=
    for name, folder in catalog:
        hf = load_prm(name, model=str(folder), dtype="float32", max_length=max_length).score(sols + extra)
        want.append([list(r.scores) if isinstance(r, StepScores) else r.reason for r in hf])
    want.append([*_model_card_scores(math_prm, sols), "context_length", "empty_step"])
    catalog.append(("qwen2.5-math-prm-7b", math_prm))
    hf_trl = load_prm("trl-prm", model=str(tmp_path / "bce"), dtype="float32").score(sols)

    cases = load_processbench(shared_data / "processbench" / "gsm8k.json")[:6]
    golden = json.loads(GOLDEN.read_text())["scores"]
    runs = [{"prm": str(f), "solutions": [[s.problem, list(s.steps)] for s in sols + extra],
             "options": {"dtype": "float32", "max_length": max_length, **options}} for f, options in runs_as]
    runs += [{"prm": name, "solutions": [[s.problem, list(s.steps)] for s in sols + extra],
              "options": {"model": str(folder), "dtype": "float32", "max_length": max_length}} for name, folder in catalog]
    runs.append({"prm": "prmkit-prm", "solutions": [[c.problem, list(c.steps)] for c in cases],
                 "options": {"dtype": "float32"}})
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"runs": runs, "out": str(tmp_path / "vllm.json")}))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    child = subprocess.run([str(python), str(Path(__file__).parent / "_vllm_child.py"), str(job)], env=env,
                           capture_output=True, text=True, timeout=1200)
    assert child.returncode == 0, child.stderr[-4000:]
    got = json.loads((tmp_path / "vllm.json").read_text())

    labels = [f"{f} {o}" for f, o in runs_as] + [name for name, _ in catalog]
    prefixes = ["vllm:trained-"] * len(runs_as) + [f"vllm:{name}:" for name, _ in catalog]
    assert all(g["registered_readout"] for g in got)  # both backends run the registry's readout objects
    assert [g["threshold"] for g in got[: len(runs_as)]] == thresholds
    for label, prefix, w, g in zip(labels, prefixes, want, got[:-1], strict=True):
        assert g["identity"].startswith(prefix), label
        assert g["results"][-2:] == ["context_length", "empty_step"], label
        for ws, gs in zip(w, g["results"], strict=True):
            assert gs == pytest.approx(ws, abs=1e-5), label
        flat = [x for r in g["results"][:-2] for x in r]
        # trained or wide weights: the scores are not all one number (the tag PRMs' span most of (0, 1))
        assert max(flat) - min(flat) > (0.3 if prefix.endswith(":") else 1e-4), (label, min(flat), max(flat))
    # Qwen2.5-Math-PRM's architecture went to vLLM's own implementation and gave the model card's scores
    assert got[-2]["identity"].startswith("vllm:qwen2.5-math-prm-7b:")
    # prmkit's embedded PRM (Qwen2.5-Coder-0.5B cut to 14 blocks + LoRA factors + head), built for vLLM from
    # its head folder, gives its golden fp32 scores and keeps its fitted threshold
    embedded = got[-1]
    assert embedded["threshold"] == get_spec("prmkit-prm").threshold == 0.45
    for case, scores in zip(cases, embedded["results"], strict=True):
        assert scores == pytest.approx(golden[case.id], abs=1e-4), case.id

    # the command line: `prmkit score --backend vllm` on the merged folder, read as the catalog's trl-prm
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps({"id": f"r{i}", "problem": s.problem, "steps": list(s.steps)}) + "\n"
                           for i, s in enumerate(sols)))
    cli = Path(python).parent / "prmkit"
    cmd = [str(cli if cli.is_file() else python), *([] if cli.is_file() else ["-m", "prmkit.cli"]), "score",
           "--prm", "trl-prm", "--model", str(tmp_path / "bce"), "--backend", "vllm", "--dtype", "float32",
           "--no-cache", "--input", str(inp), "--output", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["id"] for d in lines] == [f"r{i}" for i in range(len(sols))]
    for d, h in zip(lines, hf_trl, strict=True):
        assert isinstance(h, StepScores)
        assert d["step_scores"] == pytest.approx(list(h.scores), abs=1e-5)
    assert sys.executable != str(python)  # the two backends really ran in two environments
