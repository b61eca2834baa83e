"""GenPRM-style verification with code (``../methods/A-scoring.md`` A7), per solution rather than per step.

One sample is two generations. First the judge writes, for every paragraph, an
``<analyze>`` section and a ``<verify>`` python block that checks it; every
block is run in :mod:`prmkit.sandbox` (short limits) and its output is put after
the block as a ``[Code Output]`` block. Then, after ``verdict_prefix``, the
judge gives one ``\\boxed{Yes}``/``\\boxed{No}`` per paragraph with the outputs
in its context. ``genprm`` is one greedy sample; ``genprm-vote8`` averages the
votes of 8 seeded samples at GenPRM's T=0.6, top-p 0.95 (the paper's
Maj@8 averages the 8 scores, as here); ``genprm-logprob`` reads each verdict as
GenPRM does, P(Yes) / (P(Yes) + P(No)) at its ``\\boxed{``. The paper's model
judges one paragraph per turn and allows up to 3 code rounds per step;
``docs/judges.md`` lists the differences.

>>> code_blocks("<verify>\\n```python\\nprint(3 * 4 == 12)\\n```\\n</verify>")
['print(3 * 4 == 12)\\n']
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from prmkit.generation import GenerationRequest, Sample
from prmkit.sandbox import Execution, Limits, run_many
from prmkit.scoring.judges.spec import JudgeSpec
from prmkit.types import CodeRun

__all__ = [
    "GENPRM",
    "GENPRM_LOGPROB",
    "GENPRM_TEMPLATE",
    "GENPRM_VOTE8",
    "code_blocks",
    "code_stage",
    "merged",
    "run_code",
]

_BLOCK = re.compile(r"```python[^\n]*\n(.*?)```", re.DOTALL)
OUTPUT_CHARS = 1000
"""Most characters of a block's output shown to the judge and kept in its record."""

GENPRM_TEMPLATE = (
    "The following is a math problem and a solution (split into paragraphs, enclosed with tags and "
    "indexed from 1):\n\n[Math Problem]\n\n{problem}\n\n[Solution]\n\n{solution}\n\n"
    "Verify the solution paragraph by paragraph. For each paragraph, in order, write <analyze> followed "
    "by a step-by-step analysis of the paragraph and </analyze>, then <verify> followed by a "
    "```python code block that checks the paragraph's claims and prints what it finds, and </verify>. "
    "The code will be executed and its output shown to you. Do not give judgements yet."
)

GENPRM_VERDICTS = (
    "\n<output>\nWith the code outputs above, the judgement of every paragraph in order "
    "(**Judgement**: $\\boxed{Yes}$ if it is correct, $\\boxed{No}$ if it is not):\n"
)

GENPRM = JudgeSpec(
    name="genprm",
    template=GENPRM_TEMPLATE,
    step_template="<paragraph_{number}>\n{step}\n</paragraph_{number}>",
    verdict="yes_no",
    rule="vote",
    samples=1,
    temperature=0.0,
    max_tokens=2048,
    execute=True,
    verdict_prefix=GENPRM_VERDICTS,
    code_wall_s=5.0,
    description="GenPRM-style: analysis + python per paragraph, the code run in the sandbox, then "
    "\\boxed{Yes}/\\boxed{No} per paragraph; one greedy sample",
)

GENPRM_VOTE8 = dataclasses.replace(
    GENPRM,
    name="genprm-vote8",
    samples=8,
    temperature=0.6,
    top_p=0.95,
    description="GenPRM-style with code execution, share of 8 samples (T=0.6, top-p 0.95) saying Yes",
)

GENPRM_LOGPROB = dataclasses.replace(
    GENPRM,
    name="genprm-logprob",
    rule="logprob",
    description="GenPRM-style with code execution, P(Yes)/(P(Yes)+P(No)) at each verdict's \\boxed{ "
    "(GenPRM's readout); one greedy sample",
)


def code_blocks(text: str) -> list[str]:
    """The ```python blocks of a judge's text, in order (an unclosed one is not a block)."""
    return [m.group(1) for m in _BLOCK.finditer(text)]


def run_code(
    texts: Sequence[str], judge: JudgeSpec, *, workers: int = 2
) -> tuple[list[str], list[CodeRun]]:
    """Run every sample's blocks in the sandbox; each text with a ``[Code Output]`` block after each of its
    python blocks and the judge's ``verdict_prefix`` at the end, and the runs, in order."""
    limits = Limits(wall_s=judge.code_wall_s, cpu_s=judge.code_wall_s, memory_bytes=256 << 20)
    todo = [(k, b, code) for k, t in enumerate(texts) for b, code in enumerate(code_blocks(t))]
    ran = [x for x in todo if x[1] < judge.max_code_blocks]
    done = run_many([code for _, _, code in ran], limits=limits, workers=workers)
    runs = {
        (k, b): CodeRun(k, b, code, e.status, _shown(e))
        for (k, b, code), e in zip(ran, done, strict=True)
    }
    contexts = []
    for k, t in enumerate(texts):
        parts, last = [], 0
        for b, m in enumerate(_BLOCK.finditer(t)):
            run = runs.get((k, b))
            shown = run.output if run else "[not run: too many code blocks]"
            parts += [t[last : m.end()], f"\n[Code Output]\n```\n{shown}\n```"]
            last = m.end()
        contexts.append("".join(parts) + t[last:] + judge.verdict_prefix)
    return contexts, [runs[(k, b)] for k, b, _ in ran]


def _shown(e: Execution) -> str:
    out = e.stdout if e.status == "ok" else f"{e.stdout}{e.stderr}\n[{e.status}: {e.reason}]"
    out = out.strip()
    return out if len(out) <= OUTPUT_CHARS else out[:OUTPUT_CHARS] + " [output cut]"


def code_stage(
    judge: JudgeSpec,
    prompt: str,
    request: GenerationRequest,
    samples: Sequence[Sample],
    stop: tuple[str, ...],
) -> tuple[list[str], list[CodeRun], list[GenerationRequest]]:
    """Each sample's code run in the sandbox: its context (text and outputs, then the verdict prefix), the
    runs, and the request for its verdicts (one sample, ``stop``, seed ``request.seed + k`` for sample k)."""
    contexts, runs = run_code([s.text for s in samples], judge)
    requests = [
        dataclasses.replace(
            request, prompt=prompt + c, n=1, stop=stop, seed=(request.seed or 0) + k
        )
        for k, c in enumerate(contexts)
    ]
    return contexts, runs, requests


def merged(
    samples: Sequence[Sample], contexts: Sequence[str], verdicts: Sequence[Sample]
) -> list[Sample]:
    """Each sample as its whole text (analysis, code, outputs, verdicts) with both generations' tokens."""
    return [
        Sample(
            c + v.text,
            s.n_tokens + v.n_tokens,
            v.finish_reason,
            s.n_prompt_tokens + v.n_prompt_tokens,
        )
        for s, c, v in zip(samples, contexts, verdicts, strict=True)
    ]
