"""Output paths are checked before a run: a file where a folder is needed, the reverse, no permission."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from prmkit.data import check_output_dir, check_output_file
from prmkit.errors import OutputError, PRMKitError


def test_file_and_folder_mixups_name_the_path(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"/f: exists and is a file, not a folder$"):
        check_output_dir(tmp_path / "f" / "deeper" / "out")
    with pytest.raises(OutputError, match=r"is a folder, not a file$"):
        check_output_file(tmp_path)
    assert check_output_file(tmp_path / "new" / "o.jsonl") == tmp_path / "new" / "o.jsonl"
    assert not (tmp_path / "new" / "o.jsonl").exists()  # checking writes nothing
    (tmp_path / "f").write_text("kept")
    check_output_file(tmp_path / "f")
    assert (tmp_path / "f").read_text() == "kept"


def test_a_folder_that_refuses_writes_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kw: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)  # what a read-only folder does, as any user
    with pytest.raises(OutputError, match=r"/ro: cannot write in this folder \(Permission denied\)") as err:
        check_output_dir(tmp_path / "ro")
    assert isinstance(err.value, PRMKitError) and isinstance(err.value, OSError)
