"""``python -m prmkit`` runs the command line."""

import sys

from prmkit.cli import main

sys.exit(main())
