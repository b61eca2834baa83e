"""Hypothesis strategies for prmkit's input files: valid records of each format, and the ways a file goes wrong.

A file is drawn in three stages: valid records of one format (:func:`processbench_record` ...), then
record-level mutations (a field dropped, renamed or given a wrong type, NaN / inf / huge numbers, deep
nesting, duplicates, unknown fields), then byte-level damage of the serialized file (bytes that are not
UTF-8, a raw lone surrogate, a BOM, CRLF line ends, a cut at any byte, an empty file). :func:`file_bytes`
combines them: about a third of the drawn files are left valid, so the loaders' success paths and
round trips are exercised as often as their errors.

:func:`fuzz_settings` gives the fuzz tests their settings: the ``suite`` profile by default (a few dozen
cases a test, no deadline), or ``long`` with ``PRMKIT_FUZZ_PROFILE=long`` (thousands); the other
hypothesis tests of the suite are not touched.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from prmkit.data import PRMBENCH_CATEGORIES

Record = dict[str, Any]

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.function_scoped_fixture]
settings.register_profile("suite", max_examples=40, deadline=None, suppress_health_check=_QUIET, database=None)
settings.register_profile("long", max_examples=5_000, deadline=None, suppress_health_check=_QUIET, database=None)
PROFILE = os.environ.get("PRMKIT_FUZZ_PROFILE", "suite")


def fuzz_settings(suite: int | None = None, long: int | None = None) -> settings:
    """The fuzz profile's settings; ``suite`` / ``long`` override its example count in that profile."""
    base = settings.get_profile(PROFILE)
    n = suite if PROFILE == "suite" else long
    return settings(base, max_examples=n) if n is not None else base

# Text that has caught parsers out: step separators, answer markers, control characters, a lone
# surrogate (valid as a JSON escape, not encodable as UTF-8), a BOM, a line separator.
TRICKY = ["", " ", "\n\n", "\r\n", "\x00", "\ud800", "\udfff", "\ufeff", "\u2028", "#### 4", "A: 7",
          "\\boxed{3}", "The answer is 5.", "2 + 2 = 4", "1. ", "Step 3. ", "é", "💡", "\\", '"']
TEXT = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.text(st.characters(), max_size=6),  # any code point, lone surrogates included
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(TRICKY), max_size=4).map("".join),
)
HUGE_TEXT = st.sampled_from(["x" * 100_000, "\n\n".join(["2 + 2 = 4"] * 2_000)])
NUMBER = st.one_of(
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 0.5, -0.0, 1e308, -1e308, 5e-324, 10**30, -(10**30), 2**63]),
)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
STEPS = st.lists(TEXT, min_size=1, max_size=4)
IDENT = st.one_of(st.text("abc-_019", min_size=1, max_size=6), st.integers(0, 99))


@st.composite
def processbench_record(draw: st.DrawFn) -> Record:
    steps = draw(STEPS)
    return {"id": draw(st.text("abcxyz-019", min_size=1, max_size=8)), "generator": draw(TEXT),
            "problem": draw(TEXT), "steps": steps, "final_answer_correct": draw(st.booleans()),
            "label": draw(st.integers(-1, len(steps) - 1))}


@st.composite
def prmbench_record(draw: st.DrawFn) -> Record:
    modified = draw(STEPS)
    cls = draw(st.sampled_from(PRMBENCH_CATEGORIES))
    errors = [] if cls == "multi_solutions" else draw(st.lists(st.integers(1, len(modified) + 2), unique=True,
                                                               max_size=3))
    rec = {"original_question": draw(TEXT), "modified_question": draw(TEXT), "original_process": draw(STEPS),
           "modified_process": modified, "modified_steps": draw(st.lists(st.integers(1, 9), unique=True,
                                                                          max_size=3)),
           "error_steps": errors, "reason": draw(TEXT), "idx": draw(st.text("pt_019", min_size=1, max_size=6)),
           "question": draw(TEXT), "classification": cls}
    if cls == "multi_solutions":
        rec |= {"ground_truth": draw(TEXT), "original_response": draw(TEXT)}
    return rec


SCORE = st.floats(0, 1) | st.sampled_from([float("nan"), -3.5, 7.0])


@st.composite
def candidate(draw: st.DrawFn) -> Record:
    steps = draw(STEPS)
    rec: Record = {"steps": steps} if draw(st.booleans()) else {"text": "\n\n".join(steps)}
    n = len(steps) if "steps" in rec else None
    if draw(st.booleans()):
        rec["answer"] = draw(st.none() | TEXT)
    if draw(st.booleans()):
        rec["correct"] = draw(st.booleans())
    if n is not None and draw(st.booleans()):
        rec["step_scores"] = draw(st.lists(SCORE, min_size=n, max_size=n) | st.lists(SCORE, min_size=1,
                                                                                       max_size=1))
    if n is not None and draw(st.booleans()):
        rec["step_labels"] = draw(st.lists(st.none() | st.sampled_from([0.0, 1.0, 0.25]), min_size=n, max_size=n))
    for name in ("policy_tokens", "verifier_tokens"):
        if draw(st.booleans()):
            rec[name] = draw(st.integers(0, 10**6))
    return rec


@st.composite
def candidate_problem(draw: st.DrawFn) -> Record:
    rec: Record = {"problem": draw(TEXT), "candidates": draw(st.lists(candidate(), min_size=1, max_size=3))}
    if draw(st.booleans()):
        rec["id"] = draw(IDENT)
    if draw(st.booleans()):
        rec["reference"] = draw(TEXT)
    return rec


@st.composite
def math_cot_record(draw: st.DrawFn) -> Record:
    n = draw(st.integers(1, 3))
    return {"idx": draw(IDENT), "question": draw(TEXT), "gt": draw(TEXT),
            "response": draw(st.lists(TEXT, min_size=n, max_size=n)),
            "pred": draw(st.lists(st.none() | TEXT, min_size=n, max_size=n)),
            "score": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "pred_score": draw(st.lists(st.lists(SCORE, min_size=1, max_size=1), min_size=n, max_size=n))}


@st.composite
def gsm8k_example_record(draw: st.DrawFn) -> Record:
    rec: Record = {"question": draw(TEXT), "ground_truth": draw(TEXT) + "\n#### " + str(draw(st.integers(0, 99)))}
    for m in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
        rec[m] = {"solution": draw(TEXT) + "\nA: " + draw(TEXT), "is_correct": draw(st.booleans())}
    return rec


@st.composite
def stepwise_record(draw: st.DrawFn) -> Record:
    completions = draw(STEPS)
    label = st.none() | st.booleans() | st.sampled_from([0, 1, 0.0, 1.0, 0.3])
    labels = draw(st.lists(label, min_size=len(completions), max_size=len(completions)))
    if all(v is None for v in labels):  # a record with no label at all trains nothing: refused
        labels[-1] = False
    rec: Record = {"prompt": draw(TEXT), "completions": completions, "labels": labels}
    if draw(st.booleans()):
        rec["outcome"] = draw(st.booleans())
    if draw(st.booleans()):
        rec["id"] = draw(IDENT)
    return rec


@st.composite
def problem_record(draw: st.DrawFn) -> Record:
    kind = draw(st.sampled_from(["gsm8k", "math", "prmkit"]))
    if kind == "gsm8k":
        return {"question": draw(TEXT), "answer": draw(TEXT) + "\n#### " + str(draw(st.integers(0, 99)))}
    if kind == "math":
        return {"problem": draw(TEXT), "answer": draw(TEXT), "unique_id": draw(st.text("abc/019", min_size=1))}
    return {"id": draw(st.text("abc-019", min_size=1, max_size=8)), "problem": draw(TEXT),
            "reference": draw(TEXT), "dataset": draw(st.sampled_from(["gsm8k", "math"]))}


@st.composite
def score_input_record(draw: st.DrawFn) -> Record:
    rec: Record = {"problem": draw(TEXT), "steps": draw(st.lists(TEXT, max_size=4))}
    if draw(st.booleans()):
        rec["id"] = draw(IDENT)
    if draw(st.booleans()):
        rec["meta"] = draw(JSON_VALUE)  # carried through to the output
    return rec


def unique_by(key: Callable[[Record], Any]) -> Callable[[list[Record]], list[Record]]:
    """Keep the first record of each ``key`` (valid files of formats whose ids must be unique)."""

    def keep(records: list[Record]) -> list[Record]:
        seen: set[Any] = set()
        out = []
        for r in records:
            k = key(r)
            if k not in seen:
                seen.add(k)
                out.append(r)
        return out

    return keep


# ---------------------------------------------------------------- record-level mutations

@st.composite
def mutate_record(draw: st.DrawFn, rec: Record) -> Any:
    """One record with one thing wrong (or a record that is not an object at all)."""
    rec = dict(rec)
    keys = sorted(rec)
    kind = draw(st.sampled_from(["drop", "rename", "retype", "number", "nest", "unknown", "element", "notobject"]))
    key = draw(st.sampled_from(keys)) if keys else "x"
    if kind == "drop":
        rec.pop(key, None)
    elif kind == "rename":
        rec[draw(st.sampled_from([key.upper(), key + "_", key.replace("_", "-"), " " + key]))] = rec.pop(key, None)
    elif kind == "retype":
        rec[key] = draw(JSON_VALUE)
    elif kind == "number":
        rec[key] = draw(NUMBER)
    elif kind == "nest":
        rec[key] = draw(st.sampled_from([[rec.get(key)], {"value": rec.get(key)}, [[[[rec.get(key)]]]]]))
    elif kind == "unknown":
        rec[draw(TEXT)] = draw(JSON_VALUE)
    elif kind == "element" and isinstance(rec.get(key), list) and rec[key]:
        items = list(rec[key])
        items[draw(st.integers(0, len(items) - 1))] = draw(JSON_VALUE | HUGE_TEXT)
        rec[key] = items
    elif kind == "notobject":
        return draw(JSON_VALUE)
    return rec


@st.composite
def records_file(draw: st.DrawFn, record: st.SearchStrategy[Record], *, unique: Callable[[list[Record]], list[Record]]
                 | None = None, max_records: int = 4) -> tuple[list[Any], bool]:
    """``(records, untouched)``: valid records, maybe with mutations, duplicates or none at all."""
    records: list[Any] = draw(st.lists(record, min_size=1, max_size=max_records))
    if unique is not None:
        records = unique(records)
    if draw(st.integers(0, 2)) == 0:
        return records, True
    how = draw(st.sampled_from(["mutate", "mutate", "mutate", "duplicate", "empty"]))
    if how == "mutate":
        i = draw(st.integers(0, len(records) - 1))
        records[i] = draw(mutate_record(records[i]))
    elif how == "duplicate":
        records.append(records[draw(st.integers(0, len(records) - 1))])
    else:
        records = []
    return records, False


# ---------------------------------------------------------------- serialisation and byte-level damage

def dumps(obj: Any, *, ascii: bool) -> bytes:
    """JSON the way another tool might write it: UTF-8 (a lone surrogate as its raw, invalid bytes) or ASCII."""
    text = json.dumps(obj, ensure_ascii=ascii)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def serialise(draw: st.DrawFn, records: list[Any], *, array: bool = False) -> bytes:
    """The records as JSON Lines, or (where the format allows it) as one JSON array."""
    ascii_ = draw(st.booleans())
    if array and draw(st.booleans()):
        return dumps(records, ascii=ascii_)
    return b"".join(dumps(r, ascii=ascii_) + b"\n" for r in records)


BAD_BYTES = st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xfe\xff", b"\x00", b"\xe2\x82"])
DEEP = b'{"a": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
LONG_NUMBER = b'{"a": ' + b"7" * 5_000 + b"}"


@st.composite
def damage(draw: st.DrawFn, data: bytes) -> bytes:
    """The file with one byte-level fault."""
    kind = draw(st.sampled_from(["truncate", "badbyte", "bom", "crlf", "blank", "deep", "longnumber", "empty"]))
    at = draw(st.integers(0, len(data)))
    if kind == "truncate":
        return data[:at]
    if kind == "badbyte":
        return data[:at] + draw(BAD_BYTES) + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "blank":
        return data[:at] + b"\n \n" + data[at:]
    if kind == "deep":
        return data + DEEP + b"\n"
    if kind == "longnumber":
        return data + LONG_NUMBER + b"\n"
    return b""


@st.composite
def file_bytes(draw: st.DrawFn, record: st.SearchStrategy[Record], *, array: bool = False,
               unique: Callable[[list[Record]], list[Record]] | None = None) -> tuple[bytes, list[Any] | None]:
    """``(file contents, records)``; ``records`` is the valid records the file holds, or None once damaged."""
    records, untouched = draw(records_file(record, unique=unique))
    data = draw(serialise(records, array=array))
    if draw(st.integers(0, 3)) == 0:
        return draw(damage(data)), None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # a lone surrogate written raw: no longer a valid file
        untouched = False
    return data, records if untouched else None


@st.composite
def gzipped(draw: st.DrawFn, files: st.SearchStrategy[tuple[bytes, list[Any] | None]]) -> tuple[bytes, list[Any] | None]:
    """A drawn file gzipped; sometimes the compressed stream is then cut or has a byte changed."""
    data, records = draw(files)
    packed = gzip.compress(data, mtime=0)
    if draw(st.integers(0, 2)) == 0:
        at = draw(st.integers(0, len(packed) - 1))
        cut = draw(st.booleans())
        packed = packed[:at] if cut else packed[:at] + bytes([packed[at] ^ draw(st.integers(1, 255))]) + packed[at + 1:]
        records = None
    return packed, records
