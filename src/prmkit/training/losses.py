"""Training objectives for PRMs, as pure torch functions (``../methods/E-training.md``).

Shape letters: ``B`` solutions in a batch, ``S`` labelled steps (padded), ``M``
labelled marker positions flattened over the batch, ``T`` tokens, ``C`` head labels.

* :func:`step_bce` — E1: binary cross-entropy at the step markers against float
  targets (hard labels are the targets 0.0/1.0; soft labels plug in unchanged).
* :func:`pqm_loss` — E2: the PQM comparative (Q-value ranking) loss with margin ζ.
* :func:`implicit_ce` — E3: cross-entropy of σ(β Σ log-ratio) against outcome labels.
* :func:`token_logprobs` — per-token log-probabilities (fp32) for the implicit PRM.

>>> import torch
>>> round(step_bce(torch.zeros(2, 2), torch.tensor([1.0, 0.25])).item(), 4)
0.6931
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prmkit._extras import require

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["PAD_LABEL", "implicit_ce", "pqm_loss", "step_bce", "token_logprobs"]

PAD_LABEL = -100
"""Label value of padding in ``labels_B_S`` (the transformers convention)."""

_NEG = -1e9  # a finite -inf: keeps gradients of masked entries at exactly 0, never NaN


def _check_float(name: str, t: Tensor) -> None:
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor (soft labels are floats), got {t.dtype}")


def step_bce(logits: Tensor, targets: Tensor, *, positive_index: int = 1) -> Tensor:
    """Mean binary cross-entropy over labelled step markers (E1).

    ``logits`` is ``[M, 2]`` (a two-label token-classification head; the
    "correct" label is ``positive_index``) or ``[M]`` (a scalar value head).
    ``targets`` is ``[M]`` floats in [0, 1]. For a two-label head this is the
    2-way cross-entropy against the distribution (1 - y, y), i.e. BCE on the
    log-odds ``logit[pos] - logit[neg]``; for hard targets it equals TRL's
    token-classification loss. Computed in fp32.

    >>> import torch
    >>> lg = torch.tensor([[0.0, 2.0]])
    >>> round(step_bce(lg, torch.tensor([1.0])).item(), 4)
    0.1269
    """
    torch = require("torch", extra="hf")
    _check_float("targets", targets)
    if logits.dim() == 2:
        if logits.shape[1] != 2:
            raise ValueError(f"step_bce needs 2 labels or a scalar head, got {logits.shape[1]} labels")
        lg = logits.float()
        margin = lg[:, positive_index] - lg[:, 1 - positive_index]
    elif logits.dim() == 1:
        margin = logits.float()
    else:
        raise ValueError(f"logits must be [M, 2] or [M], got shape {tuple(logits.shape)}")
    if margin.shape != targets.shape:
        raise ValueError(f"{margin.shape[0]} marker logits for {targets.shape[0]} targets")
    if margin.numel() == 0:
        return margin.sum() * 0.0
    out: Tensor = torch.nn.functional.binary_cross_entropy_with_logits(margin, targets.float())
    return out


def pqm_loss(q_B_S: Tensor, labels_B_S: Tensor, *, zeta: float = 4.0) -> Tensor:
    """PQM comparative loss (E2, Process_Q_Model ``train_main.py``), mean over solutions.

    ``q_B_S`` are raw values at each step marker (no sigmoid); ``labels_B_S``
    are 1 (correct), 0 (wrong) or :data:`PAD_LABEL`. With C = the correct steps
    in order, W = the wrong steps and Q_0 := 0, each correct step t adds
    ``-log(e^{Q_ct} / (Σ_{q≤t} e^{Q_cq} + Σ_W e^{Q_w + ζ}))`` and, if W is not
    empty, ``-log(1 / (1 + Σ_W e^{Q_w + ζ}))`` is added once; a solution's loss
    is the mean of its terms. Solutions without a labelled step are skipped.

    >>> import torch
    >>> round(pqm_loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[1, 0]])).item(), 4)
    4.0271
    """
    torch = require("torch", extra="hf")
    if q_B_S.shape != labels_B_S.shape or q_B_S.dim() != 2:
        raise ValueError(f"q {tuple(q_B_S.shape)} and labels {tuple(labels_B_S.shape)} must be equal [B, S]")
    bad = (labels_B_S != 0) & (labels_B_S != 1) & (labels_B_S != PAD_LABEL)
    if bool(bad.any()):
        raise ValueError(f"PQM labels must be 0, 1 or {PAD_LABEL}; got {labels_B_S[bad][0].item()}")
    q = q_B_S.float()
    correct = labels_B_S == 1
    wrong = labels_B_S == 0
    neg = q.new_full((), _NEG)
    wrong_lse = torch.logsumexp(torch.where(wrong, q + zeta, neg), dim=1)  # [B]
    has_wrong = wrong.any(dim=1)
    cum = torch.logcumsumexp(torch.where(correct, q, neg), dim=1)  # Σ_{q≤t} over correct
    cum0 = torch.logaddexp(cum, torch.zeros_like(cum))  # + e^{Q_0}
    denom = torch.logaddexp(cum0, torch.where(has_wrong, wrong_lse, neg)[:, None])
    terms_t = torch.where(correct, denom - q, torch.zeros_like(q)).sum(dim=1)
    term0 = torch.where(has_wrong, torch.nn.functional.softplus(wrong_lse), torch.zeros_like(wrong_lse))
    n_terms = correct.sum(dim=1) + has_wrong.long()
    keep = n_terms > 0
    if not bool(keep.any()):
        return q.sum() * 0.0
    per_solution = (terms_t + term0)[keep] / n_terms[keep].float()
    out: Tensor = per_solution.mean()
    return out


def token_logprobs(logits_B_T_V: Tensor, input_ids_B_T: Tensor) -> Tensor:
    """``log p(x_t | x_<t)`` for t ≥ 1, in fp32: shape ``[B, T-1]`` (position t-1 holds token t).

    >>> import torch
    >>> token_logprobs(torch.zeros(1, 3, 4), torch.tensor([[0, 1, 2]])).shape
    torch.Size([1, 2])
    """
    torch = require("torch", extra="hf")
    logp = torch.log_softmax(logits_B_T_V[:, :-1].float(), dim=-1)
    out: Tensor = logp.gather(-1, input_ids_B_T[:, 1:, None]).squeeze(-1)
    return out


def implicit_ce(log_ratio_B: Tensor, outcome_B: Tensor, *, beta: float) -> Tensor:
    """Implicit-PRM cross-entropy on outcome labels (E3), mean over solutions.

    ``log_ratio_B`` is Σ over response tokens of ``log π_θ − log π_ref``;
    r = β · log_ratio and the loss is ``-[l log σ(r) + (1 − l) log(1 − σ(r))]``.

    >>> import torch
    >>> round(implicit_ce(torch.tensor([0.0]), torch.tensor([1.0]), beta=0.05).item(), 4)
    0.6931
    """
    torch = require("torch", extra="hf")
    _check_float("outcome", outcome_B)
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    out: Tensor = torch.nn.functional.binary_cross_entropy_with_logits(
        beta * log_ratio_B.float(), outcome_B.float()
    )
    return out
