"""Every loader of prmkit, as one fuzz target each: what files to draw, how to load one, what a good result is.

:func:`run_case` is the property shared by the suite (``test_fuzz_loaders.py``) and the long run
(``scripts/fuzz.py``): loading a drawn file either returns well-formed objects or raises a
:class:`~prmkit.errors.PRMKitError` that names the file (and, for a record's fault, its line or record
index); any other exception escapes. A file drawn valid must load, and what a writer writes of it must
read back equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _fuzz_strategies as fs
from hypothesis import strategies as st

from prmkit.config import load_config
from prmkit.data import (
    PRMBENCH_CATEGORIES,
    JsonlAppender,
    load_candidates,
    load_prmbench,
    load_processbench,
    read_problems,
    write_candidates,
    write_stepwise,
)
from prmkit.errors import ConfigError, DataFormatError, PRMKitError
from prmkit.scoring import read_score_inputs
from prmkit.scoring.config import ScoreFileConfig
from prmkit.training import read_stepwise
from prmkit.training.data import read_first_error_records

Draw = tuple[bytes, list[Any] | None]


@dataclass(frozen=True)
class Loader:
    """One fuzz target: ``files`` draws ``(contents, valid records or None)``; ``load`` reads a path;
    ``check`` asserts the result is well formed; ``round_trip`` (valid files) writes what was read and
    reads it back."""

    name: str
    filename: str
    files: st.SearchStrategy[Draw]
    load: Callable[[Path], Any]
    check: Callable[[Any], None]
    round_trip: Callable[[Any, Path], None] | None = None
    valid_loads: bool = True
    """A file drawn valid always loads (False where validity depends on more than the record's shape)."""
    matches: Callable[[Any, list[Any]], None] | None = None
    """For a file drawn valid: asserts the result holds the drawn records."""


def _same(a: Any, b: Any) -> bool:
    """Equality with NaN equal to NaN (a NaN score is read back as a new NaN object)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _texts(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


# ---------------------------------------------------------------- checks of what a loader returned

def _check_processbench(cases: Any, strict: bool = True) -> None:
    ids = [c.id for c in cases]
    assert not strict or (cases and len(set(ids)) == len(ids))
    for c in cases:
        assert _texts(c.problem, *c.steps) and c.steps and -1 <= c.label < len(c.steps)
        if strict:
            assert _texts(c.id, c.generator) and isinstance(c.final_answer_correct, bool)


def _check_prmbench(cases: Any) -> None:
    assert len({c.id for c in cases}) == len(cases) and cases
    for c in cases:
        assert _texts(c.id, c.question, *c.steps) and c.steps
        assert all(isinstance(k, int) and k >= 1 for k in c.error_steps)
        assert c.classification in (*PRMBENCH_CATEGORIES, "correct")


def _check_candidates(cset: Any) -> None:
    assert cset.problems
    for p in cset.problems:
        assert _texts(p.id, p.problem) and p.candidates and (p.reference is None or isinstance(p.reference, str))
        for c in p.candidates:
            assert _texts(*c.steps) and c.correct in (None, True, False)
            if c.step_scores is not None:
                assert len(c.step_scores) in (1, len(c.steps))
                assert all(isinstance(s, float) and not math.isinf(s) for s in c.step_scores)
            if c.step_labels is not None:
                assert len(c.step_labels) == len(c.steps)
                assert all(v is None or 0.0 <= v <= 1.0 for v in c.step_labels)


def _check_problems(problems: Any) -> None:
    assert len({q.id for q in problems}) == len(problems)
    for q in problems:
        assert _texts(q.id, q.problem, q.reference) and q.dataset in ("gsm8k", "math")


def _check_stepwise(examples: Any) -> None:
    for ex in examples:
        assert _texts(ex.prompt, *ex.completions) and ex.labels is not None
        assert len(ex.labels) == len(ex.completions)
        assert all(math.isnan(v) or 0.0 <= v <= 1.0 for v in ex.labels)


def _check_first_error(pairs: Any) -> None:
    for sol, first in pairs:
        assert _texts(sol.problem, *sol.steps) and -1 <= first < max(len(sol.steps), 1)


def _check_score_inputs(records: Any) -> None:
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert _texts(r["id"], r["problem"], *r["steps"])


def _check_config(cfg: Any) -> None:
    assert isinstance(cfg, ScoreFileConfig) and _texts(cfg.input, cfg.output) and cfg.batch_size >= 1


# ---------------------------------------------------------------- what a valid file must read as

def _processbench_matches(cases: Any, records: list[Any], strict: bool = True) -> None:
    assert [(c.id, c.problem, list(c.steps), c.label, c.generator, c.final_answer_correct) for c in cases] == [
        (str(r["id"]), r["problem"], r["steps"], r["label"], r["generator"], r["final_answer_correct"])
        for r in records]


def _prmbench_matches(cases: Any, records: list[Any]) -> None:
    ids: list[str] = []
    for r in records:  # the benchmark's rule: an unmodified copy of each redundency record, first id wins
        for case_id in ([f"correct_{r['idx']}"] if r["classification"] == "redundency" else []) + [
                f"{r['classification']}_{r['idx']}"]:
            if case_id not in ids:
                ids.append(case_id)
    assert [c.id for c in cases] == ids


def _problems_match(problems: Any, records: list[Any]) -> None:
    assert [q.problem for q in problems] == [r.get("question", r.get("problem")) for r in records]


def _score_inputs_match(got: Any, records: list[Any]) -> None:
    assert _same([{k: v for k, v in r.items() if k != "id"} for r in got], [
        {k: v for k, v in r.items() if k != "id"} for r in records])
    assert [r["id"] for r in got] == [str(r.get("id", f"line-{i}")) for i, r in enumerate(records, start=1)]


# ---------------------------------------------------------------- round trips through prmkit's writers

def _candidates_round_trip(cset: Any, tmp: Path) -> None:
    out = tmp / "again.jsonl"
    write_candidates(cset, out)
    again = load_candidates(out)
    for p, q in zip(cset.problems, again.problems, strict=True):
        assert (p.id, p.problem, p.reference) == (q.id, q.problem, q.reference)
        for c, d in zip(p.candidates, q.candidates, strict=True):
            assert _same((c.steps, c.correct, c.step_scores, c.step_labels, c.policy_tokens, c.verifier_tokens),
                         (d.steps, d.correct, d.step_scores, d.step_labels, d.policy_tokens, d.verifier_tokens))
            assert getattr(c.answer, "text", None) == getattr(d.answer, "text", None)


def _stepwise_round_trip(examples: Any, tmp: Path) -> None:
    for name in ("again.jsonl", "again.jsonl.gz"):
        write_stepwise(examples, tmp / name)
        assert _same(read_stepwise(tmp / name, "soft"), list(examples))


def _score_inputs_round_trip(records: Any, tmp: Path) -> None:
    out = tmp / "again.jsonl"
    with JsonlAppender(out, fsync=False) as w:
        for r in records:
            w.write(r)
    assert _same(read_score_inputs(out), records)


def _config_files() -> st.SearchStrategy[Draw]:
    value = fs.JSON_VALUE | st.sampled_from(["8", "1e-5", "arith", "yes", "~", "[", "{a: 1}", "*x", "!!python/none"])
    key = st.sampled_from(["input", "output", "batch_size", "batch-size", "scorer", "prm", "bogus"])
    scorer = st.dictionaries(st.sampled_from(["prm", "cache", "no_cache", "device", "dtype", "max_length", "x"]),
                             value, max_size=3)
    mapping = st.fixed_dictionaries({"input": fs.TEXT, "output": fs.TEXT},
                                    optional={"batch_size": st.integers(-2, 64) | value, "scorer": scorer | value})
    valid = st.fixed_dictionaries({"input": st.text("abc./", min_size=1), "output": st.text("xyz./", min_size=1),
                                   "batch_size": st.integers(1, 64)})

    @st.composite
    def draw_file(draw: st.DrawFn) -> Draw:
        import yaml

        if draw(st.booleans()):
            good = draw(valid)
            return yaml.safe_dump(good).encode(), [good]
        obj = draw(mapping | st.dictionaries(key, value, max_size=4) | fs.JSON_VALUE)
        try:
            text = yaml.safe_dump(obj, allow_unicode=draw(st.booleans()))
        except yaml.YAMLError:
            text = str(obj)
        data = text.encode("utf-8", "surrogatepass")
        return (draw(fs.damage(data)) if draw(st.booleans()) else data), None

    return draw_file()


LOADERS: tuple[Loader, ...] = (
    Loader("processbench", "gsm8k.json",
           fs.file_bytes(fs.processbench_record(), array=True, unique=fs.unique_by(lambda r: r["id"])),
           load_processbench, _check_processbench, matches=_processbench_matches),
    Loader("processbench_style", "val.jsonl", fs.file_bytes(fs.processbench_record(), array=True),
           lambda p: load_processbench(p, strict=False), lambda cs: _check_processbench(cs, strict=False),
           matches=_processbench_matches),
    Loader("prmbench", "circular.jsonl", fs.file_bytes(fs.prmbench_record()), load_prmbench, _check_prmbench,
           matches=_prmbench_matches),
    Loader("candidates", "cands.jsonl", fs.file_bytes(fs.candidate_problem()), load_candidates, _check_candidates,
           _candidates_round_trip),
    Loader("candidates_math_cot", "math_cot_100.jsonl", fs.file_bytes(fs.math_cot_record()), load_candidates,
           _check_candidates),
    Loader("candidates_gsm8k_examples", "example_model_solutions.jsonl",
           fs.file_bytes(fs.gsm8k_example_record()), load_candidates, _check_candidates),
    Loader("problems", "test.jsonl", fs.file_bytes(fs.problem_record(), unique=fs.unique_by(
        lambda r: r.get("id", r.get("unique_id", id(r))))), read_problems, _check_problems,
           matches=_problems_match),
    Loader("stepwise", "train.jsonl", fs.file_bytes(fs.stepwise_record(), array=True),
           lambda p: read_stepwise(p, "soft"), _check_stepwise, _stepwise_round_trip),
    Loader("stepwise_gz", "train.jsonl.gz", fs.gzipped(fs.file_bytes(fs.stepwise_record())),
           lambda p: read_stepwise(p, "soft"), _check_stepwise, _stepwise_round_trip),
    Loader("first_error", "val.json", fs.file_bytes(fs.stepwise_record() | fs.processbench_record(), array=True),
           read_first_error_records, _check_first_error, valid_loads=False),
    Loader("score_input", "solutions.jsonl", fs.file_bytes(fs.score_input_record(), unique=fs.unique_by(
        lambda r: str(r.get("id", id(r))))), read_score_inputs, _check_score_inputs, _score_inputs_round_trip,
           matches=_score_inputs_match),
    Loader("config_yaml", "score.yaml", _config_files(), lambda p: load_config(ScoreFileConfig, p), _check_config),
)
BY_NAME = {x.name: x for x in LOADERS}

# A file-level fault has no line (nor has a fault json.loads finds in a whole JSON array without one);
# every other DataFormatError names the line or record it is about.
_FILE_LEVEL = ("no records", "file not found", "cannot read", "cannot tell the candidate format",
               "problem ids must be unique", "a number is too long", "JSON nested too deeply")


def run_case(loader: Loader, data: bytes, records: list[Any] | None, tmp: Path) -> str:
    """Load ``data`` as ``loader``'s file in ``tmp``: ``"valid"`` or ``"typed"``; anything else escapes.

    ``records`` is not None when the file was drawn valid: then it must load (and round-trip).
    """
    path = tmp / loader.filename
    path.write_bytes(data)
    try:
        out = loader.load(path)
    except PRMKitError as e:
        assert records is None or not loader.valid_loads, f"a valid file was refused: {e}"
        _check_error(e, str(path))
        return "typed"
    loader.check(out)
    if records is not None and loader.matches is not None:
        loader.matches(out, records)
    if loader.round_trip is not None:
        loader.round_trip(out, tmp)
    return "valid"


def _check_error(e: PRMKitError, path: str) -> None:
    text = str(e)
    assert path in text, f"the error does not name the file: {text}"
    if isinstance(e, DataFormatError):
        assert e.path == path
        if e.line is None and e.record is None:
            assert any(k in text for k in _FILE_LEVEL), f"a record's fault without its line: {text}"
        else:
            assert f"{path}:{e.line}" in text or f"(record {e.record})" in text
    else:
        assert isinstance(e, ConfigError), f"unexpected error type {type(e).__name__}: {text}"
