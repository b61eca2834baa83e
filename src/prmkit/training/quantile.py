"""Quantile-regression calibration of a PRM head (method card E6, arXiv 2506.09338).

A two-label token-classification PRM reads ``P(correct) = softmax(W h + b)[pos]``
at each step marker, which is ``sigmoid((w_pos - w_neg) . h + (b_pos - b_neg))``.
The head is replaced by one with ``M`` outputs, every row initialised to that
logistic equivalent, so that at first each output's sigmoid is the old
``P(correct)``; output ``m`` is then trained as the quantile at level
``levels[m]`` (0.1, 0.5, 0.9 by default) of the step's Monte Carlo success
probability with the pinball loss

    L = mean over steps and levels of max((beta - 1)(p - r), beta (p - r)),

``p`` the Monte Carlo value of the prefix (``mc`` in a labelled dataset: the
share of its ``extra.k`` rollouts that reached the right answer) and ``r`` the
output's sigmoid. The lower quantile is a calibrated, cautious step score.

Only the head is trained here, on frozen-backbone features at the step
positions (:mod:`prmkit.training._features`: exactly what the ``hf`` scorer
feeds the head); the paper's code also trains LoRA adapters.

:class:`QuantileCalibrator` is the same idea at the level of the score: the
quantile head restricted to the old head's direction is
``sigmoid(a * logit(score) + b)``, the logistic equivalent being ``a = 1,
b = 0``; fitted by the pinball loss on (score, Monte Carlo value) pairs, it is
a calibrator for :class:`prmkit.scoring.CalibratedScorer` on any backend.

Shape letters: ``B`` solutions, ``S`` steps (padded), ``M`` quantile levels, ``H`` hidden size.

>>> import torch
>>> pinball_loss(torch.tensor([[[0.5, 0.5, 0.5]]]), torch.tensor([[1.0]]), torch.tensor([[True]])).item()
0.25
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from prmkit._extras import require
from prmkit.evaluation import read_labelled
from prmkit.training._encode import Encoded
from prmkit.training._features import collate_features, features_key, step_features
from prmkit.training._model import head_module_names
from prmkit.types import UNLABELLED, StepwiseExample

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = [
    "QUANTILE_LEVELS",
    "QuantileCalibrator",
    "fit_quantile_head",
    "mc_examples",
    "pinball_loss",
    "quantile_head",
    "step_quantiles",
    "to_quantile_model",
]

QUANTILE_LEVELS = (0.1, 0.5, 0.9)
"""The levels of the paper's three outputs; the first is the calibrated (lower) score."""


def quantile_head(head: nn.Linear, levels: Sequence[float] = QUANTILE_LEVELS, *, positive_index: int = 1) -> nn.Linear:
    """A linear head with one output per level, each row ``w_pos - w_neg`` and bias ``b_pos - b_neg``.

    >>> import torch
    >>> old = torch.nn.Linear(4, 2)
    >>> new = quantile_head(old)
    >>> h = torch.randn(5, 4)
    >>> torch.allclose(torch.sigmoid(new(h)), torch.softmax(old(h), -1)[:, 1:].expand(5, 3), atol=1e-6)
    True
    """
    torch = require("torch", extra="hf")
    if head.out_features != 2 or positive_index not in (0, 1):
        raise ValueError(f"expected a 2-label head and positive_index 0 or 1, got {head.out_features} labels")
    if not levels or any(not 0 < b < 1 for b in levels):
        raise ValueError(f"quantile levels must lie in (0, 1), got {list(levels)}")
    neg = 1 - positive_index
    out = torch.nn.Linear(head.in_features, len(levels), bias=True, dtype=head.weight.dtype,
                          device=head.weight.device)
    with torch.no_grad():
        w = head.weight[positive_index] - head.weight[neg]
        b = head.bias[positive_index] - head.bias[neg] if head.bias is not None else torch.zeros(())
        out.weight.copy_(w.expand(len(levels), -1))
        out.bias.copy_(b.expand(len(levels)))
    return out


def to_quantile_model(model: nn.Module, levels: Sequence[float] = QUANTILE_LEVELS, *,
                      positive_index: int = 1) -> nn.Module:
    """Replace a plain token classifier's 2-label step head (``score``) by :func:`quantile_head`, in place.

    The config's ``num_labels`` becomes ``len(levels)`` and ``quantile_levels`` records the levels.
    """
    [name] = head_module_names(model)
    setattr(model, name, quantile_head(getattr(model, name), levels, positive_index=positive_index))
    config: Any = model.config
    config.num_labels = len(levels)
    config.quantile_levels = list(levels)
    return model


def pinball_loss(pred_B_S_M: Tensor, target_B_S: Tensor, mask_B_S: Tensor,
                 levels: Sequence[float] = QUANTILE_LEVELS) -> Tensor:
    """Mean pinball loss over the steps in ``mask_B_S`` and the levels; ``pred`` are quantiles in [0, 1].

    Under-predicting a target costs ``beta`` per unit, over-predicting ``1 - beta``:

    >>> import torch
    >>> p = torch.tensor([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    >>> round(pinball_loss(p, torch.tensor([[1.0, 0.0]]), torch.tensor([[True, True]])).item(), 4)
    0.5
    """
    torch = require("torch", extra="hf")
    if pred_B_S_M.shape[-1] != len(levels):
        raise ValueError(f"{pred_B_S_M.shape[-1]} outputs for {len(levels)} levels")
    beta = torch.tensor(list(levels), dtype=torch.float32, device=pred_B_S_M.device)
    keep = mask_B_S & torch.isfinite(target_B_S)
    diff = target_B_S[keep].float().unsqueeze(-1) - pred_B_S_M[keep].float()
    if diff.numel() == 0:
        return pred_B_S_M.sum() * 0.0
    out: Tensor = torch.maximum((beta - 1) * diff, beta * diff).mean()
    return out


def step_quantiles(model: nn.Module, input_ids_B_T: Tensor, attention_mask_B_T: Tensor,
                   positions_B_S: Tensor) -> Tensor:
    """``[B, S, M]`` quantiles (sigmoid of the head) at the step positions, from a full forward pass."""
    torch = require("torch", extra="hf")
    logits = model(input_ids=input_ids_B_T, attention_mask=attention_mask_B_T).logits
    index = positions_B_S.unsqueeze(-1).expand(-1, -1, logits.shape[-1])
    out: Tensor = torch.sigmoid(torch.gather(logits.float(), 1, index))
    return out


def mc_examples(path: str | os.PathLike[str]) -> list[StepwiseExample]:
    """A labelled stepwise file with each step's Monte Carlo value (``mc``) as its label (null: unlabelled).

    ``.jsonl.gz`` is read too; ``prmkit label`` writes such files.
    """
    return [
        StepwiseExample(d.solution.problem, d.solution.steps,
                        labels=tuple(UNLABELLED if t is None else t for t in d.targets), id=d.solution.id)
        for d in read_labelled(path, "mc")
    ]


def fit_quantile_head(
    model: nn.Module,
    data: Sequence[Encoded],
    pad_id: int,
    *,
    levels: Sequence[float] = QUANTILE_LEVELS,
    steps: int = 200,
    lr: float = 1e-2,
    batch_size: int = 16,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[float]:
    """Train the head of a :func:`to_quantile_model` model on ``data`` (targets: Monte Carlo values).

    The backbone is frozen: its features at the step positions are computed
    once (kept in ``cache_dir`` if given) and ``steps`` AdamW updates of the
    head follow, each on a seeded batch of ``batch_size`` solutions. The model
    is left in eval mode with only its head trainable. Returns the pinball
    loss of each update, before it.
    """
    torch = require("torch", extra="hf")
    [name] = head_module_names(model)
    head: nn.Module = getattr(model, name)
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        root = cache_dir if cache_dir is not None else tmp
        feats = step_features(model, data, pad_id, cache_dir=root, progress=False,
                              key=features_key({"model": getattr(model.config, "_name_or_path", "")}, data))
    params = list(head.parameters())
    for p in model.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    device = params[0].device
    losses = []
    for _ in range(steps):
        idx = torch.randperm(len(data), generator=gen)[:batch_size].tolist()
        batch = collate_features([feats[i] for i in idx], [data[i] for i in idx])
        pred = torch.sigmoid(head(batch["features_B_S_H"].to(device)))
        loss = pinball_loss(pred, batch["targets_B_S"].to(device), batch["step_mask_B_S"].to(device), levels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


_EPS = 1e-6  # scores are clipped to [eps, 1 - eps] before the logit


def _logit(scores: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
    c = np.clip(np.asarray(scores, dtype=np.float64).reshape(-1), _EPS, 1 - _EPS)
    return np.asarray(np.log(c) - np.log1p(-c))


@dataclass(frozen=True)
class QuantileCalibrator:
    """``sigmoid(a * logit(score) + b)`` as the ``level`` quantile of a step's target (a calibrator).

    ``a = 1, b = 0`` (the default) is the identity, as a converted head starts out;
    :meth:`fit` moves it to the pinball-loss optimum. With a low ``level`` the
    calibrated score is a cautious estimate of the step's success probability.

    >>> QuantileCalibrator(0.1).apply([0.25]).round(6).tolist()
    [0.25]
    """

    level: float
    a: float = 1.0
    b: float = 0.0
    kind: str = "quantile"

    @classmethod
    def fit(cls, scores: Sequence[float] | npt.ArrayLike, targets: Sequence[float] | npt.ArrayLike,
            level: float = QUANTILE_LEVELS[0], *, steps: int = 500, lr: float = 0.05) -> QuantileCalibrator:
        """Minimise the mean pinball loss at ``level`` from the identity (full-batch Adam, ``steps`` updates).

        ``a`` is kept positive (it is fitted as ``log a``), so the map is increasing.
        """
        torch = require("torch", extra="hf")
        x = torch.tensor(_logit(scores), dtype=torch.float64)
        t = torch.tensor(np.asarray(targets, dtype=np.float64).reshape(-1))
        if x.shape != t.shape or not x.numel():
            raise ValueError(f"need equally many scores and targets, at least one ({x.numel()}, {t.numel()})")
        w = torch.zeros(2, dtype=torch.float64, requires_grad=True)  # log a, b: a stays positive
        opt = torch.optim.Adam([w], lr=lr)
        mask = torch.ones(1, x.numel(), dtype=torch.bool)
        for _ in range(steps):
            r = torch.sigmoid(torch.exp(w[0]) * x + w[1])
            loss = pinball_loss(r.view(1, -1, 1), t.view(1, -1), mask, [level])
            opt.zero_grad()
            loss.backward()
            opt.step()
        log_a, b = w.detach().tolist()
        a = math.exp(log_a)
        return cls(level, float(a), float(b))

    def apply(self, scores: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The calibrated scores."""
        return np.asarray(1 / (1 + np.exp(-(self.a * _logit(scores) + self.b))))

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "level", "a", "b"}``."""
        return {"kind": self.kind, "level": self.level, "a": self.a, "b": self.b}
