"""Readouts and verifiers as registered objects: each readout's math exists once and every backend uses it;
weights, thresholds and dtypes are resolved once for every backend; a new readout or verifier is data."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.scoring import (
    READOUTS,
    SPECS,
    VERIFIERS,
    PRMSpec,
    get_readout,
    get_spec,
    load_prm,
    score,
)
from prmkit.scoring._weights import resolve_threshold, resolve_weights
from prmkit.scoring.readouts import LogRatio, ModelReadout, TokenClassify
from prmkit.scoring.verifiers import build_verifier
from prmkit.types import ScoreResult, Solution, StepScores


def test_every_catalogued_readout_is_a_registered_object() -> None:
    assert READOUTS.names() == [
        "generative", "log_ratio", "tag_logits", "token_classify", "value_head", "verifier"
    ]
    for name in SPECS:
        spec = get_spec(name)
        readout = get_readout(spec.readout)
        assert readout is READOUTS.get(spec.readout) and readout.name == spec.readout
        expected = {"verifier": "verifier", "generative": "judge"}.get(spec.readout, "hf")
        assert readout.backend == expected


def test_an_unknown_readout_is_a_spec_error_that_suggests() -> None:
    with pytest.raises(ConfigError, match=r"unknown readout 'value_haed'; did you mean 'value_head'"):
        PRMSpec(name="t", readout="value_haed", format="segments", step_marker="\n")


def test_the_readout_math_in_float32() -> None:
    torch = pytest.importorskip("torch")
    spec = PRMSpec(name="t", readout="token_classify", format="segments", step_marker="\n", positive_index=0)
    out = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.bfloat16)
    p = get_readout("token_classify").probabilities(spec, out)  # type: ignore[union-attr]
    assert p.dtype == torch.float32
    assert p.tolist() == pytest.approx([1 / (1 + math.exp(-2)), 1 / (1 + math.e)])
    v = get_readout("value_head").probabilities(spec, torch.tensor([[0.0], [1.0]]))  # type: ignore[union-attr]
    assert v.tolist() == pytest.approx([0.5, 1 / (1 + math.exp(-1))])
    t = get_readout("tag_logits").probabilities(spec, torch.tensor([[1.0, 1.0], [3.0, 1.0]]))  # type: ignore[union-attr]
    assert t.tolist() == pytest.approx([0.5, 1 / (1 + math.exp(-2))])


def test_log_ratio_sums_each_step_or_the_running_total() -> None:
    from prmkit.scoring.render import Rendered

    rendered = Rendered(input_ids=tuple(range(8)), positions=(4, 7), spans=((3, 5), (5, 8)))
    ratio = [1.0, 2.0, 10.0, 20.0, 30.0]
    spec = replace(get_spec("eurus-prm-stage2"), beta=1.0, sigmoid=False)
    readout = get_readout("log_ratio")
    assert isinstance(readout, LogRatio)
    assert readout.step_scores(spec, rendered, ratio) == [3.0, 63.0]
    assert readout.step_scores(replace(spec, cumulative=False), rendered, ratio) == [3.0, 60.0]
    assert readout.step_scores(replace(spec, beta=0.01, sigmoid=True), rendered, ratio)[0] == pytest.approx(
        1 / (1 + math.exp(-0.03))
    )


def test_head_checks_name_the_spec_and_the_model() -> None:
    spec = PRMSpec(name="t", readout="token_classify", format="segments", step_marker="\n", positive_index=2)
    with pytest.raises(ConfigError, match=r"'t': positive_index 2 but runs/x has 2 labels"):
        get_readout("token_classify").check_outputs(spec, 2, "runs/x")  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"value_head needs a 1-output head, runs/x has 2"):
        get_readout("value_head").check_outputs(spec, 2, "runs/x")  # type: ignore[union-attr]


def test_the_hf_backend_runs_the_registered_readout_object(
    qwen_classifier: Any, qwen_prm_tok: Any, solutions: Sequence[Solution], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    prm = load_prm("qwen2.5-math-prm-7b", model=qwen_classifier(2, 11), tokenizer=qwen_prm_tok)
    assert prm.readout is get_readout("token_classify")  # type: ignore[attr-defined]
    calls: list[int] = []
    real = TokenClassify.probabilities

    def spy(self: TokenClassify, spec: PRMSpec, outputs: Any) -> Any:
        calls.append(outputs.shape[0])
        return real(self, spec, outputs)

    monkeypatch.setattr(TokenClassify, "probabilities", spy)
    results = score(prm, solutions)
    assert sum(calls) == sum(r.n_steps for r in solutions) == sum(len(r) for r in results)  # type: ignore[arg-type]


def test_a_new_readout_is_one_object_and_one_catalog_entry(
    qwen_classifier: Any, qwen_prm_tok: Any, solutions: Sequence[Solution], monkeypatch: pytest.MonkeyPatch
) -> None:
    """P(step is wrong) from a token classifier: the hf backend reads it with no change of its own."""
    pytest.importorskip("torch")

    class WrongProbability(TokenClassify):
        name = "wrong_probability"

        def probabilities(self, spec: PRMSpec, outputs_N_C: Any) -> Any:
            return 1.0 - super().probabilities(spec, outputs_N_C)

    monkeypatch.setitem(READOUTS._items, "wrong_probability", WrongProbability())
    base = get_spec("qwen2.5-math-prm-7b")
    spec = replace(base, name="qwen-wrong", readout="wrong_probability")
    model = qwen_classifier(2, 11)
    right = score(load_prm(base, model=model, tokenizer=qwen_prm_tok), solutions)
    wrong = score(load_prm(spec, model=model, tokenizer=qwen_prm_tok), solutions)
    for a, b in zip(right, wrong, strict=True):
        assert isinstance(a, StepScores) and isinstance(b, StepScores)
        assert b.scores == pytest.approx([1 - x for x in a.scores], abs=1e-6)


def test_model_backends_refuse_a_verifier_readout() -> None:
    spec = replace(get_spec("trl-prm"), name="judge", readout="verifier")
    with pytest.raises(ConfigError, match=r"'judge'.*readout 'verifier' is not a model readout"):
        load_prm(spec, backend="hf", model="unused")


class AlwaysRight:
    """A second model-free checker: every step is right."""

    def __init__(self, spec: PRMSpec, **options: Any) -> None:
        self.spec, self.options = spec, options

    @property
    def identity(self) -> str:
        return f"verifier:{self.spec.name}:always-right"

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        return [StepScores((1.0,) * s.n_steps) for s in solutions]


def test_a_second_verifier_is_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(VERIFIERS._items, "always-right", AlwaysRight)
    spec = PRMSpec(name="lenient", readout="verifier", format="none", verifier="always-right")
    prm = load_prm(spec, strictness=3)
    assert isinstance(prm, AlwaysRight) and prm.options == {"strictness": 3}
    assert prm.score([Solution("?", ("2 + 2 = 5",))])[0].scores == (1.0,)  # type: ignore[union-attr]
    # the default verifier is still arith, and the verifier's name is part of the spec's fingerprint
    assert load_prm("arith").score([Solution("?", ("2 + 2 = 5",))])[0].scores == (0.0,)  # type: ignore[union-attr]
    assert spec.fingerprint() != replace(spec, verifier=None).fingerprint()
    with pytest.raises(UnknownNameError, match=r"unknown verifier 'arithh'; did you mean 'arith'"):
        build_verifier(replace(spec, verifier="arithh"))


def test_weights_and_the_reference_are_resolved_once_for_every_backend() -> None:
    with pytest.raises(ConfigError, match="has no default weights; pass model="):
        resolve_weights(get_spec("trl-prm"), None)
    with pytest.raises(ConfigError, match=r"\(log_ratio\) needs reference_model="):
        resolve_weights(get_spec("implicit-prm"), "policy")
    assert resolve_weights(get_spec("eurus-prm-stage1"), None) == ["PRIME-RL/EurusPRM-Stage1", "Qwen/Qwen2.5-Math-7B-Instruct"]
    assert resolve_weights(get_spec("trl-prm"), "runs/a", "ignored") == ["runs/a"]


def test_the_threshold_of_a_head_folder_that_disagrees_with_its_spec(tmp_path: Path) -> None:
    """The spec's threshold stays with the spec's weights, even when they are a head folder with another
    fitted threshold; a head folder given as ``model=`` is read at its own."""
    head = tmp_path / "head"
    head.mkdir()
    meta = {"backbone": "b", "num_labels": 2, "head": "score", "threshold": 0.7}
    (head / "prmkit_head.json").write_text(json.dumps(meta))
    spec = replace(get_spec("trl-prm"), model=str(head), threshold=0.3)
    assert resolve_threshold(spec, None) == 0.3
    assert resolve_threshold(spec, str(head)) == 0.7
    assert resolve_threshold(replace(spec, model=None), head) == 0.7
    assert resolve_threshold(spec, object()) == 0.3  # a loaded model has no folder to read


def test_every_model_backend_resolves_through_the_one_module() -> None:
    """The ``hf`` and ``vllm`` backends import the readout objects, weights, threshold and dtype from the same
    place, and neither holds readout math of its own."""
    import inspect

    from prmkit.scoring import _weights, hf, readouts, vllm

    for backend in (hf, vllm):
        for name in ("resolve_dtype", "resolve_threshold", "resolve_weights", "load_model"):
            assert getattr(backend, name) is getattr(_weights, name), (backend.__name__, name)
        assert backend.model_readout is readouts.model_readout
        source = inspect.getsource(backend)
        assert not any(f"torch.{fn}" in source for fn in ("softmax", "sigmoid", "logsumexp")), backend.__name__
        assert 'readout == "' not in source and "readout in (" not in source, backend.__name__


def test_training_reads_the_head_size_from_the_readout() -> None:
    from prmkit.training.config import TrainConfig

    common = dict(train_path="t.jsonl", model="m", output_dir="o")
    assert TrainConfig(**common, loss="pqm", step_marker="\n\n").num_labels == get_readout("value_head").num_labels == 1  # type: ignore[arg-type]
    assert TrainConfig(**common).num_labels == 2  # type: ignore[arg-type]
    assert isinstance(get_readout(TrainConfig(**common).readout), ModelReadout)  # type: ignore[arg-type]
