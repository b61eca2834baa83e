"""The ``hf`` backend: any catalogued PRM family on ``transformers`` models, one forward pass per solution.

Solutions are rendered (:mod:`prmkit.scoring.render`), sorted by length and
packed into right-padded batches under a token budget. Only the outputs that
are read get computed: the base model's last hidden states are gathered at
the readout positions and multiplied by the two label rows of the LM head
(``tag_logits``), the score head (``token_classify``/``value_head``), or,
for ``log_ratio``, the LM head in chunks, keeping just the realised tokens'
log-probabilities. What is read, and the scores made of it, are the spec's
readout object's (:mod:`prmkit.scoring.readouts`); weights, threshold and
dtype are resolved as on every backend (:mod:`prmkit.scoring._weights`). A solution longer than ``max_length`` comes back as
``ScoreFailure("context_length")``; nothing is ever truncated.

>>> from prmkit.scoring import load_prm                                   # doctest: +SKIP
>>> prm = load_prm("qwen2.5-math-prm-7b", dtype="bfloat16", device="cuda")  # doctest: +SKIP
>>> prm.score([Solution("1+1?", ("1+1=2", "So 2."))])[0].scores           # doctest: +SKIP
(0.99, 0.98)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring._backend import ScorerInfo
from prmkit.scoring._hf_head import Head
from prmkit.scoring._weights import load_model, resolve_dtype, resolve_threshold, resolve_weights
from prmkit.scoring.hf_load import load_tokenizer, tokenizer_fingerprint, weights_fingerprint
from prmkit.scoring.readouts import model_readout
from prmkit.scoring.render import Rendered, TokenIds, render_batch, resolve_ids
from prmkit.scoring.spec import DType, PRMSpec
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = ["HFScorer"]


class HFScorer:
    """Score solutions with a ``transformers`` model following ``spec``'s convention.

    ``model``/``reference_model``: a loaded model or a local path / hub id
    (default: the spec's weights). A loaded model is moved and cast **in
    place**. ``tokenizer``: a fast tokenizer; loaded from ``model``'s path when
    omitted. ``max_length`` defaults to the model's ``max_position_embeddings``.
    ``batch_tokens`` caps padded tokens per forward pass (one longer solution
    still runs alone); by default 16384 on an accelerator and 1024 on CPU, where
    one few-hundred-token solution already keeps the matmul units busy and
    larger batches only push activations out of cache (on 2 cores, 8192-token
    batches ran at 0.76x the speed of one solution at a time: ``bench/scoring.py``). ``compile`` wraps the base model in ``torch.compile``
    (dynamic shapes): about 20 % faster on CPU once compiled, at a cost of a
    minute or two the first time; scores are unchanged.

    ``threshold`` is the decision threshold to read the scores at: the
    spec's, or, when ``model`` is a head folder whose ``prmkit_head.json``
    holds a fitted ``threshold``, that one.

    ``dtype`` defaults to the spec's, except that a ``bfloat16`` spec runs in
    ``float32`` on a CPU without native bf16 matrix units (x86 without
    AVX512-BF16 or AMX), where bf16 matmuls are emulated: 6x slower than fp32
    on a 2-core AVX2 machine (17 vs 106 GFLOP/s). An explicit ``dtype`` always
    wins; ``identity`` names the dtype used, so cached scores never mix the two.

    >>> scorer = HFScorer(get_spec("math-shepherd"), model=m, tokenizer=t)   # doctest: +SKIP
    >>> [len(r.scores) for r in scorer.score(solutions)]                    # doctest: +SKIP
    [3, 5]
    """

    def __init__(
        self,
        spec: PRMSpec,
        model: Any = None,
        tokenizer: Any = None,
        *,
        reference_model: Any = None,
        dtype: DType | None = None,
        device: str = "cpu",
        max_length: int | None = None,
        batch_tokens: int | None = None,
        trust_remote_code: bool = False,
        compile: bool = False,
    ) -> None:
        torch = require("torch", extra="hf")
        self.readout = model_readout(spec)
        dtype = resolve_dtype(spec, dtype, on_cpu=str(device).startswith("cpu"))
        if batch_tokens is None:
            batch_tokens = 1024 if str(device).startswith("cpu") else 16384
        if batch_tokens < 1:
            raise ConfigError(f"batch_tokens must be >= 1, got {batch_tokens}")
        self.spec, self.dtype, self.batch_tokens = spec, dtype, batch_tokens
        torch_dtype = getattr(torch, dtype)
        sources = resolve_weights(spec, model, reference_model)
        source = sources[0]
        self.threshold = resolve_threshold(spec, model)
        if tokenizer is None:
            if not isinstance(source, (str, Path)):
                raise ConfigError("pass tokenizer= together with a loaded model")
            tokenizer = load_tokenizer(str(source), trust_remote_code=trust_remote_code)
        self.tokenizer = tokenizer
        models = [self._materialise(s, torch_dtype, device, trust_remote_code) for s in sources]
        self.models = models
        self._ids = resolve_ids(tokenizer, spec)
        self._heads = [Head.build(spec, m, self._ids, self._probe_ids()) for m in models]
        if compile:  # fuses the elementwise work around the matmuls; pays off on long runs
            for h in self._heads:
                h.base = torch.compile(h.base, dynamic=True)
        if len({h.vocab for h in self._heads}) != 1:
            raise ConfigError("model and reference_model have different vocabularies")
        if max_length is None:
            cfg = models[0].config.get_text_config()
            max_length = getattr(cfg, "max_position_embeddings", None)
        self.max_length = max_length
        self._pad = next(i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0) if i is not None)
        self._device = models[0].device
        self._identity: str | None = None

    @property
    def identity(self) -> str:
        """Spec fingerprint + a hash of the weights, tokenizer and dtype."""
        if self._identity is None:
            h = hashlib.sha256(self.dtype.encode())
            for m in self.models:
                h.update(weights_fingerprint(m).encode())
            h.update(tokenizer_fingerprint(self.tokenizer).encode())
            self._identity = f"hf:{self.spec.name}:{self.spec.fingerprint()}:{h.hexdigest()[:16]}"
        return self._identity

    @property
    def info(self) -> ScorerInfo:
        """Identity and the threshold to read the scores at (a causal PRM of its own)."""
        return ScorerInfo(self.identity, threshold=self.threshold)

    @property
    def heads(self) -> list[Head]:
        """Each model (the policy, then the reference for ``log_ratio``) split into its base and the part of
        its head the readout reads."""
        return self._heads

    @property
    def token_ids(self) -> TokenIds:
        """The token ids the spec reads, resolved from the tokenizer."""
        return self._ids

    @property
    def pad_id(self) -> int:
        """The id right padding is filled with (masked out)."""
        return int(self._pad)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order; failures are per solution."""
        torch = require("torch", extra="hf")
        results, todo = render_batch(self.tokenizer, self.spec, solutions, self._ids, self.max_length)
        with torch.inference_mode():
            for batch in self._batches(todo):
                for (i, r), scores in zip(batch, self._score_batch([r for _, r in batch]), strict=True):
                    results[i] = StepScores(tuple(scores), tokens=len(r.input_ids) * len(self.models))
        return [r for r in results if r is not None]

    def _batches(self, todo: list[tuple[int, Rendered]]) -> list[list[tuple[int, Rendered]]]:
        """Longest first; a batch grows while (rows x longest row) stays within ``batch_tokens``."""
        batches: list[list[tuple[int, Rendered]]] = []
        for item in sorted(todo, key=lambda t: -len(t[1].input_ids)):
            if batches and (len(batches[-1]) + 1) * len(batches[-1][0][1].input_ids) <= self.batch_tokens:
                batches[-1].append(item)
            else:
                batches.append([item])
        return batches

    def _score_batch(self, rendered: list[Rendered]) -> list[list[float]]:
        torch = require("torch", extra="hf")
        width = max(len(r.input_ids) for r in rendered)
        ids = torch.full((len(rendered), width), self._pad, dtype=torch.long)
        mask = torch.zeros((len(rendered), width), dtype=torch.long)
        for b, r in enumerate(rendered):  # right padding: position ids stay 0..n-1
            ids[b, : len(r.input_ids)] = torch.tensor(r.input_ids)
            mask[b, : len(r.input_ids)] = 1
        ids, mask = ids.to(self._device), mask.to(self._device)
        if self.readout.reads == "token_logprobs":
            return self._log_ratio(rendered, ids, mask)
        rows = [b for b, r in enumerate(rendered) for _ in r.positions]
        cols = [p for r in rendered for p in r.positions]
        out = self._heads[0].read(ids, mask, rows, cols)  # (N, C) float32
        flat = self.readout.probabilities(self.spec, out).tolist()
        split, at = [], 0
        for r in rendered:
            split.append(flat[at : at + len(r.positions)])
            at += len(r.positions)
        return split

    def _log_ratio(self, rendered: list[Rendered], ids: Any, mask: Any) -> list[list[float]]:
        """The log-probabilities of the response tokens under the model and the reference, to the readout."""
        rows = [b for b, r in enumerate(rendered) for i in range(r.spans[0][0], r.spans[-1][1])]
        cols = [i - 1 for r in rendered for i in range(r.spans[0][0], r.spans[-1][1])]
        targets = ids[rows, [c + 1 for c in cols]]
        policy, ref = (h.token_logprobs(ids, mask, rows, cols, targets) for h in self._heads)
        ratio = (policy - ref).double().tolist()
        out, at = [], 0
        for r in rendered:
            n = r.spans[-1][1] - r.spans[0][0]
            out.append(self.readout.step_scores(self.spec, r, ratio[at : at + n]))
            at += n
        return out

    def _materialise(self, source: Any, torch_dtype: Any, device: str, trust_remote_code: bool) -> Any:
        if isinstance(source, (str, Path)):
            model = load_model(self.spec, str(source), dtype=torch_dtype, trust_remote_code=trust_remote_code)
        else:
            model = source
        return model.to(device=device, dtype=torch_dtype).eval()

    def _probe_ids(self) -> list[int]:
        """A short real token sequence to check the fast head path against the full forward."""
        return list(self.tokenizer.encode("Step 1: 12 + 30 = 42, so x = 42.", add_special_tokens=False))[:16]
