"""One exception root; each category also inherits the stdlib type callers expect.

>>> try:
...     raise DataFormatError("bad label", path="x.jsonl", line=3, field="label", value=9)
... except ValueError as e:
...     print(e)
x.jsonl:3: field 'label': bad label (got 9)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "ContextLengthError",
    "DataFormatError",
    "FileAccessError",
    "MissingExtraError",
    "OutputError",
    "PRMKitError",
    "UnknownNameError",
]


class PRMKitError(Exception):
    """Root of every error prmkit raises on purpose."""


class DataFormatError(PRMKitError, ValueError):
    """A record in a file (or an argument) does not have the expected shape.

    The message names the file, the line (1-based; for a JSON array, the
    record index), the field and the offending value, whichever are known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: Any = None,
        record: int | None = None,
    ) -> None:
        self.path, self.line, self.field, self.value, self.record = path, line, field, value, record
        where = ""
        if path is not None:
            where = path
            if line is not None:
                where += f":{line}"
            if record is not None:
                where += f" (record {record})"
            where += ": "
        elif line is not None:
            where = f"line {line}: "
        fld = f"field '{field}': " if field is not None else ""
        shown = ""
        if value is not None:
            text = repr(value)
            shown = f" (got {text if len(text) <= 80 else text[:77] + '...'})"
        super().__init__(f"{where}{fld}{message}{shown}")


class ConfigError(PRMKitError, ValueError):
    """A configuration is invalid; the message lists every problem found."""


class UnknownNameError(PRMKitError, KeyError):
    """A registry lookup failed; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class MissingExtraError(PRMKitError, ImportError):
    """An optional dependency is missing; the message is the exact install command."""


class ContextLengthError(PRMKitError, ValueError):
    """A solution does not fit in the model's context window."""


class OutputError(PRMKitError, OSError):
    """An output path cannot be written: a folder where a file is needed (or the
    reverse), no permission, a name that leaves the output folder. Raised before
    the work starts wherever the path is known up front.

    >>> print(OutputError("is a folder, not a file", path="runs/out.jsonl"))
    runs/out.jsonl: is a folder, not a file
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)

    def __str__(self) -> str:  # OSError would format its own args
        return str(self.args[0]) if self.args else ""


class FileAccessError(PRMKitError, OSError):
    """The machine refused a file or a resource: no permission, a folder where a file is
    needed (or the reverse), a read-only file system, a full disk, a damaged SQLite file,
    no memory left. The message names the file where it is known.

    >>> print(FileAccessError("permission denied", path="data/in.jsonl"))
    data/in.jsonl: permission denied
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)

    def __str__(self) -> str:  # OSError would format its own args
        return str(self.args[0]) if self.args else ""
