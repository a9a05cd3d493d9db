"""Command line: ``python -m mlcourse COMMAND``.

Commands
--------
run        execute notebooks headless (see :mod:`mlcourse.runner`)
data       generate and verify the data files
readme     regenerate the README tables from build/
html, pdf  instructor exports (see :mod:`mlcourse.export`)
check, handouts, grade
           nbgrader assignments: check the source format, student versions and
           bundle, autograding (see :mod:`mlcourse.tools.assignments`)
"""

from __future__ import annotations

import sys

EXPORT_COMMANDS = {"html", "pdf"}
ASSIGNMENT_COMMANDS = {"check", "handouts", "grade"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in EXPORT_COMMANDS:
        from .export import main as export_main

        return export_main(argv)
    if argv and argv[0] in ASSIGNMENT_COMMANDS:
        from .tools.assignments import main as assignments_main

        return assignments_main(argv)
    from .runner import main as runner_main

    return runner_main(argv)


if __name__ == "__main__":
    sys.exit(main())
