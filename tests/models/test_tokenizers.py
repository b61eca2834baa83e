"""The offline tokenizers are the real ones: known ids, round trips, special tokens, chat templates."""

from __future__ import annotations

import os

import pytest
from _require import need_module

os.environ.setdefault("HF_HUB_OFFLINE", "1")
need_module("transformers")

from prmkit.models.tokenizers import QWEN2_SPECIAL_TOKENS, qwen_tokenizer, smollm2_tokenizer  # noqa: E402

TEXTS = (
    "Hello, world!",
    "Let's compute $\\frac{3}{4} \\cdot 12 = 9$.\n\nSo the answer is \\boxed{9}.",
    "  leading spaces\n\n\n  and\ttabs  ",
    "Кириллица ки, 中文字符, émoji 😀, ∑_{i=1}^{n} i² = n(n+1)/2",
    "12345678901234567890 don't WE'LL it's",
    "\r\n\r\nwindows\r\n",
)


@pytest.fixture(scope="module")
def qwen() -> object:
    return qwen_tokenizer()


@pytest.fixture(scope="module")
def smol() -> object:
    return smollm2_tokenizer()


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Hello, world!", [9707, 11, 1879, 0]),
        ("1+1=2", [16, 10, 16, 28, 17]),  # digits are single tokens in Qwen2
        ("\n\n", [271]),
        (" ки", [7665, 1802]),
        ("\\boxed{9}", [59, 79075, 90, 24, 92]),
        ("<|im_start|>user\nhi<|im_end|>", [151644, 872, 198, 6023, 151645]),
    ],
)
def test_qwen_known_ids(qwen: object, text: str, ids: list[int]) -> None:
    assert qwen.encode(text) == ids  # type: ignore[attr-defined]


def test_qwen_vocabulary_and_special_tokens(qwen: object) -> None:
    tok = qwen
    assert len(tok) == 151643 + len(QWEN2_SPECIAL_TOKENS) == 151665  # type: ignore[arg-type]
    assert tok.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]) == [151643, 151644, 151645]  # type: ignore[attr-defined]
    assert tok.bos_token_id is None and tok.eos_token == "<|im_end|>" and tok.pad_token_id == 151643  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", TEXTS)
def test_qwen_round_trips(qwen: object, text: str) -> None:
    assert qwen.decode(qwen.encode(text)) == text  # type: ignore[attr-defined]


def test_qwen_chat_template(qwen: object) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    assert qwen.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) == (  # type: ignore[attr-defined]
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_each_call_returns_an_independent_tokenizer(qwen: object) -> None:
    mine = qwen_tokenizer()
    mine.add_special_tokens({"additional_special_tokens": ["<extra_0>"]})
    assert len(mine) == 151666 and len(qwen_tokenizer()) == 151665  # type: ignore[arg-type]
    s = smollm2_tokenizer()
    s.add_tokens([" ки"])
    assert len(smollm2_tokenizer()) == 49152


def test_smollm2_known_ids_and_template(smol: object) -> None:
    tok = smol
    assert len(tok) == 49152  # type: ignore[arg-type]
    assert tok.encode("Hello world", add_special_tokens=False) == [19556, 905]  # type: ignore[attr-defined]
    assert tok.encode(" ки", add_special_tokens=False) == [31338, 7872]  # type: ignore[attr-defined]  # "Ġк" "и": two tokens
    assert tok.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]) == [0, 1, 2]  # type: ignore[attr-defined]
    assert tok.bos_token_id == 1 and tok.eos_token_id == 2  # type: ignore[attr-defined]
    rendered = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)  # type: ignore[attr-defined]
    assert rendered == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    for text in TEXTS:
        assert tok.decode(tok.encode(text, add_special_tokens=False)) == text  # type: ignore[attr-defined]
