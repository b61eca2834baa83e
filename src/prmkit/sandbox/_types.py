"""What a sandboxed run may use (:class:`Limits`) and what it did (:class:`Execution`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from prmkit.errors import ConfigError

__all__ = ["Execution", "Limits", "Status"]

Status = Literal[
    "ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit", "forbidden", "crashed"
]
"""How a run ended, most telling first when several hold: ``forbidden`` (it tried something the
sandbox refuses, even if it caught the refusal), ``output_limit`` (killed: it wrote more than
``output_bytes``), ``timeout`` (killed: ``wall_s`` passed), ``cpu_limit`` (killed by the kernel
after ``cpu_s``), ``memory_limit`` (an allocation beyond ``memory_bytes`` failed), ``crashed``
(killed by another signal, or the sandbox could not confine it), ``error`` (nonzero exit: an
uncaught exception or ``sys.exit(n)``), ``ok`` (exit status 0)."""


@dataclass(frozen=True)
class Limits:
    """What one run may use. Defaults suit a short verification script that imports sympy.

    >>> Limits(wall_s=2).cpu_s
    5.0
    >>> Limits(wall_s=0, memory_bytes=10)
    Traceback (most recent call last):
    ...
    prmkit.errors.ConfigError: invalid sandbox limits: wall_s must be > 0 (got 0); memory_bytes must be >= 67108864 (got 10)
    """

    wall_s: float = 10.0
    """Wall-clock seconds before the whole process group is killed (``timeout``)."""
    cpu_s: float = 5.0
    """CPU seconds (RLIMIT_CPU, rounded up to whole seconds) before the kernel stops it (``cpu_limit``)."""
    memory_bytes: int = 1 << 30
    """Address space (RLIMIT_AS); an allocation beyond it fails (``memory_limit``). The interpreter
    with sympy loaded maps about 55 MiB."""
    output_bytes: int = 64 * 1024
    """Bytes kept of stdout and of stderr each; writing more kills it (``output_limit``)."""
    file_bytes: int = 1 << 20
    """Largest file it may write (RLIMIT_FSIZE), in its own folder, the only one it may write."""
    max_files: int = 64
    """Files it may open for writing (the audit hook counts distinct paths)."""
    open_files: int = 64
    """Open file descriptors (RLIMIT_NOFILE)."""
    processes: int = 4
    """Tasks (threads or processes) it may add beyond those its user runs at start (RLIMIT_NPROC);
    the audit hook refuses new processes before this is reached."""

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value, lowest = getattr(self, f.name), _LOWEST.get(f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{f.name} must be a number (got {value!r})")
            elif lowest is None and value <= 0:
                problems.append(f"{f.name} must be > 0 (got {value!r})")
            elif lowest is not None and value < lowest:
                problems.append(f"{f.name} must be >= {lowest} (got {value!r})")
        if problems:
            raise ConfigError("invalid sandbox limits: " + "; ".join(problems))


_LOWEST: dict[str, int] = {  # the smallest allowed value; a field not here must be > 0
    "memory_bytes": 64 << 20,
    "output_bytes": 1,
    "file_bytes": 1,
    "max_files": 0,
    "open_files": 16,
    "processes": 1,
}


@dataclass(frozen=True)
class Execution:
    """What one sandboxed run did: a report, never an exception for anything the code does.

    ``stdout``/``stderr`` are decoded UTF-8 (bad bytes replaced), cut at ``Limits.output_bytes``
    (``*_truncated`` says so). ``exit_code`` is the process's status, negative for a signal,
    ``None`` if it never ran. ``denied`` names each operation the audit hook refused;
    ``guards`` the confinements that were in force (``netns``, ``uid=65534``, ``no_new_privs``,
    ``rlimits``, ``audit``).
    """

    status: Status
    exit_code: int | None
    stdout: str
    stderr: str
    reason: str = ""
    """Why it did not end ``ok``, in words (empty when it did)."""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    wall_s: float = 0.0
    cpu_s: float = 0.0
    denied: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether it ran to the end and exited with status 0."""
        return self.status == "ok"

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (what a verifier stores beside its verdict)."""
        record = asdict(self)
        record["denied"], record["guards"] = list(self.denied), list(self.guards)
        return record
