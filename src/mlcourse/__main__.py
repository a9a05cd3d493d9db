"""``python -m mlcourse COMMAND``: see :mod:`mlcourse.tools.cli` (``--help`` lists every command)."""

from __future__ import annotations

import sys

from .tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
