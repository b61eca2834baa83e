"""The ``hf`` backend's one-pass batched scores equal each family's own reference procedure.

Every reference below is written the way the family's model card or
evaluation script does it (one forward pass per prefix, full logits, plain
``log_softmax``), independently of :mod:`prmkit.scoring.render`, and states
the card's constants (system prompt, step marker, cumulative or per-step)
literally: a reference never reads the spec under test, so a wrong catalog
entry cannot agree with itself.

Golden numbers in ``golden/`` pin the first solutions' scores;
``PRMKIT_UPDATE_GOLDEN=1`` rewrites them and fails the test
(``tests/_golden.py``), after a deliberate change only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from _golden import update_golden
from _require import need_module

from prmkit.scoring import get_spec, load_prm, score
from prmkit.scoring.spec import PRMSpec
from prmkit.types import Solution, StepScores

torch = need_module("torch")

GOLDEN = Path(__file__).parent / "golden"
N_GOLDEN = 3

QWEN_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
"""The system prompt of the Qwen2.5-Math(-PRM) model cards."""

# ---------------------------------------------------------------- references


def ref_qwen_prm(model: Any, tok: Any, sol: Solution) -> list[float]:
    """Qwen2.5-Math-PRM card: render steps[:k] with the template, read softmax[1] at the last <extra_0>."""
    tag = tok.convert_tokens_to_ids("<extra_0>")
    out = []
    for k in range(1, sol.n_steps + 1):
        messages = [
            {"role": "system", "content": QWEN_SYSTEM},
            {"role": "user", "content": sol.problem},
            {"role": "assistant", "content": "<extra_0>".join(sol.steps[:k]) + "<extra_0>"},
        ]
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        ids = torch.tensor([tok.encode(text)])
        probs = model(input_ids=ids).logits[0].softmax(-1)
        at = (ids[0] == tag).nonzero()[:, 0]
        assert len(at) == k
        out.append(probs[at[-1], 1].item())
    return out


def ref_math_shepherd(model: Any, tok: Any, sol: Solution) -> list[float]:
    """Math-Shepherd card: f"{question} {output}" with "step ки" lines, P(+) over {+,-} at every tag."""
    text = f"{sol.problem} " + "\n".join(f"{s} ки" for s in sol.steps)
    ids = torch.tensor([[tok.bos_token_id, *tok.encode(text, add_special_tokens=False)]])  # Mistral's encode adds BOS
    candidates = [tok.encode("+", add_special_tokens=False)[-1], tok.encode("-", add_special_tokens=False)[-1]]
    logits = model(input_ids=ids).logits[0][:, candidates]
    scores = logits.softmax(-1)[:, 0]
    return scores[ids[0] == tok.convert_tokens_to_ids(" ки")].tolist()


def ref_rlhflow(model: Any, tok: Any, sol: Solution) -> list[float]:
    """RLHFlow prm_evaluate.py: one pass per prefix conversation, P(+) where the last '+' is predicted.

    Llama-3.1 ends a turn with ``+<|eot_id|>`` so RLHFlow reads position -3;
    SmolLM2's ChatML ends it with ``+<|im_end|>\\n``, one token more: -4.
    """
    plus, minus = tok.encode("+", add_special_tokens=False)[-1], tok.encode("-", add_special_tokens=False)[-1]
    conversation: list[dict[str, str]] = []
    out = []
    for k, step in enumerate(sol.steps):
        text = f"{sol.problem} {step.strip()}" if k == 0 else step.strip()
        conversation += [{"role": "user", "content": text}, {"role": "assistant", "content": "+"}]
        rendered = tok.apply_chat_template(conversation, tokenize=False)
        ids = torch.tensor([tok.encode(rendered, add_special_tokens=False)])
        assert ids[0, -3] == plus
        logits = model(input_ids=ids).logits[0, -4, [plus, minus]]
        out.append(logits.softmax(-1)[0].item())
    return out


def ref_skywork(model: Any, tok: Any, sol: Solution) -> list[float]:
    """Skywork io_utils: BOS + problem + "\\n", every "\\n"-split piece tokenised + "\\n" id; per prefix."""
    newline = tok.encode("\n", add_special_tokens=False)[-1]
    out = []
    for k in range(1, sol.n_steps + 1):
        ids = ([tok.bos_token_id] if tok.bos_token_id is not None else []) + tok.encode(
            sol.problem + "\n", add_special_tokens=False
        )
        for step in sol.steps[:k]:
            for piece in step.strip().split("\n"):
                if piece != "":
                    ids += [*tok.encode(piece, add_special_tokens=False), newline]
        value = model(input_ids=torch.tensor([ids])).logits[0, -1, 0]
        out.append(torch.sigmoid(value).item())
    return out


def ref_trl(model: Any, tok: Any, sol: Solution, *, step_separator: str) -> list[float]:
    """TRL PRMTrainer.tokenize_row: separate step ids + separator ids, label on the last; per prefix."""
    sep = tok.encode(step_separator, add_special_tokens=False)
    out = []
    for k in range(1, sol.n_steps + 1):
        ids = tok(sol.problem, add_special_tokens=False)["input_ids"]
        if tok.bos_token_id is not None:
            ids = [tok.bos_token_id, *ids]
        for step in sol.steps[:k]:
            ids += tok(step, add_special_tokens=False)["input_ids"] + sep
        out.append(model(input_ids=torch.tensor([ids])).logits[0, -1].softmax(-1)[1].item())
    return out


def ref_prmkit(model: Any, tok: Any, sol: Solution) -> list[float]:
    """prmkit-prm: Qwen's chat template (system + user, generation prompt) as the prompt, then TRL's steps; per prefix."""
    prompt = tok.apply_chat_template([{"role": "system", "content": QWEN_SYSTEM}, {"role": "user", "content": sol.problem}],
                                     tokenize=False, add_generation_prompt=True)
    sep = tok.encode("\n\n", add_special_tokens=False)
    out = []
    for k in range(1, sol.n_steps + 1):
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        for step in sol.steps[:k]:
            ids += tok(step.strip(), add_special_tokens=False)["input_ids"] + sep
        out.append(model(input_ids=torch.tensor([ids])).logits[0, -1].softmax(-1)[1].item())
    return out


def ref_implicit(
    models: tuple[Any, Any], tok: Any, sol: Solution, *, beta: float, cumulative: bool, sigmoid: bool
) -> list[float]:
    """Implicit PRM: full-sequence log_softmax of both models; step k ends where the text cut after it ends.

    ``cumulative``: a step's reward is q at its end (EurusPRM-Stage2's card), else q minus the previous
    step's (Stage1's "single" step reward)."""
    content = "\n\n".join(sol.steps)
    full = tok.apply_chat_template(
        [{"role": "user", "content": sol.problem}, {"role": "assistant", "content": content}], tokenize=False
    )
    start = full.index(content)
    ids = tok.encode(full, add_special_tokens=False)
    n_prompt = len(tok.encode(full[:start], add_special_tokens=False))
    ends = []
    for k in range(1, sol.n_steps + 1):
        cut = start + len("\n\n".join(sol.steps[:k])) + (2 if k < sol.n_steps else 0)
        prefix = tok.encode(full[:cut], add_special_tokens=False)
        assert prefix == ids[: len(prefix)], "test text: the cut after a step must fall on a token boundary"
        ends.append(len(prefix))
    x = torch.tensor([ids])
    logps = [m(input_ids=x).logits[0, :-1].log_softmax(-1).gather(1, x[0, 1:, None])[:, 0] for m in models]
    ratio = (logps[0] - logps[1]).double()  # ratio[i] is token i + 1's
    q_prev, out = 0.0, []
    for end in ends:
        q = beta * ratio[n_prompt - 1 : end - 1].sum().item()
        reward = q if cumulative else q - q_prev
        q_prev = q
        out.append(1 / (1 + math.exp(-reward)) if sigmoid else reward)
    return out


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    spec: PRMSpec
    reference: Callable[..., list[float]]
    """``(model or (policy, reference), tokenizer, solution) -> scores``, with the card's constants written in."""
    build: Callable[[Any], tuple[Any, Any, Any]]
    """``request -> (model, reference_model or None, tokenizer)``."""
    atol: float = 1e-5


def _implicit(name: str, cumulative: bool) -> Case:
    # beta 1, no sigmoid: raw log-ratio sums, so a token moved between steps shows at 1e-5 (the catalog's
    # beta 0.001 + sigmoid is checked against these in test_hf.py). A raw log-ratio is a difference of two
    # sums of ~-12 log-probabilities per token: fp32 rounding that depends on the batch shape reaches 2e-5
    # there (seen on an AVX2 CPU), far below what a token moved between steps changes
    spec = replace(get_spec(name), beta=1.0, sigmoid=False)
    reference = partial(ref_implicit, beta=1.0, cumulative=cumulative, sigmoid=False)
    return Case(spec, reference, lambda r: (r.getfixturevalue("qwen_lm")(51), r.getfixturevalue("qwen_lm")(52),
                                            r.getfixturevalue("qwen_tok")), atol=1e-4)


CASES = {
    "qwen2.5-math-prm-7b": Case(
        get_spec("qwen2.5-math-prm-7b"),
        ref_qwen_prm,
        lambda r: (r.getfixturevalue("qwen_classifier")(2, 11), None, r.getfixturevalue("qwen_prm_tok")),
    ),
    "math-shepherd": Case(
        get_spec("math-shepherd"),
        ref_math_shepherd,
        lambda r: (r.getfixturevalue("llama_lm")(49153, 21), None, r.getfixturevalue("smol_shepherd_tok")),
    ),
    "rlhflow-8b-deepseek": Case(
        get_spec("rlhflow-8b-deepseek"),
        ref_rlhflow,
        lambda r: (r.getfixturevalue("llama_lm")(49152, 31), None, r.getfixturevalue("smol_tok")),
    ),
    "skywork-prm-7b": Case(
        get_spec("skywork-prm-7b"),
        ref_skywork,
        lambda r: (r.getfixturevalue("qwen_classifier")(1, 41), None, r.getfixturevalue("qwen_tok")),
    ),
    "h4-qwen2.5-math-7b-prm-0.2": Case(
        get_spec("h4-qwen2.5-math-7b-prm-0.2"),
        partial(ref_trl, step_separator="\n\n"),  # the H4 model card's step_separator
        lambda r: (r.getfixturevalue("qwen_classifier")(2, 61), None, r.getfixturevalue("qwen_tok")),
    ),
    "trl-prm": Case(
        get_spec("trl-prm"),
        partial(ref_trl, step_separator="\n"),  # PRMConfig's default step_separator
        lambda r: (r.getfixturevalue("llama_classifier")(49152, 2, 62), None, r.getfixturevalue("smol_tok")),
    ),
    "prmkit-prm": Case(
        get_spec("prmkit-prm"),
        ref_prmkit,
        lambda r: (r.getfixturevalue("qwen_classifier")(2, 63), None, r.getfixturevalue("qwen_tok")),
    ),
    "eurus-prm-stage1": _implicit("eurus-prm-stage1", cumulative=False),  # the card's per-step reward
    "eurus-prm-stage2": _implicit("eurus-prm-stage2", cumulative=True),  # the card's accumulative reward
}


@pytest.fixture(scope="module", params=sorted(CASES))
def scored(request: pytest.FixtureRequest, solutions: tuple[Solution, ...]) -> tuple[str, Case, Any, list[Any]]:
    case = CASES[request.param]
    model, ref_model, tok = case.build(request)
    prm = load_prm(case.spec, model=model, reference_model=ref_model, tokenizer=tok, batch_tokens=300, dtype="float32")
    return request.param, case, (model, ref_model, tok), score(prm, solutions)


def test_one_pass_batched_scores_equal_the_reference_procedure(scored: Any, solutions: tuple[Solution, ...]) -> None:
    name, case, (model, ref_model, tok), results = scored
    with torch.inference_mode():
        for sol, got in zip(solutions, results, strict=True):
            assert isinstance(got, StepScores), (sol.id, got)
            assert len(got.scores) == sol.n_steps
            want = case.reference((model, ref_model) if ref_model is not None else model, tok, sol)
            assert got.scores == pytest.approx(want, abs=case.atol, rel=1e-5), (name, sol.id)


def test_scores_match_golden_numbers(scored: Any, solutions: tuple[Solution, ...]) -> None:
    name, case, _, results = scored
    path = GOLDEN / f"{name}.json"
    got = {s.id: list(r.scores) for s, r in zip(solutions[:N_GOLDEN], results, strict=False)}
    update_golden(path, json.dumps({"spec": case.spec.name, "scores": got}, indent=1) + "\n")
    want = json.loads(path.read_text())["scores"]
    assert got.keys() == want.keys()
    for sid in want:
        assert got[sid] == pytest.approx(want[sid], abs=1e-4), (name, sid)


def test_scores_are_not_degenerate(scored: Any) -> None:
    """The tiny models must spread scores, or the parity and golden checks could not catch a shifted readout."""
    name, _, _, results = scored
    flat = [s for r in results for s in r.scores]
    assert max(flat) - min(flat) > 0.05, name
