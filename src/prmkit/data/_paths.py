"""Output paths checked before a run starts, and names from arguments kept inside their folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prmkit.errors import OutputError

__all__ = ["check_output_dir", "check_output_file", "child_path"]


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` if needed and prove a file can be written in it.

    Raises :class:`~prmkit.errors.OutputError` naming the path when it is a
    file, lies under a file, or is not writable, so a run fails before its work.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> check_output_dir(os.path.join(d, "runs", "a")).is_dir()
    True
    >>> _ = open(os.path.join(d, "f"), "w").write("x")
    >>> check_output_dir(os.path.join(d, "f"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    prmkit.errors.OutputError: .../f: exists and is a file, not a folder
    """
    p = Path(path)
    for folder in (p, *p.parents):  # the nearest existing folder on the way must be one
        if folder.exists():
            if not folder.is_dir():
                raise OutputError("exists and is a file, not a folder", path=str(folder))
            break
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as e:
        raise OutputError(f"cannot write in this folder ({e.strerror or e})", path=str(p)) from None
    return p


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be written (or appended to) as a file; its folder is created.

    An existing file is opened for appending and left unchanged; a folder at
    ``path``, a file where its folder should be, or no permission raises
    :class:`~prmkit.errors.OutputError` naming the path.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_output_file(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    prmkit.errors.OutputError: ...: is a folder, not a file
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError("is a folder, not a file", path=str(p))
    check_output_dir(p.parent)
    if p.exists():
        try:
            with open(p, "ab"):
                pass
        except OSError as e:
            raise OutputError(f"cannot write ({e.strerror or e})", path=str(p)) from None
    return p


def child_path(folder: str | os.PathLike[str], name: str, *, what: str = "name") -> Path:
    """``folder / name`` for a plain file name; a name with a path separator, ``..``
    or an absolute path raises :class:`~prmkit.errors.OutputError` naming it, so an
    argument never writes outside its folder.

    >>> child_path("runs", "gsm8k.jsonl").as_posix()
    'runs/gsm8k.jsonl'
    >>> child_path("runs", "../x.jsonl", what="split")
    Traceback (most recent call last):
    ...
    prmkit.errors.OutputError: split '../x.jsonl' is not a plain file name (it has a folder part or is '..'): it would be written outside runs
    """
    bad = (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or os.path.isabs(name)
        or Path(name).name != name
    )
    if bad:
        raise OutputError(
            f"{what} {name!r} is not a plain file name (it has a folder part or is '..'): "
            f"it would be written outside {os.fspath(folder)}"
        )
    return Path(folder) / name
