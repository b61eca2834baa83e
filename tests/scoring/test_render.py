"""Token rendering on real tokenizers: where each family's readout lands, token by token."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from prmkit.errors import ConfigError
from prmkit.scoring import get_spec
from prmkit.scoring.render import RenderError, fill, render, reserved_strings, resolve_ids
from prmkit.types import Solution

SOL = Solution("What is {x} + 1 if x = 2?", ("x + 1 = 2 + 1.", "So it is\n3.", "The answer is \\boxed{3}."))


def test_chat_reads_the_extra_0_after_every_step_inside_the_response(qwen_prm_tok: Any) -> None:
    tok, spec = qwen_prm_tok, get_spec("qwen2.5-math-prm-7b")
    sol = replace(SOL, problem="A problem that quotes <extra_0> itself.")
    r = render(tok, spec, sol)
    tag = tok.convert_tokens_to_ids("<extra_0>")
    assert [r.input_ids[p] for p in r.positions] == [tag] * 3
    assert r.input_ids.count(tag) == 4  # the problem's own tag is not read
    text = tok.decode(list(r.input_ids))
    assert text.endswith("<|im_start|>assistant\n" + "<extra_0>".join(SOL.steps) + "<extra_0><|im_end|>\n")
    system = "Please reason step by step, and put your final answer within \\boxed{}."  # the model card's
    assert text.startswith("<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n")


def test_text_tags_every_step_and_prepends_bos(smol_shepherd_tok: Any) -> None:
    tok, spec = smol_shepherd_tok, get_spec("math-shepherd")
    r = render(tok, spec, SOL)
    assert r.input_ids[0] == tok.bos_token_id == 1
    assert tok.decode(list(r.input_ids[1:])) == SOL.problem + " " + " ки\n".join(SOL.steps) + " ки"
    assert [tok.decode([r.input_ids[p]]) for p in r.positions] == [" ки"] * 3
    assert r.positions[-1] == len(r.input_ids) - 1


def test_segments_append_separator_ids_not_a_joined_string(qwen_tok: Any) -> None:
    """TRL's rule: "step." + "\\n\\n" ids, where the joined string would merge ".\\n\\n" into one token."""
    tok, spec = qwen_tok, get_spec("h4-qwen2.5-math-7b-prm-0.2")
    r = render(tok, spec, SOL)
    sep = tok.encode("\n\n")
    assert sep == [271]
    want = tok.encode(SOL.problem)
    ends = []
    for step in SOL.steps:
        want += tok.encode(step) + sep
        ends.append(len(want) - 1)
    assert list(r.input_ids) == want and list(r.positions) == ends
    joined = tok.encode(SOL.problem + "".join(s + "\n\n" for s in SOL.steps))
    assert joined != want and tok.convert_ids_to_tokens(joined).count(".ĊĊ") == 3


def test_segments_with_bos_and_split_pieces(qwen_tok: Any, smol_tok: Any) -> None:
    sky = render(qwen_tok, get_spec("skywork-prm-7b"), SOL)  # Qwen has no BOS: none is added
    newline = qwen_tok.encode("\n")[-1]
    pieces = ["x + 1 = 2 + 1.", "So it is", "3.", "The answer is \\boxed{3}."]
    want = qwen_tok.encode(SOL.problem + "\n")
    for piece in pieces:
        want += [*qwen_tok.encode(piece), newline]
    assert list(sky.input_ids) == want
    assert [sky.input_ids[p] for p in sky.positions] == [newline] * 3
    assert sky.positions[1] == len(want) - 1 - len(qwen_tok.encode(pieces[3])) - 1  # after "3.", not "So it is"
    trl = render(smol_tok, get_spec("trl-prm"), SOL)
    assert trl.input_ids[0] == smol_tok.bos_token_id


def test_multiturn_reads_the_position_predicting_each_plus(smol_tok: Any) -> None:
    tok, spec = smol_tok, get_spec("rlhflow-8b-mistral")
    r = render(tok, spec, SOL)
    plus = tok.encode("+", add_special_tokens=False)[-1]
    assert [r.input_ids[p + 1] for p in r.positions] == [plus] * 3
    assert [tok.decode([r.input_ids[p]]) for p in r.positions] == ["\n"] * 3  # "<|im_start|>assistant\n"
    text = tok.decode(list(r.input_ids))
    assert "<|im_start|>user\nWhat is {x} + 1 if x = 2? x + 1 = 2 + 1.<|im_end|>" in text
    assert text.count("<|im_start|>assistant\n+<|im_end|>") == 3


def test_log_ratio_spans_cover_each_step_and_its_joiner(qwen_tok: Any) -> None:
    tok, spec = qwen_tok, get_spec("eurus-prm-stage2")
    r = render(tok, spec, SOL)
    assert [tok.decode(list(r.input_ids[a:b])) for a, b in r.spans] == [
        "x + 1 = 2 + 1.\n\n",
        "So it is\n3.\n\n",
        "The answer is \\boxed{3}.",
    ]
    assert tok.decode(list(r.input_ids[: r.spans[0][0]])).endswith("<|im_start|>assistant\n")
    assert tok.decode(list(r.input_ids[r.spans[-1][1] :])) == "<|im_end|>\n"
    assert list(r.positions) == [b - 1 for _, b in r.spans]


def test_a_template_that_trims_the_response_is_a_render_error(smol_tok: Any) -> None:
    trimming = copy.deepcopy(smol_tok)
    trimming.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    trimming.chat_template = trimming.chat_template.replace("message['content']", "message['content'] | trim")
    spec = get_spec("qwen2.5-math-prm-7b")
    render(trimming, spec, SOL)  # nothing to trim: fine
    with pytest.raises(RenderError, match="changed the response"):
        render(trimming, spec, Solution("p", ("  indented first step",)))


def test_resolve_ids_and_reserved(qwen_prm_tok: Any, qwen_tok: Any) -> None:
    ids = resolve_ids(qwen_prm_tok, get_spec("qwen2.5-math-prm-7b"))
    assert ids.marker == qwen_prm_tok.convert_tokens_to_ids("<extra_0>") == 151665
    with pytest.raises(ConfigError, match="5 tokens"):
        resolve_ids(qwen_tok, get_spec("qwen2.5-math-prm-7b"))  # no <extra_0> in the base vocabulary
    assert resolve_ids(qwen_tok, get_spec("h4-qwen2.5-math-7b-prm-0.2")).separator == (271,)
    assert reserved_strings(get_spec("math-shepherd")) == ("ки", " ки")
    assert reserved_strings(get_spec("skywork-prm-7b")) == ()
    assert reserved_strings(get_spec("eurus-prm-stage1")) == ()


def test_fill_keeps_braces() -> None:
    assert fill("{problem} {step}", problem="{step} {x}", step="a{problem}") == "{step} {x} a{problem}"
