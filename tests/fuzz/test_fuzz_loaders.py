"""Every loader under fuzzed files: only typed errors escape, naming the file (and line or record); valid
files load into well-formed objects and read back equal after prmkit writes them (``_fuzz_loaders.py``)."""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path
from typing import Any

import _fuzz_strategies as fs
import pytest
from _fuzz_loaders import LOADERS, Loader, run_case
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda x: x.name)
def test_loader_returns_good_objects_or_a_typed_error(loader: Loader) -> None:
    outcomes: set[str] = set()

    @fs.fuzz_settings()
    @given(st.data())
    def one(data: st.DataObject) -> None:
        contents, records = data.draw(loader.files, label="file")
        with tempfile.TemporaryDirectory() as tmp:
            outcomes.add(run_case(loader, contents, records, Path(tmp)))

    one()
    assert outcomes == {"valid", "typed"}  # both paths ran: the property was exercised, not skipped


def test_the_long_mode_is_a_hypothesis_profile() -> None:
    assert settings.get_profile("long").max_examples >= 1_000
    assert settings.get_profile("suite").deadline is None and fs.fuzz_settings().deadline is None


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("fuzz_script", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_long_run_counts_every_case_and_resumes_from_its_state(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    state = tmp_path / "state.json"
    args = ["--cases", "12", "--chunk", "3", "--state", str(state), "--only", "problems", "score_input"]
    assert script.main(args) == 0
    first = json.loads(state.read_text())
    assert {k: (v["chunks"], v["valid"] + v["typed"], v["escaped"]) for k, v in first.items()} == {
        "problems": (2, 6, []), "score_input": (2, 6, [])}
    assert script.main([*args[:1], "24", *args[2:]]) == 0  # twice the cases: only the new chunks run
    second = json.loads(state.read_text())
    assert {k: v["valid"] + v["typed"] for k, v in second.items()} == {"problems": 12, "score_input": 12}
    assert second["problems"]["valid"] >= first["problems"]["valid"]
    out = capsys.readouterr().out
    assert "total cases 12, escaped 0" in out and "total cases 24, escaped 0" in out


def test_the_long_run_reports_an_escaped_exception_with_its_file(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    broken = Loader("broken", "x.jsonl", st.sampled_from([(b'{"a": 1}\n', None), (b"", None)]),
                    lambda p: {}[p.read_bytes()[:1]], lambda out: None)
    monkeypatch.setattr(script, "LOADERS", (broken,))
    assert script.main(["--cases", "4", "--chunk", "2"]) == 1
    out = capsys.readouterr().out
    assert "broken: ESCAPED\nKeyError" in out and "Draw 1 (file): (b" in out
    assert "escaped 2" in out  # one per chunk: a chunk stops at its first escape
