"""Run inside the vLLM environment by ``test_vllm_generator.py``: SmolLM2-135M-Instruct on the vllm generator.

    python _vllm_gen_child.py JOB.json

JOB.json: ``{"requests": [{GenerationRequest fields}, ...], "repeat": [index, ...], "out": path}``. Writes the
samples of every request (and of the ``repeat`` ones, asked again in a second call) as JSON to ``out``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from prmkit.generation import GenerationRequest, load_generator


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    requests = [GenerationRequest(**{**r, "stop": tuple(r.get("stop", ()))}) for r in job["requests"]]
    gen = load_generator("vllm", model="smollm2-135m-instruct", dtype="float32")
    first = gen.generate(requests)
    again = gen.generate([requests[i] for i in job["repeat"]])
    out = {k: [[dataclasses.asdict(s) for s in samples] for samples in v] for k, v in (("first", first), ("again", again))}
    Path(job["out"]).write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
