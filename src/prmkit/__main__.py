"""``python -m prmkit``."""

from prmkit.cli import main

raise SystemExit(main())
