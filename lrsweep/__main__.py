"""``python -m lrsweep``: the ``lrsweep`` command."""

from lrsweep.tools.cli import main

raise SystemExit(main())
