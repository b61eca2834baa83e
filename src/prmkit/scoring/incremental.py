"""Incremental scoring: scoring the extension of a scored prefix runs the model on the new tokens only.

A test-time search scores every beam's whole prefix at every step. An
:class:`IncrementalScorer` wraps an ``hf`` scorer (:class:`~prmkit.scoring.hf.HFScorer`)
and keeps, per problem text, the token ids it has run together with each
token's keys and values and what the readout reads there (a prefix tree,
:mod:`prmkit.scoring._prefix_tree`). A solution is rendered exactly as the
``hf`` backend renders it; the longest prefix of its token ids already held is
not run again: the model runs on the remaining tokens only, with the held keys
and values as its ``transformers`` cache and explicit position ids, and the new
keys and values are kept. A step whose readout position lies in the held
prefix is read from what was kept there. The outputs are read as the ``hf``
backend reads them (:mod:`prmkit.scoring._hf_head`), so the scores are the
same up to float rounding (1e-5 in float32).

``log_ratio`` (implicit PRMs) keeps each token's log-probability under both
models; the first new token's is read from the output of the token before it,
so an extension runs that last held token again (one token per model).

Batching: the rows of one ``score`` call run together, each with its own held
length. Held keys and values are left-padded to the batch's longest and
masked out by the 2-D attention mask (held + new), new tokens are right-padded,
and position ids are given per row; the sdpa and eager attentions of
``transformers`` accept this. A batch grows while (rows x longest new run)
stays within the scorer's ``batch_tokens`` and (rows x longest held + new run)
within 4x that. Rows of one call that share at least :data:`MIN_SHARED` tokens
not yet held run in successive passes, so the shared tokens run once.

At most ``max_cached_tokens`` tokens are held, least recently used dropped
first; :meth:`IncrementalScorer.forget` drops a finished problem's. A held
token costs its keys and values in every layer, on the model's device (56 KiB
for Qwen2.5-7B in bfloat16: 200,000 tokens take 11 GiB). A model whose cache
does not hold one key and value per token and layer (linear attention,
recurrent layers) is refused with a :class:`~prmkit.errors.ConfigError` at its
first run.

>>> prm, reason = incremental(load_prm("qwen2.5-math-prm-7b"))               # doctest: +SKIP
>>> first = prm.score([Solution("1+1?", ("1+1=2",))])                       # doctest: +SKIP
>>> both = prm.score([Solution("1+1?", ("1+1=2", "So 2."))])                # doctest: +SKIP
>>> prm.tokens_computed < prm.tokens_requested                             # doctest: +SKIP
True
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prmkit._extras import require
from prmkit.errors import ConfigError
from prmkit.scoring._backend import Scorer, ScorerInfo, scorer_info
from prmkit.scoring._prefix_tree import Path, PrefixTree, common_length
from prmkit.scoring.cache import CachedScorer
from prmkit.scoring.combine import Combined
from prmkit.scoring.hf import HFScorer
from prmkit.scoring.render import Rendered, render_batch
from prmkit.types import ScoreResult, Solution, StepScores

__all__ = ["MIN_SHARED", "IncrementalScorer", "incremental"]

MIN_SHARED = 16
"""Rows of one call sharing this many tokens not yet held run one after the other (fewer run twice)."""


@dataclass
class _Row:
    """One solution to run: where its result goes, its rendering, its problem text (the key), its token ids,
    and how many of them are held, along which path."""

    index: int
    rendered: Rendered
    key: str
    ids: np.ndarray
    held: int = 0
    path: Path = field(default_factory=list)


class IncrementalScorer:
    """An ``hf`` scorer that runs only the tokens it has not run before (see the module docstring).

    The same :class:`~prmkit.scoring.Scorer` contract, ``identity`` and ``info`` as ``scorer``, and its scores.
    ``tokens_computed`` counts the tokens run through the model(s), ``tokens_requested`` those a one-pass
    scorer would run (every rendered token, times the models); a result's ``tokens`` is what ran for it.

    >>> prm = IncrementalScorer(load_prm("math-shepherd"), max_cached_tokens=50_000)   # doctest: +SKIP
    """

    def __init__(self, scorer: HFScorer, *, max_cached_tokens: int = 200_000) -> None:
        if not isinstance(scorer, HFScorer):
            raise ConfigError(f"IncrementalScorer wraps an hf backend scorer, got {type(scorer).__name__}")
        if max_cached_tokens < 0:
            raise ConfigError(f"max_cached_tokens must be >= 0, got {max_cached_tokens}")
        self.scorer = scorer
        self.tokens_computed = 0
        self.tokens_requested = 0
        self._tree = PrefixTree(max_cached_tokens)
        self._logprobs = scorer.readout.reads == "token_logprobs"
        self._shapes: list[list[tuple[int, int]]] = []
        """Per model, the ``(heads, head size)`` of each layer's keys, then values (known after its first run).
        A held token's payload is, per model, its outputs and its keys and values flat."""

    @property
    def identity(self) -> str:
        """The wrapped scorer's."""
        return self.scorer.identity

    @property
    def info(self) -> ScorerInfo:
        """The wrapped scorer's: same identity, threshold and scores."""
        return self.scorer.info

    @property
    def cached_tokens(self) -> int:
        """Tokens held now (at most ``max_cached_tokens`` between calls)."""
        return self._tree.tokens

    def forget(self, problem: str | None = None) -> None:
        """Drop the held prefixes of one problem text (``None``: of every problem)."""
        self._tree.forget(problem)

    def score(self, solutions: Sequence[Solution]) -> list[ScoreResult]:
        """One result per solution, in order; failures are per solution, as on the wrapped scorer."""
        torch = require("torch", extra="hf")
        s = self.scorer
        results, todo = render_batch(s.tokenizer, s.spec, solutions, s.token_ids, s.max_length)
        rows = [_Row(i, r, solutions[i].problem, np.asarray(r.input_ids, dtype=np.int64)) for i, r in todo]
        self.tokens_requested += sum(len(r.ids) for r in rows) * len(s.models)
        with torch.inference_mode():
            while rows:
                wave, rows = self._wave(rows)
                for batch in self._batches(wave):
                    for row, ran in zip(batch, self._run(batch), strict=True):
                        results[row.index] = StepScores(tuple(self._read(row)), tokens=ran)
                        self.tokens_computed += ran
                    self._tree.evict()
        return [r for r in results if r is not None]

    def _wave(self, rows: list[_Row]) -> tuple[list[_Row], list[_Row]]:
        """The rows to run now, longest first, and those that wait for a row of this pass to be held."""
        now, later = [], []
        chosen: dict[str, list[tuple[tuple[int, ...], np.ndarray]]] = {}
        for row in sorted(rows, key=lambda r: -len(r.ids)):
            row.held, _ = self._tree.match(row.key, row.ids)
            seqs = chosen.setdefault(row.key, [])
            t = tuple(row.ids.tolist())
            k = bisect.bisect(seqs, t, key=lambda e: e[0])  # the longest common prefix is a sorted neighbour's
            shared = max((common_length(row.ids, a) for _, a in seqs[max(k - 1, 0) : k + 1]), default=0)
            if shared - row.held >= MIN_SHARED:
                later.append(row)
            else:
                seqs.insert(k, (t, row.ids))
                now.append(row)
        return now, later

    def _batches(self, wave: list[_Row]) -> list[list[_Row]]:
        """Most new tokens first; a batch grows within the token budgets (rows that run nothing join any)."""
        budget = self.scorer.batch_tokens
        batches: list[tuple[list[_Row], int, int]] = []
        for row in sorted(wave, key=lambda r: r.held - len(r.ids)):
            new, past = len(row.ids) - row.held, row.held
            if batches:
                rows, s, p = batches[-1]
                n, s2, p2 = len(rows) + 1, max(s, new), max(p, past)
                if new == 0 or (n * s2 <= budget and n * (s2 + p2) <= 4 * budget):
                    rows.append(row)
                    batches[-1] = (rows, s2, p2) if new else (rows, s, p)
                    continue
            batches.append(([row], new, past))
        return [rows for rows, _, _ in batches]

    def _start(self, row: _Row) -> int:
        """The first token to run: the first not held (``log_ratio``: the one before it), or the end."""
        if row.held >= len(row.ids):
            return len(row.ids)
        return max(row.held - 1, 0) if self._logprobs else row.held

    def _run(self, batch: list[_Row]) -> list[int]:
        """Run the batch's new tokens, hold them; the tokens run for each row (times the models)."""
        torch = require("torch", extra="hf")
        s = self.scorer
        for row in batch:  # again: a previous batch may have evicted part of what was held
            row.held, row.path = self._tree.match(row.key, row.ids)
        starts = [self._start(row) for row in batch]
        work = [(row, a) for row, a in zip(batch, starts, strict=True) if a < len(row.ids)]
        if not work:
            return [0] * len(batch)
        past, width = max(a for _, a in work), max(len(r.ids) - a for r, a in work)
        ids = torch.full((len(work), width), s.pad_id, dtype=torch.long)
        mask = torch.zeros((len(work), past + width), dtype=torch.long)
        pos = torch.zeros((len(work), width), dtype=torch.long)
        for b, (row, a) in enumerate(work):
            n = len(row.ids) - a
            ids[b, :n] = torch.from_numpy(row.ids[a:])
            mask[b, past - a : past + n] = 1  # held keys left-padded, new tokens right-padded
            pos[b] = a + torch.arange(width)
        device = s.heads[0].model.device
        ids, mask, pos = ids.to(device), mask.to(device), pos.to(device)
        payloads: list[list[Any]] = [[] for _ in work]
        for m, head in enumerate(s.heads):
            cache = self._past(m, work, past)
            out = head.run(ids, mask, position_ids=pos, use_cache=True, **{head.cache_keyword: cache})
            kv = self._flat(m, cache, past + width)
            for b, (row, a) in enumerate(work):
                skip, n = row.held - a, len(row.ids) - row.held  # tokens run again, tokens to hold
                payloads[b] += [self._outputs(head, out, b, row, a), kv[b, past + skip : past + skip + n].clone()]
        for (row, _), payload in zip(work, payloads, strict=True):
            self._tree.insert(row.key, row.ids, row.held, payload)
        return [(len(row.ids) - a) * len(s.models) for row, a in zip(batch, starts, strict=True)]

    def _flat(self, m: int, cache: Any, length: int) -> Any:
        """Every layer's keys and values at each position of ``cache``, flat: ``(B, length, W)``; the
        ``(heads, head size)`` of each block of W are model ``m``'s ``_shapes``."""
        torch = require("torch", extra="hf")
        kv: list[Any] = [t for x in cache.layers for t in (getattr(x, "keys", None), getattr(x, "values", None))]
        if not kv or any(t is None or t.dim() != 4 or t.shape[2] != length for t in kv):
            name = type(self.scorer.heads[m].model).__name__
            raise ConfigError(f"PRM {self.scorer.spec.name!r}: {name} does not keep a key and a value per token "
                              "and layer in a transformers DynamicCache; score it with the hf backend whole")
        if len(self._shapes) == m:
            self._shapes.append([(t.shape[1], t.shape[3]) for t in kv])
        return torch.cat([t.transpose(1, 2).flatten(2) for t in kv], dim=2)

    def _outputs(self, head: Any, out: Any, b: int, row: _Row, start: int) -> Any:
        """What the readout reads at each new token ``row.held..``: the head's float32 outputs ``(n, C)``, or
        (``log_ratio``) the token's log-probability ``(n,)``, NaN for a first token, which nothing predicts."""
        torch = require("torch", extra="hf")
        new = range(row.held, len(row.ids))
        if not self._logprobs:
            return head.at(out, [b] * len(new), [t - start for t in new])
        predicted = [t for t in new if t > start]
        targets = torch.as_tensor(row.ids[predicted], device=out.device)
        lp = head.logprobs_at(out, [b] * len(predicted), [t - 1 - start for t in predicted], targets)
        return torch.cat([lp.new_full((len(new) - len(predicted),), float("nan")), lp])

    def _past(self, m: int, work: list[tuple[_Row, int]], past: int) -> Any:
        """Model ``m``'s cache of the held tokens before each row's start, left-padded to ``past``."""
        cache = require("transformers", extra="hf").DynamicCache()
        if past == 0:
            return cache
        segments = [list(self._tree.segments(row.path, a)) for row, a in work]
        like = next(seg for row in segments for seg in row)[1][2 * m + 1]
        flat = like.new_zeros((len(work), past, like.shape[1]))
        for b, ((_, a), row) in enumerate(zip(work, segments, strict=True)):
            for off, payload, n in row:
                flat[b, past - a + off : past - a + off + n] = payload[2 * m + 1][:n]
        blocks, col = [], 0
        for heads, size in self._shapes[m]:
            blocks.append(flat[:, :, col : col + heads * size].unflatten(2, (heads, size)).transpose(1, 2))
            col += heads * size
        for layer in range(len(blocks) // 2):
            cache.update(blocks[2 * layer], blocks[2 * layer + 1], layer)
        return cache

    def _read(self, row: _Row) -> list[float]:
        """The row's step scores from what is held, as the ``hf`` backend reads them."""
        s, r = self.scorer, row.rendered
        n, path = self._tree.match(row.key, row.ids)
        if n != len(row.ids):
            raise AssertionError(f"prefix tree: {n} of {len(row.ids)} tokens held right after running them")
        if not self._logprobs:
            out = self._tree.gather(path, 0, n)[list(r.positions)]  # model 0's outputs
            return list(s.readout.probabilities(s.spec, out).tolist())
        lo, hi = r.spans[0][0], r.spans[-1][1]
        policy, ref = (self._tree.gather(path, 2 * m, n)[lo:hi] for m in range(len(s.models)))
        return s.readout.step_scores(s.spec, r, (policy - ref).double().tolist())


def incremental(scorer: Scorer) -> tuple[Scorer, str | None]:
    """The incremental form of ``scorer`` and ``None``; or ``scorer`` unchanged and why it cannot be one.

    An ``hf`` scorer becomes an :class:`IncrementalScorer`; a combination, the same combination of its
    members made incremental where they can be; a step-score cache, the same cache over the incremental
    form of what it wraps. A model-free verifier, another engine and a non-causal scorer stay as they are.

    >>> from prmkit.scoring import load_prm
    >>> prm, reason = incremental(load_prm("arith"))
    >>> reason.startswith("ArithVerifier (verifier:arith:")
    True
    """
    info = scorer_info(scorer)
    if not info.causal:
        return scorer, f"{info.identity} is not causal: a step's score may read later steps"
    if isinstance(scorer, IncrementalScorer):
        return scorer, None
    if isinstance(scorer, HFScorer):
        return IncrementalScorer(scorer), None
    if isinstance(scorer, CachedScorer):
        inner, reason = incremental(scorer.inner)
        return (scorer, reason) if reason is not None else (CachedScorer(inner, scorer.cache), None)
    if isinstance(scorer, Combined):
        made = [incremental(s) for s in scorer.scorers]
        if all(reason is not None for _, reason in made):
            return scorer, "no member can be incremental: " + "; ".join(str(r) for _, r in made)
        return Combined([s for s, _ in made], rule=scorer.rule), None
    return scorer, f"{type(scorer).__name__} ({info.identity}) is not an hf backend scorer, the one that resumes from held prefixes"
