"""prmkit's embedded PRM (``prmkit-prm``): the committed head, its spec, and its real scores.

The head folder in the package holds only the step head, the LoRA factors
and the name of its backbone; the backbone (Qwen2.5-Coder-0.5B-Instruct) is
provisioned from its PyPI packages. Golden numbers: ``tests/scoring/golden/prmkit-prm-real.json``
(``PRMKIT_UPDATE_GOLDEN=1`` rewrites them and fails the test: ``tests/_golden.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _golden import update_golden
from _require import installed, need_module

from prmkit.scoring import DEFAULT_PRM, get_spec

FOLDER = Path(get_spec("prmkit-prm").model or "")
GOLDEN = Path(__file__).parent / "golden" / "prmkit-prm-real.json"
N_CASES = 24


def test_the_committed_head_is_small_and_names_its_backbone() -> None:
    meta = json.loads((FOLDER / "prmkit_head.json").read_text())
    assert meta["backbone"] == "qwen2.5-coder-0.5b-instruct" and meta["head"] == "score" and meta["num_labels"] == 2
    assert sum(f.stat().st_size for f in FOLDER.iterdir()) < 25 * 2**20
    assert meta["lora"]["file"] == "lora.safetensors" and (FOLDER / "lora.safetensors").is_file()
    spec = get_spec("prmkit-prm")
    assert spec.threshold == meta["threshold"], "catalog threshold differs from the fitted one in prmkit_head.json"
    assert spec.dtype == "bfloat16"
    assert DEFAULT_PRM in ("prmkit-prm", "arith+prmkit-prm")


def _score(dtype: str | None, shared_data: Path, n: int = N_CASES) -> tuple[str, dict[str, list[float]]]:
    need_module("torch")
    from prmkit.data import load_processbench
    from prmkit.scoring import load_prm
    from prmkit.types import StepScores

    with installed():  # the backbone's PyPI packages
        prm = load_prm("prmkit-prm", **({"dtype": dtype} if dtype else {}))
    cases = load_processbench(shared_data / "processbench" / "gsm8k.json")[:n]
    results = prm.score([c.solution() for c in cases])
    assert all(isinstance(r, StepScores) for r in results)
    return prm.identity, {c.id: list(r.scores) for c, r in zip(cases, results, strict=True)}


@pytest.mark.slow
def test_real_scores_match_golden_numbers_and_bf16_stays_close(shared_data: Path) -> None:
    """Golden numbers in fp32 (the same on any CPU to ~1e-6); the spec's bf16 stays near them."""
    identity, got = _score("float32", shared_data)
    rounded = {k: [round(s, 5) for s in v] for k, v in got.items()}
    update_golden(GOLDEN, json.dumps({"identity": identity, "scores": rounded}, indent=1) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert identity == want["identity"]
    assert got.keys() == want["scores"].keys()
    for cid, scores in want["scores"].items():
        assert got[cid] == pytest.approx(scores, abs=1e-4), cid
    flat = [s for v in got.values() for s in v]
    assert max(flat) - min(flat) > 0.3  # a trained head spreads its scores
    # bf16 asked for explicitly (a CPU without bf16 units defaults to fp32), on the first 6 cases: emulated
    # bf16 runs 6x slower than fp32 there
    bf16_identity, low = _score("bfloat16", shared_data, 6)
    assert bf16_identity != identity  # it really is another precision
    diffs = [abs(a - b) for k in low for a, b in zip(got[k], low[k], strict=True)]
    assert max(diffs) < 0.15 and sum(diffs) / len(diffs) < 0.03


def test_the_fingerprint_does_not_depend_on_where_prmkit_is_installed(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    import prmkit

    shutil.copytree(Path(prmkit.__file__).parent, tmp_path / "prmkit", ignore=shutil.ignore_patterns("__pycache__"))
    code = "import prmkit; from prmkit.scoring import get_spec; print(prmkit.__file__, get_spec('prmkit-prm').fingerprint())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tmp_path)},
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(tmp_path))  # the copy was imported
    assert out[1] == get_spec("prmkit-prm").fingerprint()
