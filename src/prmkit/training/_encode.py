"""Training examples -> token ids and readout positions, through the scoring renderer.

Training and scoring share :func:`prmkit.scoring.render.render`, so a trained
checkpoint reads exactly the positions it was trained on. Examples that cannot
be scored (empty step, reserved text, too long) are skipped and counted, never
truncated: truncation drops step markers.

Shape letters: ``B`` examples, ``T`` tokens, ``S`` steps (padded).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prmkit._extras import require
from prmkit.scoring import validate_solution
from prmkit.scoring.render import RenderError, render, reserved_strings, resolve_ids
from prmkit.scoring.spec import PRMSpec
from prmkit.training.losses import PAD_LABEL
from prmkit.types import StepwiseExample

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["Encoded", "collate", "data_fingerprint", "encode_examples"]


@dataclass(frozen=True)
class Encoded:
    """One rendered example: tokens, one readout position per step, and what the loss reads."""

    input_ids: tuple[int, ...]
    positions: tuple[int, ...]
    """Token index read for each step (``log_ratio``: the last token of each step)."""
    targets: tuple[float, ...]
    """Step labels as floats (empty for outcome-only examples)."""
    response: tuple[int, int] = (0, 0)
    """``log_ratio``: half-open token range of the response (all steps)."""
    outcome: float | None = None


def encode_examples(
    examples: Sequence[StepwiseExample], tokenizer: Any, spec: PRMSpec, *, max_length: int
) -> tuple[list[Encoded], Counter[str]]:
    """Render every example with ``spec``; return the encodings and a count of skipped ones by reason."""
    ids = resolve_ids(tokenizer, spec)
    reserved = reserved_strings(spec)
    out: list[Encoded] = []
    skipped: Counter[str] = Counter()
    for ex in examples:
        failure = validate_solution(ex.solution, reserved)
        if failure is not None:
            skipped[failure.reason] += 1
            continue
        try:
            r = render(tokenizer, spec, ex.solution, ids)
        except RenderError:
            skipped["render_error"] += 1
            continue
        if len(r.input_ids) > max_length:
            skipped["context_length"] += 1
            continue
        targets = tuple(float(v) for v in ex.labels) if ex.labels is not None else ()
        if targets and len(targets) != len(r.positions):
            raise AssertionError(f"{len(r.positions)} positions for {len(targets)} labels")
        response = (r.spans[0][0], r.spans[-1][1]) if r.spans else (0, 0)
        outcome = None if ex.outcome is None else float(ex.outcome)
        out.append(Encoded(r.input_ids, r.positions, targets, response, outcome))
    return out, skipped


def data_fingerprint(data: Sequence[Encoded]) -> str:
    """A hash of everything training reads from the examples: tokens, positions, targets, outcomes.

    >>> data_fingerprint([Encoded((5, 6), (1,), (1.0,))]) == data_fingerprint([Encoded((5, 6), (1,), (0.5,))])
    False
    """
    h = hashlib.sha256()
    for e in data:
        h.update(json.dumps([e.input_ids, e.positions, e.targets, e.response, e.outcome]).encode())
    return h.hexdigest()[:16]


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, Tensor]:
    """Right-pad a batch. Returns ``input_ids_B_T``, ``attention_mask_B_T``, ``positions_B_S``,
    ``targets_B_S`` (float, :data:`PAD_LABEL` where ``step_mask_B_S`` is false), ``step_mask_B_S``,
    ``response_mask_B_T`` (token t is a response token), and ``outcome_B`` when every example has one.

    >>> b = collate([Encoded((5, 6, 7), (2,), (0.25,)), Encoded((5,), (0,), (1.0,))], pad_id=0)
    >>> b["input_ids_B_T"].tolist(), b["targets_B_S"].dtype
    ([[5, 6, 7], [5, 0, 0]], torch.float32)
    """
    torch = require("torch", extra="hf")
    n_t = max(len(e.input_ids) for e in batch)
    n_s = max(len(e.positions) for e in batch)
    b = len(batch)
    input_ids = torch.full((b, n_t), pad_id, dtype=torch.long)
    attention = torch.zeros((b, n_t), dtype=torch.long)
    positions = torch.zeros((b, n_s), dtype=torch.long)
    targets = torch.full((b, n_s), float(PAD_LABEL), dtype=torch.float32)
    step_mask = torch.zeros((b, n_s), dtype=torch.bool)
    response = torch.zeros((b, n_t), dtype=torch.bool)
    for i, e in enumerate(batch):
        input_ids[i, : len(e.input_ids)] = torch.tensor(e.input_ids)
        attention[i, : len(e.input_ids)] = 1
        positions[i, : len(e.positions)] = torch.tensor(e.positions)
        step_mask[i, : len(e.positions)] = True
        if e.targets:
            targets[i, : len(e.targets)] = torch.tensor(e.targets, dtype=torch.float32)
        response[i, e.response[0] : e.response[1]] = True
    out = {
        "input_ids_B_T": input_ids,
        "attention_mask_B_T": attention,
        "positions_B_S": positions,
        "targets_B_S": targets,
        "step_mask_B_S": step_mask,
        "response_mask_B_T": response,
    }
    if all(e.outcome is not None for e in batch):
        out["outcome_B"] = torch.tensor([e.outcome for e in batch], dtype=torch.float32)
    return out
