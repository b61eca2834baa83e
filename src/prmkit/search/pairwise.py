r"""A pairwise judge: which of two candidate solutions is better (as Reward Reasoning Models, RRM, do).

The judge reads a problem and two solutions, reasons, and ends with a verdict
``\boxed{A}`` or ``\boxed{B}``. Every pair is judged **in both orders** —
(i as A, j as B) and (j as A, i as B) — to cancel position bias; the two
verdicts combine into one :class:`Comparison` outcome:

==========  ===============================================================
``win``     both orders name the same candidate; ``winner`` is its index
``tie``     both verdicts parse but name different candidates (position bias)
``failed``  at least one verdict is malformed or missing; raw texts are kept
==========  ===============================================================

**Verdict rule** (:func:`parse_verdict`): the *last* ``\boxed{...}`` in the
text decides (a judge may revise itself); its content, with surrounding
whitespace and one ``\text{}``/``\textbf{}``/``\mathrm{}``/``\mathbf{}``
wrapper removed, must be exactly ``A`` or ``B`` (either case). Anything else —
no box, an unclosed last box, ``\boxed{A or B}``, ``\boxed{C}``, an empty box —
raises :class:`VerdictError` carrying the raw text; nothing is defaulted.

Requests are seeded from the judge's seed and a hash of the prompt, so a
verdict depends only on the content it judges, and every pair of a round goes
through one batched ``generate`` call. Each comparison carries the tokens the
judge generated for it (both orders).

>>> parse_verdict(r"A skips a case. \boxed{B} ... no, on reflection \boxed{ \text{a} }")
'A'
>>> try:
...     parse_verdict(r"both are fine: \boxed{A or B}")
... except VerdictError as e:
...     (e.reason, e.message, e.raw[-7:])
('malformed', 'last \\boxed{} holds "A or B", not A or B', 'A or B}')
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

from prmkit.data import JsonlAppender, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.generation import GenerationRequest, Generator, Sample
from prmkit.scoring.judges import VerdictError

__all__ = [
    "DEFAULT_TEMPLATE",
    "Comparison",
    "JsonlMemo",
    "Outcome",
    "PairwiseJudge",
    "Verdict",
    "VerdictError",
    "parse_verdict",
]

Verdict = Literal["A", "B"]
Outcome = Literal["win", "tie", "failed"]

DEFAULT_TEMPLATE = (
    "<|im_start|>system\nYou are a careful judge of math solutions.<|im_end|>\n"
    "<|im_start|>user\nProblem:\n{problem}\n\n"
    "Solution A:\n{a}\n\n"
    "Solution B:\n{b}\n\n"
    "Which solution is better (correct and well reasoned)? Think it through, then end with "
    "your verdict on its own line: \\boxed{{A}} or \\boxed{{B}}.<|im_end|>\n"
    "<|im_start|>assistant\n"
)
"""ChatML prompt (Qwen-family judges) with fields ``problem``, ``a`` and ``b``."""

_BOX = "\\boxed{"
_WRAP = re.compile(r"^\\(?:text|textbf|mathrm|mathbf)\s*\{(.*)\}$", re.S)


def parse_verdict(text: str) -> Verdict:
    r"""The verdict of a judge's text by the rule above; :class:`VerdictError` otherwise.

    >>> parse_verdict(r"\boxed{B}")
    'B'
    """
    start = text.rfind(_BOX)
    if start < 0:
        raise VerdictError("missing", "no \\boxed{} verdict", text)
    depth, i = 1, start + len(_BOX)
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    if depth:
        raise VerdictError("incomplete", "last \\boxed{ is never closed", text)
    content = text[start + len(_BOX) : i - 1].strip()
    m = _WRAP.match(content)
    inner = (m.group(1) if m else content).strip().upper()
    if inner not in ("A", "B"):
        raise VerdictError("malformed", f'last \\boxed{{}} holds "{content}", not A or B', text)
    return "A" if inner == "A" else "B"


@dataclass(frozen=True)
class Comparison:
    """Candidates ``i`` and ``j`` judged in both orders: ``forward`` has i as A, ``backward`` j as A."""

    i: int
    j: int
    outcome: Outcome
    winner: int | None
    """Index of the winner for ``win``; None for ``tie`` and ``failed``."""
    verdicts: tuple[Verdict | None, Verdict | None]
    """Parsed (forward, backward) verdicts; None where that text failed to parse."""
    raw: tuple[str, str]
    """The judge's (forward, backward) texts, verbatim."""
    errors: tuple[str | None, str | None]
    """Why each verdict failed (:attr:`VerdictError.message`), or None."""
    n_tokens: int
    """Tokens the judge generated for both orders."""


def combine(i: int, j: int, forward: Sample, backward: Sample) -> Comparison:
    r"""One comparison from the two orders' samples (forward: i is A; backward: j is A).

    >>> s = lambda t: Sample(t, 3, "stop", 9)
    >>> combine(0, 1, s(r"\boxed{A}"), s(r"\boxed{B}")).winner
    0
    >>> combine(0, 1, s(r"\boxed{A}"), s(r"\boxed{A}")).outcome
    'tie'
    """
    verdicts: list[Verdict | None] = []
    errors: list[str | None] = []
    for sample in (forward, backward):
        try:
            verdicts.append(parse_verdict(sample.text))
            errors.append(None)
        except VerdictError as e:
            verdicts.append(None)
            errors.append(e.message)
    fw, bw = verdicts
    picks = None if fw is None or bw is None else ({"A": i, "B": j}[fw], {"A": j, "B": i}[bw])
    if picks is None:
        outcome: Outcome = "failed"
    else:
        outcome = "win" if picks[0] == picks[1] else "tie"
    return Comparison(
        i,
        j,
        outcome,
        picks[0] if outcome == "win" and picks is not None else None,
        (fw, bw),
        (forward.text, backward.text),
        (errors[0], errors[1]),
        forward.n_tokens + backward.n_tokens,
    )


class JsonlMemo(MutableMapping[str, Sample]):
    """A judge memo stored as JSONL: every judged sample is appended (and fsynced) as it is made.

    Reopening the file restores what was judged, so an interrupted run resumes
    where it stopped. One line per sample: ``{"key", "text", "n_tokens",
    "finish_reason", "n_prompt_tokens"}``; a torn last line (a crash mid-write) is
    ignored, any other bad line is a :class:`~prmkit.errors.DataFormatError`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._data: dict[str, Sample] = {}
        if os.path.exists(self.path):
            JsonlAppender(self.path).close()  # drops a torn last line, so later appends stay valid JSONL
            for n, rec in read_jsonl(self.path):
                try:
                    key = rec.pop("key")
                    self._data[key] = Sample(**rec)
                except (KeyError, TypeError) as e:
                    raise DataFormatError(str(e), path=self.path, line=n, field="record", value=rec) from None

    def __getitem__(self, key: str) -> Sample:
        return self._data[key]

    def __setitem__(self, key: str, value: Sample) -> None:
        with JsonlAppender(self.path) as out:
            out.write({"key": key, **asdict(value)})
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a JsonlMemo is append-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _seed(base: int, prompt: str) -> int:
    digest = hashlib.sha256(f"{base}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


@dataclass
class PairwiseJudge:
    """A generator used as a pairwise judge.

    ``memo`` maps a request's content key (:meth:`key`) to its sample; requests
    found there are not generated again, so a run that is resumed with the same
    memo redoes nothing it had finished.
    """

    generator: Generator
    max_tokens: int = 512
    """Most tokens of reasoning and verdict per order."""
    temperature: float = 0.0
    """Judge sampling temperature (0: greedy)."""
    seed: int = 0
    """Base seed; each request's seed also depends on its prompt."""
    template: str = DEFAULT_TEMPLATE
    """Prompt with ``{problem}``, ``{a}``, ``{b}``."""
    memo: MutableMapping[str, Sample] = field(default_factory=dict)
    """Content key -> judged sample; pass a persistent mapping to resume across runs."""
    calls: int = 0
    """``generate`` calls made (one per round that had something new to judge)."""
    generated: int = 0
    """Samples generated (requests not found in the memo)."""
    generated_tokens: int = 0
    """Tokens the judge generated for those samples."""

    def request(self, problem: str, a: str, b: str) -> GenerationRequest:
        """The request that judges ``a`` (as A) against ``b`` (as B)."""
        prompt = self.template.format(problem=problem, a=a, b=b)
        return GenerationRequest(
            prompt,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stop=("<|im_end|>", "<|im_start|>"),
            seed=_seed(self.seed, prompt),
        )

    def key(self, request: GenerationRequest) -> str:
        """Content key of a request: prompt, seed and sampling settings."""
        text = f"{request.prompt}\0{request.seed}\0{request.max_tokens}\0{request.temperature}"
        return hashlib.sha256(text.encode()).hexdigest()

    def compare(
        self, problem: str, solutions: Sequence[str], pairs: Sequence[tuple[int, int]]
    ) -> list[Comparison]:
        """Judge ``pairs`` of indices into ``solutions``, both orders, in one ``generate`` call."""
        return self.compare_many([(problem, solutions, pairs)])[0]

    def compare_many(
        self,
        items: Sequence[tuple[str, Sequence[str], Sequence[tuple[int, int]]]],
        *,
        chunk: int | None = None,
    ) -> list[list[Comparison]]:
        """Judge the pairs of several ``(problem, solutions, pairs)`` at once.

        Requests not in the memo go through one ``generate`` call per ``chunk``
        of them (all in one call when None); each chunk is stored in the memo as
        soon as it returns, so an interrupted run loses at most one chunk.
        """
        if chunk is not None and chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        all_keys: list[list[str]] = []
        todo: dict[str, GenerationRequest] = {}
        for problem, solutions, pairs in items:
            reqs = [
                self.request(problem, solutions[x], solutions[y])
                for i, j in pairs
                for x, y in ((i, j), (j, i))
            ]
            keys = [self.key(r) for r in reqs]
            all_keys.append(keys)
            for k, r in zip(keys, reqs, strict=True):
                if k not in self.memo:
                    todo.setdefault(k, r)
        pending = list(todo.items())
        step = chunk or max(len(pending), 1)
        for lo in range(0, len(pending), step):
            part = pending[lo : lo + step]
            self.calls += 1
            out = self.generator.generate([r for _, r in part])
            for (k, _), samples in zip(part, out, strict=True):
                self.memo[k] = samples[0]
                self.generated += 1
                self.generated_tokens += samples[0].n_tokens
        return [
            [
                combine(i, j, self.memo[keys[2 * p]], self.memo[keys[2 * p + 1]])
                for p, (i, j) in enumerate(pairs)
            ]
            for keys, (_, _, pairs) in zip(all_keys, items, strict=True)
        ]
