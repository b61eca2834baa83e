"""GenerationRequest validation, the seed rule, stop cutting, the registry."""

from __future__ import annotations

import sys

import pytest

from prmkit.errors import ConfigError, UnknownNameError
from prmkit.generation import (
    GENERATORS,
    GenerationRequest,
    Sample,
    check_samples,
    cut_at_stop,
    load_generator,
    sample_seed,
)


def test_request_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        GenerationRequest("", n=0, max_tokens=0, temperature=-1, top_p=0, stop=("",), seed=-2)
    msg = str(err.value)
    for field in ("prompt", "n must", "max_tokens", "temperature", "top_p", "stop strings", "seed"):
        assert field in msg, field


def test_stop_is_normalised_to_a_tuple() -> None:
    assert GenerationRequest("x", stop="\n").stop == ("\n",)  # type: ignore[arg-type]
    assert GenerationRequest("x", stop=["a", "b"]).stop == ("a", "b")  # type: ignore[arg-type]


def test_sample_j_uses_seed_plus_j() -> None:
    req = GenerationRequest("x", n=4, seed=100)
    assert [sample_seed(req, j) for j in range(4)] == [100, 101, 102, 103]
    assert sample_seed(GenerationRequest("x"), 3) is None


def test_cut_at_the_earliest_stop_string() -> None:
    assert cut_at_stop("step 1\n\nstep 2", ("step 2", "\n\n")) == ("step 1", True)
    assert cut_at_stop("no stop here", ("\n",)) == ("no stop here", False)
    assert cut_at_stop("abc", ()) == ("abc", False)


def test_check_samples_enforces_n_per_request() -> None:
    reqs = [GenerationRequest("a", n=2)]
    s = Sample("t", 1, "stop", 1)
    assert check_samples(reqs, [[s, s]]) == [[s, s]]
    with pytest.raises(AssertionError, match="returned 1 samples, n=2"):
        check_samples(reqs, [[s]])


def test_registry_names_every_backend_and_suggests() -> None:
    assert GENERATORS.names() == ["hf", "llamacpp", "openai", "vllm"]
    with pytest.raises(UnknownNameError, match="did you mean 'llamacpp'"):
        load_generator("llama.cpp")


def test_vllm_backend_without_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # as where it is not installed: `import vllm` fails
    from prmkit.errors import MissingExtraError

    with pytest.raises(MissingExtraError, match=r"pip install 'prmkit\[vllm\]'"):
        load_generator("vllm", model="smollm2-135m-instruct")
