"""Token rendering: a :class:`~prmkit.types.Solution` -> ``input_ids`` + one readout position per step.

Pure functions of (tokenizer, spec, solution); no model, no torch. Every
format places its step markers at known character offsets and maps them to
tokens through the tokenizer's offset mapping, so a marker that merges with
its neighbours, or a template that moves text, is an error, never a silently
shifted readout. Conventions are documented in :mod:`prmkit.scoring.spec`.

>>> from prmkit.models.tokenizers import qwen_tokenizer            # doctest: +SKIP
>>> from prmkit.scoring import get_spec                              # doctest: +SKIP
>>> r = render(qwen_tokenizer(), get_spec("h4-qwen2.5-math-7b-prm-0.2"), Solution("1+1?", ("1+1=2",)))  # doctest: +SKIP
>>> r.input_ids, r.positions                                         # doctest: +SKIP
((16, 10, 16, 30, 16, 10, 16, 28, 17, 271), (9,))
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prmkit.errors import ConfigError, PRMKitError
from prmkit.scoring._backend import validate_solution
from prmkit.scoring.readouts import ModelReadout, get_readout
from prmkit.scoring.spec import PRMSpec
from prmkit.types import ScoreFailure, ScoreResult, Solution

__all__ = ["RenderError", "Rendered", "TokenIds", "render", "render_batch", "reserved_strings", "resolve_ids"]


class RenderError(PRMKitError, ValueError):
    """One solution cannot be rendered with exactly one readout position per step."""


@dataclass(frozen=True)
class Rendered:
    """One solution as tokens.

    ``positions[k]`` is the token index whose output is read for step ``k``
    (for ``tag_logits`` the position that *predicts* the next token).
    ``spans[k]`` (``log_ratio`` only) is the half-open token range of step
    ``k``'s response tokens; token ``i`` is predicted at position ``i - 1``.
    """

    input_ids: tuple[int, ...]
    positions: tuple[int, ...]
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class TokenIds:
    """Token ids a spec needs, resolved once from the tokenizer (never hard-coded)."""

    marker: int | None = None
    """``chat``/``text`` tag readouts: the marker's single id (``None``: learnt from the text)."""
    columns: tuple[int, ...] = ()
    """The LM-head columns the readout reads (``tag_logits``: the last ids of ``good_token`` and ``bad_token``)."""
    separator: tuple[int, ...] = ()
    """``segments``: the ids appended after every step."""
    bos: int | None = None
    """``text``/``segments`` with ``add_bos``: the tokenizer's BOS id, if it has one."""


def reserved_strings(spec: PRMSpec) -> tuple[str, ...]:
    """Strings a step must not contain: the spec's ``reserved`` plus a tag marker."""
    extra = (spec.step_marker,) if spec.format in ("chat", "text") and get_readout(spec.readout).at_markers else ()
    return tuple(dict.fromkeys(r for r in (*spec.reserved, *extra) if r))


def resolve_ids(tokenizer: Any, spec: PRMSpec) -> TokenIds:
    """Resolve the ids a spec reads; a marker that is not one token is a :class:`ConfigError`."""

    def enc(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False))

    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"PRM {spec.name!r}: the hf backend needs a fast tokenizer (offset mapping)")
    readout = get_readout(spec.readout)
    marker = None
    if spec.format == "chat" and readout.at_markers:
        ids = enc(spec.step_marker)
        if len(ids) != 1:
            raise ConfigError(
                f"PRM {spec.name!r}: step_marker {spec.step_marker!r} is {len(ids)} tokens {ids}, need 1"
            )
        marker = ids[0]
    columns = readout.label_ids(spec, enc) if isinstance(readout, ModelReadout) else ()
    if spec.format == "text":  # the tag's id in context, e.g. " ки" after a word and before the joiner
        probe = "1 + 1 = 2." + spec.step_marker + spec.step_joiner + "So 2." + spec.step_marker
        try:
            r = _render_tagged(tokenizer, spec, "", ["1 + 1 = 2.", "So 2."], TokenIds())
            marker = r.input_ids[r.positions[-1]]
        except RenderError as e:
            raise ConfigError(f"PRM {spec.name!r}: step_marker {spec.step_marker!r} in {probe!r}: {e}") from e
    separator = tuple(enc(spec.step_marker)) if spec.format == "segments" else ()
    bos = tokenizer.bos_token_id if spec.add_bos else None
    return TokenIds(marker=marker, columns=columns, separator=separator, bos=bos)


def render(tokenizer: Any, spec: PRMSpec, solution: Solution, ids: TokenIds | None = None) -> Rendered:
    """Render one validated solution (non-empty steps, no reserved text) for ``spec``."""
    ids = ids or resolve_ids(tokenizer, spec)
    steps = [s.strip() for s in solution.steps] if spec.strip_steps else list(solution.steps)
    if not steps:
        raise RenderError("solution has no steps")
    if spec.format == "segments":
        out = _render_segments(tokenizer, spec, solution.problem, steps, ids)
    elif spec.format == "multiturn_chat":
        out = _render_multiturn(tokenizer, spec, solution.problem, steps, ids)
    elif spec.format in ("chat", "text"):
        out = _render_tagged(tokenizer, spec, solution.problem, steps, ids)
    else:
        raise ConfigError(f"PRM {spec.name!r}: format {spec.format!r} has no token rendering")
    if len(out.positions) != len(steps):
        raise RenderError(f"{len(out.positions)} readout positions for {len(steps)} steps")
    return out


def render_batch(
    tokenizer: Any, spec: PRMSpec, solutions: Sequence[Solution], ids: TokenIds, max_length: int | None
) -> tuple[list[ScoreResult | None], list[tuple[int, Rendered]]]:
    """Every backend's first pass: each solution becomes a :class:`ScoreFailure` in place (no steps, an
    empty step, reserved text, a rendering error, more than ``max_length`` tokens) or a ``(position,
    Rendered)`` left to score; the ``None`` slots of the first list are the second's."""
    results: list[ScoreResult | None] = [None] * len(solutions)
    todo: list[tuple[int, Rendered]] = []
    reserved = reserved_strings(spec)
    for i, sol in enumerate(solutions):
        failure = validate_solution(sol, reserved)
        if failure is None:
            try:
                r = render(tokenizer, spec, sol, ids)
            except RenderError as e:
                failure = ScoreFailure("backend_error", f"rendering: {e}", sol.id)
            else:
                if max_length is not None and len(r.input_ids) > max_length:
                    failure = ScoreFailure("context_length", f"{len(r.input_ids)} tokens > max_length {max_length}", sol.id)
                else:
                    todo.append((i, r))
        results[i] = failure
    return results, todo


def fill(template: str, **values: str) -> str:
    """``str.format`` for ``{problem}``/``{step}`` only, so braces in text or template are kept."""
    return re.sub(r"\{(" + "|".join(values) + r")\}", lambda m: values[m.group(1)], template)


def _render_tagged(tokenizer: Any, spec: PRMSpec, problem: str, steps: list[str], ids: TokenIds) -> Rendered:
    """``chat`` and ``text``: one string, markers (or step regions) located by character offsets."""
    content, marks, regions = _lay_out(steps, spec.step_marker, spec.step_joiner)
    if spec.format == "text":
        prefix = fill(spec.prompt_template, problem=problem)
        full, start = prefix + content, len(prefix)
    else:
        full, start = _chat_with_content(tokenizer, spec, problem, content)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    input_ids, offsets = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    if spec.format == "text" and ids.bos is not None:
        input_ids, offsets = [ids.bos, *input_ids], [(0, 0), *offsets]
    if not get_readout(spec.readout).at_markers:
        spans = _spans(offsets, [(start + a, start + b) for a, b in regions])
        return Rendered(tuple(input_ids), tuple(e - 1 for _, e in spans), tuple(spans))
    positions = [_one_token(offsets, start + a, start + b, full) for a, b in marks]
    tag_ids = {input_ids[p] for p in positions}
    expected = {ids.marker} if ids.marker is not None else tag_ids
    if len(tag_ids) != 1 or tag_ids != expected:
        raise RenderError(f"step markers became token ids {sorted(tag_ids)}, expected {sorted(expected)}")
    # tag_logits reads the logits *at* the tag: they predict the label token that follows it
    return Rendered(tuple(input_ids), tuple(positions))


def _lay_out(
    steps: Sequence[str], marker: str, joiner: str
) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """``step marker joiner step marker ...``: the text, each marker's span, each step's region."""
    parts: list[str] = []
    marks, regions, pos = [], [], 0
    for k, step in enumerate(steps):
        start = pos
        piece = step + marker + (joiner if k < len(steps) - 1 else "")
        marks.append((pos + len(step), pos + len(step) + len(marker)))
        parts.append(piece)
        pos += len(piece)
        regions.append((start, pos))
    return "".join(parts), marks, regions


def _chat_with_content(tokenizer: Any, spec: PRMSpec, problem: str, content: str) -> tuple[str, int]:
    """Render system/user/assistant; return the text and where ``content`` starts in it."""
    messages = [{"role": "user", "content": fill(spec.prompt_template, problem=problem)}]
    if spec.system_prompt is not None:
        messages.insert(0, {"role": "system", "content": spec.system_prompt})
    head = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": content}], tokenize=False, add_generation_prompt=False
    )
    if not full.startswith(head):
        raise RenderError("the chat template renders the prompt differently once a response follows")
    at = full.find(content, len(head))
    if at < 0:
        raise RenderError("the chat template changed the response text (e.g. trimmed it)")
    return full, at


def _one_token(offsets: Sequence[tuple[int, int]], a: int, b: int, text: str) -> int:
    """The single token that covers characters ``[a, b)`` and nothing outside them."""
    hits = [i for i, (s, e) in enumerate(offsets) if s < b and e > a and e > s]
    if len(hits) != 1:
        raise RenderError(f"marker {text[a:b]!r} at char {a} is {len(hits)} tokens, need exactly 1")
    s, e = offsets[hits[0]]
    if text[s:a].strip() or text[b:e].strip():
        raise RenderError(f"marker {text[a:b]!r} at char {a} merged with its neighbours into {text[s:e]!r}")
    return hits[0]


def _spans(offsets: Sequence[tuple[int, int]], regions: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token range of each step: tokens whose first character lies in the step's region."""
    spans = []
    for a, b in regions:
        idx = [i for i, (s, e) in enumerate(offsets) if a <= s < b and e > s]
        if not idx:
            raise RenderError(f"step at chars [{a}, {b}) owns no token of its own")
        if idx[0] == 0:
            raise RenderError("the response starts at the first token; nothing predicts it")
        spans.append((idx[0], idx[-1] + 1))
    for (_, e0), (s1, _) in itertools.pairwise(spans):
        if e0 != s1:
            raise RenderError("step token ranges are not contiguous")
    return spans


def _render_segments(tokenizer: Any, spec: PRMSpec, problem: str, steps: list[str], ids: TokenIds) -> Rendered:
    """TRL ``PRMTrainer`` / Skywork: prompt and each step tokenised separately, separator ids appended."""

    def enc(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False))

    input_ids = ([ids.bos] if ids.bos is not None else []) + enc(fill(spec.prompt_template, problem=problem))
    positions = []
    for step in steps:
        pieces = [step]
        if spec.split_steps_on_marker:
            pieces = [p for p in step.split(spec.step_marker) if p]
        if not pieces:
            raise RenderError(f"step {step!r} holds nothing but separators")
        for piece in pieces:
            input_ids += enc(piece) + list(ids.separator)
        positions.append(len(input_ids) - 1)
    return Rendered(tuple(input_ids), tuple(positions))


def _render_multiturn(tokenizer: Any, spec: PRMSpec, problem: str, steps: list[str], ids: TokenIds) -> Rendered:
    """RLHFlow: user turn per step, assistant ``assistant_tag`` after each; read where the tag is predicted."""
    conv: list[dict[str, str]] = []
    for k, step in enumerate(steps):
        user = fill(spec.first_turn_template, problem=problem, step=step) if k == 0 else step
        conv += [{"role": "user", "content": user}, {"role": "assistant", "content": spec.assistant_tag}]
    full = tokenizer.apply_chat_template(conv, tokenize=False, add_generation_prompt=False)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    input_ids, offsets = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    tag_ids = tokenizer.encode(spec.assistant_tag, add_special_tokens=False)
    positions = []
    for k in range(len(steps)):
        head = tokenizer.apply_chat_template(conv[: 2 * k + 1], tokenize=False, add_generation_prompt=True)
        if not full.startswith(head):
            raise RenderError(f"the chat template renders turn {k} differently once more turns follow")
        at = full.find(spec.assistant_tag, len(head))
        if at < 0:
            raise RenderError(f"assistant turn {k} not found in the rendered conversation")
        tok = _one_token(offsets, at, at + len(spec.assistant_tag), full)
        if input_ids[tok] != tag_ids[-1] or tok == 0:
            raise RenderError(f"assistant tag of turn {k} became id {input_ids[tok]}, expected {tag_ids[-1]}")
        positions.append(tok - 1)
    return Rendered(tuple(input_ids), tuple(positions))
