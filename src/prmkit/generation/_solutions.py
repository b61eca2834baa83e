"""Policy-written solutions: sample a policy on problems, parse the steps, grade the answer.

A resumable, append-only step: every finished solution is one fsynced JSONL
line, so a killed run loses at most the batch in flight and a rerun samples
only what is missing. A solution's sampling seed is a function of the job
seed and its id, so the same command writes the same solutions whatever was
already on disk (up to the generator's own determinism). A line is reused only
if its ``content_key`` (the problem, reference, dataset, sampling settings and
job seed it was sampled with) matches the request as it is now; otherwise it
is dropped and sampled again.

Each line holds ``id``, ``problem``, ``steps``, ``reference``, ``dataset`` and
``correct`` (what :func:`prmkit.labeling.io.read_tasks` reads) plus the
policy's raw ``text``, its ``answer`` (None when it states none), ``seed``,
``n_tokens``, ``prompt_tokens`` and ``finish_reason``.

>>> pick_problems(["a", "b", "c", "d"], 3, seed=0)
[3, 1, 0]
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prmkit.data import CONTENT_KEY, JsonlAppender, content_key, read_jsonl, rewrite_jsonl
from prmkit.generation._continuation import Sampling
from prmkit.generation._protocol import Generator
from prmkit.steps import Grader, grade_text, parse_solution
from prmkit.types import Problem

__all__ = ["Problem", "pick_problems", "sample_solutions", "solution_seed"]


def pick_problems(pool: Sequence[Any], n: int, *, seed: int) -> list[int]:
    """Indices of ``n`` problems drawn from ``pool`` without replacement (seeded), in draw order.

    The first ``m`` of a draw of ``n`` are the draw of ``m`` (for pools well above 4n), so a
    dataset grown from ``--n 100`` to ``--n 200`` keeps its first hundred problems, and the
    solutions a job finishes first are those of a smaller draw.
    """
    if not 0 < n <= len(pool):
        raise ValueError(f"n must be in 1..{len(pool)}, got {n}")
    return random.Random(seed).sample(range(len(pool)), n)


def solution_seed(job_seed: int, solution_id: str) -> int:
    """The sampling seed of one solution: a hash of (job seed, solution id).

    >>> solution_seed(0, "p-s0") == solution_seed(0, "p-s0") != solution_seed(1, "p-s0")
    True
    """
    digest = hashlib.sha256(f"sample|{job_seed}|{solution_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def sample_solutions(
    problems: Sequence[Problem],
    generator: Generator,
    path: str | os.PathLike[str],
    *,
    grader: Grader = grade_text,
    per_problem: int = 1,
    seed: int = 0,
    sampling: Sampling | None = None,
    batch_size: int = 32,
    on_done: Callable[[dict[str, Any]], object] | None = None,
) -> list[dict[str, Any]]:
    """Sample ``per_problem`` solutions of every problem into ``path`` (JSONL), resuming what is there.

    Returns the records of all requested solutions, in problem order. Requests
    go to ``generator`` ``batch_size`` at a time; ``grader(text, reference)`` decides
    ``correct``; ``on_done`` sees each record as it is written.
    """
    sampling = sampling if sampling is not None else Sampling()
    out = Path(path)
    done: dict[str, dict[str, Any]] = {}
    wanted = [(p, f"{p.id}-s{j}") for p in problems for j in range(per_problem)]
    made = dataclasses.asdict(sampling)
    keys = {sid: content_key(dataclasses.asdict(p), made, seed) for p, sid in wanted}
    if out.exists():
        JsonlAppender(out).close()  # drops a half-written last line left by a killed run
        lines = [rec for _, rec in read_jsonl(out)]
        kept = [rec for rec in lines if rec["id"] not in keys or rec.get(CONTENT_KEY) == keys[rec["id"]]]
        if len(kept) != len(lines):  # a problem, its sampling or the seed changed: sampled again
            rewrite_jsonl(out, kept)
        done = {rec["id"]: rec for rec in kept}
    todo = [(p, sid) for p, sid in wanted if sid not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    with JsonlAppender(out) as writer:
        for at in range(0, len(todo), batch_size):
            batch = todo[at : at + batch_size]
            requests = [
                sampling.request(p.problem, (), p.dataset, n=1, seed=solution_seed(seed, sid)) for p, sid in batch
            ]
            for (p, sid), req, samples in zip(batch, requests, generator.generate(requests), strict=True):
                (sample,) = samples
                parsed = parse_solution(sample.text)
                rec = {
                    "id": sid,
                    "problem": p.problem,
                    "reference": p.reference,
                    "dataset": p.dataset,
                    "steps": list(parsed.steps),
                    "answer": parsed.answer,
                    "correct": bool(grader(sample.text, p.reference)),
                    "text": sample.text,
                    "seed": req.seed,
                    "n_tokens": sample.n_tokens,
                    "prompt_tokens": sample.n_prompt_tokens,
                    "finish_reason": sample.finish_reason,
                    CONTENT_KEY: keys[sid],
                }
                writer.write(rec)
                done[sid] = rec
                if on_done is not None:
                    on_done(rec)
    return [done[sid] for _, sid in wanted]

