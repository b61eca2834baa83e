"""Readouts: what a PRM reads at each step, one registered object per readout, shared by every backend.

A readout object holds everything about a readout that does not depend on the
engine: the token ids it needs, the scores it makes from the model's raw
outputs (in float32), the checks on the model's head, the ``transformers``
class its weights load into, and how vLLM runs it (:class:`VLLMRun`). The
``hf`` and ``vllm`` backends only run engines: they gather the raw outputs the
readout :attr:`~ModelReadout.reads` and hand them to the readout.

Adding a readout is one object here (``READOUTS.register(name, obj)``) and a
catalog entry (:func:`prmkit.scoring.register_spec`) that names it.

>>> get_readout("value_head").num_labels
1
>>> [name for name in READOUTS if not get_readout(name).runs_model]
['verifier']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from prmkit._extras import require
from prmkit._registry import Registry
from prmkit.errors import ConfigError
from prmkit.scoring.hf_load import has_v_head, load_value_head_model, local_folder

if TYPE_CHECKING:
    from pathlib import Path

    from prmkit.scoring.render import Rendered, TokenIds
    from prmkit.scoring.spec import PRMSpec

__all__ = [
    "READOUTS",
    "GenerativeReadout",
    "LogRatio",
    "ModelReadout",
    "Reads",
    "TagLogits",
    "TokenClassify",
    "VLLMRun",
    "ValueHead",
    "VerifierReadout",
    "get_readout",
    "model_readout",
]

Reads = Literal["classifier", "lm_rows", "token_logprobs"]
"""What a backend gathers for a readout: the classification head's outputs at the step positions
(``classifier``), the LM head's :attr:`~prmkit.scoring.render.TokenIds.columns` rows there (``lm_rows``),
or the log-probability of every response token under each model (``token_logprobs``)."""


@dataclass(frozen=True)
class VLLMRun:
    """How the ``vllm`` backend runs a readout."""

    runner: Literal["pooling", "generate"]
    """``pooling``: the head's raw outputs at every token; ``generate``: every prompt token's log-probability."""
    options: dict[str, Any] = field(default_factory=dict)
    """Engine options of this readout (``convert``, ``hf_overrides``, ``pooler_config``)."""
    build: bool = True
    """Whether a head folder (or a checkpoint only the ``hf`` loader reads) is built into a plain model first."""
    extra_tokens: int = 0
    """Tokens the engine adds beyond the prompt (prompt log-probabilities come with one decoded token)."""
    lm_rows: tuple[str, ...] = ()
    """The tokens whose LM-head rows form the pooling classifier; vLLM's tokenizer must map them to the
    readout's ids, and the architecture's logit scaling or soft-capping is applied to what vLLM returns."""


class ModelReadout:
    """A readout that runs a model. Subclasses set the class attributes and the methods that differ."""

    name: ClassVar[str]
    reads: ClassVar[Reads]
    models: ClassVar[int] = 1
    """Models the readout runs: 1, or 2 (a policy and its reference)."""
    num_labels: ClassVar[int | None] = None
    """Outputs the head must have (``None``: any the spec's ``positive_index`` fits)."""
    runs_model: ClassVar[bool] = True
    backend: ClassVar[str] = "hf"
    """The backend :func:`~prmkit.scoring.load_prm` picks when none is named."""

    @property
    def at_markers(self) -> bool:
        """Read at one position per step (``False``: over each step's tokens, without a marker)."""
        return self.reads != "token_logprobs"

    def check_spec(self, spec: PRMSpec) -> list[str]:
        """The spec's problems for this readout (:class:`~prmkit.scoring.PRMSpec` reports them all at once)."""
        return [f"readout {self.name!r} needs a format other than 'none'"] if spec.format == "none" else []

    def label_ids(self, spec: PRMSpec, encode: Callable[[str], list[int]]) -> tuple[int, ...]:
        """The token ids whose LM-head columns the readout reads (none but for ``lm_rows``)."""
        return ()

    def check_outputs(self, spec: PRMSpec, n_outputs: int, where: str) -> None:
        """Raise :class:`ConfigError` when a head with ``n_outputs`` outputs (of ``where``) cannot be read."""

    def probabilities(self, spec: PRMSpec, outputs_N_C: Any) -> Any:
        """Step scores ``(N,)`` in float32 from the raw outputs ``(N, C)`` at N step positions."""
        raise NotImplementedError(f"readout {self.name!r} is not read at step positions")

    def step_scores(self, spec: PRMSpec, rendered: Rendered, ratio: Sequence[float]) -> list[float]:
        """One solution's step scores from ``log pi(y_i) - log pi_ref(y_i)`` of its response tokens."""
        raise NotImplementedError(f"readout {self.name!r} is not read from token log-probabilities")

    def load_model(self, spec: PRMSpec, source: str, *, dtype: Any, trust_remote_code: bool = False) -> Any:
        """The ``transformers`` model ``source`` (a folder or hub id) loads into for this readout."""
        transformers = require("transformers", extra="hf")
        return transformers.AutoModelForCausalLM.from_pretrained(source, dtype=dtype, trust_remote_code=trust_remote_code)

    def hf_only(self, folder: Path) -> bool:
        """Whether ``folder`` holds a layout only the ``hf`` loader reads (vLLM gets it built first)."""
        return False

    def vllm_run(self, spec: PRMSpec, tokenizer: Any, ids: TokenIds) -> VLLMRun:
        """How vLLM runs this readout: by default a pooling model returning every token's raw outputs."""
        return VLLMRun(runner="pooling", options={"pooler_config": _every_token_pooler()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class TokenClassify(ModelReadout):
    """Softmax over a token classifier's labels at each step position, index ``positive_index``."""

    name = "token_classify"
    reads = "classifier"

    def check_outputs(self, spec: PRMSpec, n_outputs: int, where: str) -> None:
        if not 0 <= spec.positive_index < n_outputs:
            raise ConfigError(f"PRM {spec.name!r}: positive_index {spec.positive_index} but {where} has {n_outputs} labels")

    def probabilities(self, spec: PRMSpec, outputs_N_C: Any) -> Any:
        torch = require("torch", extra="hf")
        return torch.softmax(outputs_N_C.float(), dim=-1)[:, spec.positive_index]

    def load_model(self, spec: PRMSpec, source: str, *, dtype: Any, trust_remote_code: bool = False) -> Any:
        transformers = require("transformers", extra="hf")
        kw: dict[str, Any] = {"dtype": dtype, "trust_remote_code": trust_remote_code}
        # Qwen2.5-Math-PRM ships its classifier as remote code registered under AutoModel only
        auto_map = getattr(transformers.AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code), "auto_map", None) or {}
        if trust_remote_code and "AutoModel" in auto_map and "AutoModelForTokenClassification" not in auto_map:
            return transformers.AutoModel.from_pretrained(source, **kw)
        return transformers.AutoModelForTokenClassification.from_pretrained(source, **kw)


class ValueHead(ModelReadout):
    """Sigmoid of a one-output head at each step position (PQM, Skywork's ``v_head``)."""

    name = "value_head"
    reads = "classifier"
    num_labels = 1

    def check_outputs(self, spec: PRMSpec, n_outputs: int, where: str) -> None:
        if n_outputs != 1:
            raise ConfigError(f"PRM {spec.name!r}: value_head needs a 1-output head, {where} has {n_outputs}")

    def probabilities(self, spec: PRMSpec, outputs_N_C: Any) -> Any:
        torch = require("torch", extra="hf")
        return torch.sigmoid(outputs_N_C.float()[:, 0])

    def load_model(self, spec: PRMSpec, source: str, *, dtype: Any, trust_remote_code: bool = False) -> Any:
        """A Skywork-style checkpoint (``v_head.summary`` on a causal LM) if the files hold one, else a
        1-label token classifier."""
        transformers = require("transformers", extra="hf")
        folder = local_folder(source)
        if has_v_head(folder):
            return load_value_head_model(folder, dtype=dtype)
        return transformers.AutoModelForTokenClassification.from_pretrained(
            source, num_labels=1, dtype=dtype, trust_remote_code=trust_remote_code
        )

    def hf_only(self, folder: Path) -> bool:
        return folder.is_dir() and has_v_head(folder)


class TagLogits(ModelReadout):
    """Softmax over the LM logits of ``good_token`` and ``bad_token`` only, index 0 (Math-Shepherd, RLHFlow)."""

    name = "tag_logits"
    reads = "lm_rows"

    def label_ids(self, spec: PRMSpec, encode: Callable[[str], list[int]]) -> tuple[int, ...]:
        g, b = encode(spec.good_token), encode(spec.bad_token)
        if not g or not b or g[-1] == b[-1]:
            raise ConfigError(f"PRM {spec.name!r}: good/bad tokens encode to {g} / {b}")
        return g[-1], b[-1]

    def probabilities(self, spec: PRMSpec, outputs_N_C: Any) -> Any:
        torch = require("torch", extra="hf")
        return torch.softmax(outputs_N_C.float()[:, :2], dim=-1)[:, 0]

    def vllm_run(self, spec: PRMSpec, tokenizer: Any, ids: TokenIds) -> VLLMRun:
        """The causal LM as it is, run as a pooling model whose classifier vLLM makes of the two LM-head rows
        when it loads the weights (``convert="classify"``, ``classifier_from_token``), nothing converted on disk."""
        tags = tuple(tokenizer.convert_ids_to_tokens(list(ids.columns)))
        overrides = {"classifier_from_token": list(tags), "method": "no_post_processing"}
        options = {"convert": "classify", "hf_overrides": overrides, "pooler_config": _every_token_pooler()}
        return VLLMRun(runner="pooling", options=options, build=False, lm_rows=tags)


class LogRatio(ModelReadout):
    """Implicit PRMs: ``beta`` x the summed log-probability ratio of the model and its reference over each
    step's tokens (or the running sum, with ``cumulative``), through a sigmoid if the spec says."""

    name = "log_ratio"
    reads = "token_logprobs"
    models = 2

    def check_spec(self, spec: PRMSpec) -> list[str]:
        problems = super().check_spec(spec)
        if spec.format != "chat":
            problems.append("readout 'log_ratio' supports format 'chat' only")
        if spec.beta <= 0:
            problems.append(f"beta must be > 0, got {spec.beta}")
        return problems

    def step_scores(self, spec: PRMSpec, rendered: Rendered, ratio: Sequence[float]) -> list[float]:
        """Step scores from ``log pi(y_i) - log pi_ref(y_i)`` of the response tokens ``rendered.spans[0][0]`` on."""
        base, scores, total = rendered.spans[0][0], [], 0.0
        for s, e in rendered.spans:
            step = math.fsum(ratio[s - base : e - base])
            total += step
            reward = spec.beta * (total if spec.cumulative else step)
            scores.append(1.0 / (1.0 + math.exp(-reward)) if spec.sigmoid else reward)
        return scores

    def vllm_run(self, spec: PRMSpec, tokenizer: Any, ids: TokenIds) -> VLLMRun:
        """Two generation engines as they are, each asked for every prompt token's log-probability
        (``prompt_logprobs=0``, one decoded token thrown away)."""
        return VLLMRun(runner="generate", build=False, extra_tokens=1)


class VerifierReadout:
    """A model-free checker of each step, built by the ``verifier`` backend from the spec's ``verifier``
    (:data:`prmkit.scoring.verifiers.VERIFIERS`)."""

    name = "verifier"
    runs_model = False
    at_markers = False
    backend = "verifier"

    def check_spec(self, spec: PRMSpec) -> list[str]:
        return []

    def __repr__(self) -> str:
        return "VerifierReadout()"


class GenerativeReadout:
    """A generative judge: the judge format the spec's ``judge`` names, run by the ``judge`` backend on a
    generator (:mod:`prmkit.scoring.judges`); step scores from its verdicts' probabilities or votes."""

    name = "generative"
    runs_model = True
    at_markers = False
    backend = "judge"

    def check_spec(self, spec: PRMSpec) -> list[str]:
        return [] if spec.judge else ["readout 'generative' needs a judge (a name in prmkit.scoring.judges.JUDGES)"]

    def __repr__(self) -> str:
        return "GenerativeReadout()"


READOUTS: Registry[ModelReadout | VerifierReadout | GenerativeReadout] = Registry("readout")
"""Readout name (a spec's ``readout``) -> its object."""
for _readout in (TokenClassify(), TagLogits(), ValueHead(), LogRatio(), VerifierReadout(), GenerativeReadout()):
    READOUTS.register(_readout.name, _readout)


def get_readout(name: str) -> ModelReadout | VerifierReadout | GenerativeReadout:
    """The registered readout ``name``; unknown names get "did you mean ...".

    >>> get_readout("tag_logits").reads
    'lm_rows'
    """
    return READOUTS.get(name)


def model_readout(spec: PRMSpec) -> ModelReadout:
    """``spec``'s readout, which must run a model (a model backend's first check)."""
    readout = READOUTS.get(spec.readout)
    if not isinstance(readout, ModelReadout):
        runs = ", ".join(n for n in READOUTS if isinstance(READOUTS.get(n), ModelReadout))
        raise ConfigError(
            f"PRM {spec.name!r}: this backend reads a model at each step ({runs}); "
            f"readout {spec.readout!r} is not a model readout"
        )
    return readout


def _every_token_pooler() -> Any:
    """Every token's raw output, whatever the model's own pooling (Qwen2.5-Math-PRM's is STEP)."""
    from vllm.config import PoolerConfig

    return PoolerConfig(task="token_classify", tok_pooling_type="ALL")
