"""Run inside the vLLM environment by ``test_vllm_backend.py``: score trained PRM folders on the vllm backend.

    python _vllm_child.py JOB.json

JOB.json: ``{"runs": [{"prm": a trained folder or a catalog name, "solutions": [[problem, [steps...]], ...],
"options": {...}}, ...], "out": path}``. Writes one ``{"identity", "threshold", "results"}`` per run to
``out`` (``results``: the step scores, or the failure's reason; ``registered_readout``: whether the scorer
runs the registry's readout object for its spec).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

from prmkit.scoring import get_readout, load_prm, scorer_info
from prmkit.training import load_spec
from prmkit.types import Solution, StepScores


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    out = []
    for run in job["runs"]:
        sols = [Solution(p, tuple(s), id=f"s{i}") for i, (p, s) in enumerate(run["solutions"])]
        name = run["prm"]
        spec = load_spec(name) if "/" in name else name
        prm = load_prm(spec, backend="vllm", **run["options"])
        results = prm.score(sols)
        out.append({
            "identity": prm.identity,
            "threshold": scorer_info(prm).threshold,
            "registered_readout": prm.readout is get_readout(prm.spec.readout),
            "results": [list(r.scores) if isinstance(r, StepScores) else r.reason for r in results],
        })
        del prm  # in-process vLLM engines share global state: one alive at a time
        gc.collect()
    with open(job["out"], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1])
