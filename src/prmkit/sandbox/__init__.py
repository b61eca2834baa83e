"""Run generated Python code in a sandbox and get back what it did, as data.

Each run is a fresh isolated interpreter (``python -I``) in its own session, with an empty
environment but for ``PATH``, ``HOME`` and the locale, in a private temporary folder that is
removed afterwards. It may read what its user may read, write only in its folder, and use
only what :class:`Limits` gives it. The operating system enforces it (the process group killed
at the wall clock, resource limits, namespaces with no network and every mount read-only but
the folder, and ``nobody`` instead of root), and an audit hook refuses sockets, new processes
and writes outside the folder first, so that the report names the attempt. Whatever the code does comes back as an :class:`Execution`, never as an
exception. ``docs/sandbox.md`` says which mechanism enforces what, and what none of them stop.

>>> e = run_python("import sympy; print(sympy.factor('x**2 - 1'))", limits=Limits(wall_s=30))
>>> e.status, e.stdout
('ok', '(x - 1)*(x + 1)\\n')
>>> e = run_python("while True: pass", limits=Limits(wall_s=1, cpu_s=5))
>>> e.status, e.reason
('timeout', 'still running after 1 s (wall clock)')
"""

from prmkit.sandbox._run import NOBODY, run_many, run_python
from prmkit.sandbox._types import Execution, Limits, Status

__all__ = ["NOBODY", "Execution", "Limits", "Status", "run_many", "run_python"]
