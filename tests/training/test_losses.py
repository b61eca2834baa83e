"""The training losses against literal re-implementations of the formulas in E-training.md."""

from __future__ import annotations

import math
import random

import pytest
from _require import need_module

torch = need_module("torch")

from prmkit.training.losses import PAD_LABEL, implicit_ce, pqm_loss, step_bce, token_logprobs  # noqa: E402


def _pqm_reference(q: list[float], labels: list[int], zeta: float) -> float | None:
    """E2 written term by term with math.exp, one solution."""
    correct = [v for v, y in zip(q, labels, strict=True) if y == 1]
    wrong = [v for v, y in zip(q, labels, strict=True) if y == 0]
    w = sum(math.exp(v + zeta) for v in wrong)
    terms = []
    chain = [0.0, *correct]  # Q_{c_0} := 0
    for t in range(1, len(chain)):
        den = sum(math.exp(chain[i]) for i in range(t + 1)) + w
        terms.append(-math.log(math.exp(chain[t]) / den))
    if wrong:
        terms.append(-math.log(1.0 / (1.0 + w)))
    return sum(terms) / len(terms) if terms else None


def test_pqm_matches_the_formula_on_random_batches() -> None:
    rng = random.Random(0)
    for zeta in (0.0, 2.0, 4.0):
        q_rows, lab_rows, ref = [], [], []
        for _ in range(6):
            n = rng.randint(0, 6)
            q = [rng.uniform(-3, 3) for _ in range(n)]
            lab = [rng.choice([0, 1]) for _ in range(n)]
            q_rows.append(q + [0.0] * (6 - n))
            lab_rows.append(lab + [PAD_LABEL] * (6 - n))
            r = _pqm_reference(q, lab, zeta)
            if r is not None:
                ref.append(r)
        got = pqm_loss(torch.tensor(q_rows, dtype=torch.float64), torch.tensor(lab_rows), zeta=zeta)
        assert got.item() == pytest.approx(sum(ref) / len(ref), rel=1e-6)


def test_pqm_single_cases_and_default_zeta() -> None:
    # one correct step then one wrong one, Q = 0: ((log(2 + e^4)) + log(1 + e^4)) / 2
    want = (math.log(2 + math.exp(4)) + math.log(1 + math.exp(4))) / 2
    assert pqm_loss(torch.zeros(1, 2), torch.tensor([[1, 0]])).item() == pytest.approx(want, rel=1e-6)
    # all correct: no ℓ_0 term, no margin
    assert pqm_loss(torch.zeros(1, 1), torch.tensor([[1]]), zeta=9.0).item() == pytest.approx(math.log(2))
    # the margin matters only when there are wrong steps
    a = pqm_loss(torch.zeros(1, 2), torch.tensor([[1, 0]]), zeta=2.0)
    b = pqm_loss(torch.zeros(1, 2), torch.tensor([[1, 0]]), zeta=4.0)
    assert a.item() < b.item()


def test_pqm_gradients_are_finite_with_padding_and_one_sided_solutions() -> None:
    q = torch.tensor([[1.0, -1.0, 0.0], [0.5, 0.0, 0.0], [0.2, 0.3, 0.0]], requires_grad=True)
    lab = torch.tensor([[1, 0, PAD_LABEL], [0, PAD_LABEL, PAD_LABEL], [PAD_LABEL] * 3])
    pqm_loss(q, lab).backward()
    assert q.grad is not None and torch.isfinite(q.grad).all()
    assert q.grad[:, 2].abs().sum() == 0 and q.grad[2].abs().sum() == 0  # padding gets no gradient
    # a higher Q on a wrong step raises the loss; a higher Q on a correct step lowers it
    assert q.grad[0, 1] > 0 and q.grad[0, 0] < 0


def test_pqm_rejects_soft_labels() -> None:
    with pytest.raises(ValueError, match="0, 1"):
        pqm_loss(torch.zeros(1, 1), torch.tensor([[2]]))


def test_step_bce_two_label_head_equals_soft_cross_entropy() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(7, 2, generator=g)
    y = torch.rand(7, generator=g)
    logp = torch.log_softmax(logits, dim=-1)
    want = -(y * logp[:, 1] + (1 - y) * logp[:, 0]).mean()
    assert step_bce(logits, y).item() == pytest.approx(want.item(), rel=1e-6)
    # positive_index swaps the roles of the two labels
    want0 = -(y * logp[:, 0] + (1 - y) * logp[:, 1]).mean()
    assert step_bce(logits, y, positive_index=0).item() == pytest.approx(want0.item(), rel=1e-6)
    # hard targets: the token-classification cross-entropy (TRL)
    hard = (y > 0.5).long()
    ce = torch.nn.functional.cross_entropy(logits, hard)
    assert step_bce(logits, hard.float()).item() == pytest.approx(ce.item(), rel=1e-6)


def test_step_bce_scalar_head_and_soft_targets_change_the_loss() -> None:
    v = torch.tensor([0.3])
    losses = [step_bce(v, torch.tensor([t])).item() for t in (0.0, 0.25, 1.0)]
    assert len(set(losses)) == 3
    assert losses[1] == pytest.approx(-(0.25 * math.log(1 / (1 + math.exp(-0.3))) + 0.75 * math.log(1 / (1 + math.exp(0.3)))))


def test_step_bce_refuses_integer_targets() -> None:
    with pytest.raises(TypeError, match="floating"):
        step_bce(torch.zeros(1, 2), torch.tensor([1]))


def test_token_logprobs_and_implicit_ce() -> None:
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 5, 11, generator=g, dtype=torch.bfloat16)
    ids = torch.randint(0, 11, (2, 5), generator=g)
    lp = token_logprobs(logits, ids)
    assert lp.dtype == torch.float32 and lp.shape == (2, 4)
    ref = torch.log_softmax(logits.float(), -1)[0, 2, ids[0, 3]]
    assert lp[0, 2].item() == pytest.approx(ref.item(), rel=1e-6)

    ratio = torch.tensor([10.0, -20.0])
    out = torch.tensor([1.0, 0.0])
    beta = 0.05
    want = -(math.log(1 / (1 + math.exp(-0.5))) + math.log(1 - 1 / (1 + math.exp(1.0)))) / 2
    assert implicit_ce(ratio, out, beta=beta).item() == pytest.approx(want, rel=1e-6)
    assert implicit_ce(ratio, out, beta=0.5).item() != pytest.approx(want)
    with pytest.raises(TypeError):
        implicit_ce(ratio, out.long(), beta=beta)
