"""First errors of GSM8K-style solutions located against the reference solution's values.

GSM8K's reference solutions and the example model solutions released with it
(``example_model_solutions.jsonl``: four GPT-3 solutions per test problem)
write every computation as a calculator annotation, ``16 - 3 = <<16-3=13>>13``.
A wrong-answer solution's first error is taken to be its first step that
computes a value the reference never reaches: not the result or an
intermediate value of any reference annotation (``16-3-4`` reaches 13 and 9),
nor a number in the question. Steps before it are labelled correct, that step
wrong, later steps are dropped (their labels are unknown). Wrong solutions in
which every computed value is on the reference's path (the error is in words,
or in the final answer) have no located error and are skipped; so are
solutions cut off before their ``A: <answer>`` line.

Like Monte Carlo labels this is a heuristic: an alternative correct route
through values the reference does not compute (a price per pair where the
reference prices the discounted glasses) is labelled an error. A right answer
labels every step correct (the outcome-to-process assumption).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from fractions import Fraction

from prmkit.data import GSM8K_EXAMPLE_MODELS, read_jsonl
from prmkit.errors import DataFormatError
from prmkit.scoring.arith import operation_values
from prmkit.types import StepwiseExample

__all__ = ["ReferenceLabels", "annotation_values", "gsm8k_reference_examples", "reference_values"]

_ANNOTATION = re.compile(r"<<([^<>]*)>>")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")
_TOLERANCE = Fraction(1, 10**6)  # relative: 0.333333 reaches 1/3


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(",", "").strip())
    except (ValueError, ZeroDivisionError):
        return None


def annotation_values(text: str) -> list[Fraction]:
    """The results of the calculator annotations in ``text`` (``<<16-3=13>>`` -> 13), in order.

    >>> annotation_values("so 16 - 3 = <<16-3=13>>13 eggs, <<13*2=26>>26 dollars")
    [Fraction(13, 1), Fraction(26, 1)]
    """
    out = []
    for ann in _ANNOTATION.findall(text):
        _, sep, result = ann.rpartition("=")
        v = _number(result) if sep else None
        if v is not None:
            out.append(v)
    return out


def reference_values(question: str, reference: str) -> frozenset[Fraction]:
    """Every value a reference solution reaches: its annotations' results and intermediate values, and
    the question's numbers.

    >>> sorted(reference_values("16 eggs, she eats 3 and bakes 4", "16-3-4 = <<16-3-4=9>>9"))
    [Fraction(3, 1), Fraction(4, 1), Fraction(9, 1), Fraction(13, 1), Fraction(16, 1)]
    """
    values: set[Fraction] = set(annotation_values(reference))
    for ann in _ANNOTATION.findall(reference):
        values.update(operation_values(ann.rpartition("=")[0]))
    for num in _NUMBER.findall(question):
        v = _number(num)
        if v is not None:
            values.add(v)
    return frozenset(values)


def _reached(v: Fraction, values: frozenset[Fraction]) -> bool:
    return v in values or any(abs(v - r) <= _TOLERANCE * max(Fraction(1), abs(r)) for r in values)


@dataclass
class ReferenceLabels:
    """What :func:`gsm8k_reference_examples` made of a file: the examples and why others were left out."""

    examples: list[StepwiseExample] = field(default_factory=list)
    problems: int = 0
    excluded_problems: int = 0
    located: int = 0
    """Wrong solutions whose first error was located (one example each)."""
    unlocated: int = 0
    """Wrong solutions whose computed values all lie on the reference's path (skipped)."""
    correct: int = 0
    """Right solutions kept (at most ``correct_per_problem`` per problem)."""
    cut_off: int = 0
    """Solutions without a final ``A: <answer>`` line (skipped)."""

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "examples"} | {
            "examples": len(self.examples)}


def _field(obj: dict[str, object], key: str, path: str, line: int) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataFormatError("expected a non-empty string", path=path, line=line, field=key, value=value)
    return value


def gsm8k_reference_examples(
    path: str | os.PathLike[str], *, exclude_problems: Iterable[str] = (), correct_per_problem: int = 1
) -> ReferenceLabels:
    """Stepwise examples from GSM8K's example model solutions, first errors located by reference values.

    One step per solution line, annotations removed, the ``A: x`` line appended to the last step as
    ``The answer is x.``. ``correct_per_problem`` right solutions are kept per problem, the later
    models first (``175b_verification``, ...). Problems whose text (whitespace collapsed) is in
    ``exclude_problems`` are dropped. Ids are ``gsm8k-test-<line index>/<model>``.
    """
    if correct_per_problem < 0:
        raise DataFormatError("must be >= 0", field="correct_per_problem", value=correct_per_problem)
    p = str(path)
    skip = {" ".join(q.split()) for q in exclude_problems}
    out = ReferenceLabels()
    for n, (line, obj) in enumerate(read_jsonl(p)):
        question = _field(obj, "question", p, line)
        reference = _field(obj, "ground_truth", p, line)
        if " ".join(question.split()) in skip:
            out.excluded_problems += 1
            continue
        out.problems += 1
        values = reference_values(question, reference)
        kept_correct = 0
        for model in reversed(GSM8K_EXAMPLE_MODELS):
            sol = obj.get(model)
            if not isinstance(sol, dict) or not isinstance(sol.get("solution"), str) or not isinstance(
                    sol.get("is_correct"), bool):
                raise DataFormatError("expected {'solution': str, 'is_correct': bool}", path=p, line=line,
                                      field=model, value=sol)
            lines = [s.strip() for s in sol["solution"].split("\n") if s.strip()]
            if len(lines) < 2 or not lines[-1].startswith("A:"):
                out.cut_off += 1
                continue
            steps = [_ANNOTATION.sub("", s) for s in lines[:-1]]
            steps[-1] = f"{steps[-1]} The answer is {lines[-1][2:].strip()}."
            eid = f"gsm8k-test-{n}/{model}"
            if sol["is_correct"]:
                if kept_correct < correct_per_problem:
                    kept_correct += 1
                    out.correct += 1
                    out.examples.append(StepwiseExample(question, tuple(steps), (1.0,) * len(steps), True, eid))
                continue
            first = next((i for i, s in enumerate(lines[:-1])
                          if any(not _reached(v, values) for v in annotation_values(s))), None)
            if first is None:
                out.unlocated += 1
                continue
            out.located += 1
            out.examples.append(StepwiseExample(question, tuple(steps[: first + 1]), (1.0,) * first + (0.0,), False, eid))
    return out
