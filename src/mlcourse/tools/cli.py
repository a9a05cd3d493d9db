"""The command line, ``python -m mlcourse COMMAND``: the one parser of every command.

Commands
--------
run        execute notebooks headless, several at once (:mod:`mlcourse.runner`)
data       generate missing data files and verify every file (:mod:`mlcourse.data`)
readme     regenerate the README tables from build/results/ (:mod:`mlcourse.report`)
html, pdf  instructor exports (:mod:`mlcourse.export`)
check, handouts, grade
           nbgrader assignments: the source format, student versions and bundle,
           autograding (:mod:`mlcourse.tools.assignments`)

``run``, ``data`` and ``readme`` are parsed here; the export and assignment
commands keep their options in their modules, and this parser hands them the
rest of the command line (``python -m mlcourse grade --help`` shows them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from .. import config

#: Commands whose options live in another module: name -> (help, module, function).
DELEGATED: dict[str, tuple[str, str, str]] = {
    "html": ("export notebooks to self-contained HTML in build/html/", "mlcourse.export", "main"),
    "pdf": ("export notebooks to PDF in build/pdf/ (needs xelatex and pandoc)", "mlcourse.export", "main"),
    "check": ("check notebooks against the nbgrader source format", "mlcourse.tools.assignments", "main"),
    "handouts": ("student versions (nbgrader) and the student bundle", "mlcourse.tools.assignments", "main"),
    "grade": ("autograde submissions: SUBMISSIONS/<student>/NN_name.ipynb",
              "mlcourse.tools.assignments", "main"),
}


def _cmd_run(args) -> int:
    from ..runner import run_command

    return run_command(args)


def _cmd_data(args) -> int:
    from ..data import DataError, prepare_all

    try:
        done = prepare_all(verbose=True)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"data ready: {', '.join(done) if done else 'nothing to prepare'}")
    return 0


def _cmd_readme(args) -> int:
    from ..report import update_readme

    try:
        path = update_readme(Path(args.readme) if args.readme else config.project_root() / "README.md",
                             allow_failed=args.allow_failed)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"updated the tables in {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m mlcourse``: every command, with its help line.

    Example
    -------
    >>> sorted(build_parser()._subparsers._group_actions[0].choices)  # doctest: +NORMALIZE_WHITESPACE
    ['check', 'data', 'grade', 'handouts', 'html', 'pdf', 'readme', 'run']
    """
    from ..runner import add_arguments as add_run_arguments

    parser = argparse.ArgumentParser(
        prog="python -m mlcourse", description="Run, check, export and grade the mlcourse notebooks.",
        epilog="`python -m mlcourse COMMAND --help` shows a command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="execute notebooks headless (several at once) and print the results table",
                         description="Execute notebooks headless and print the results table.")
    add_run_arguments(run)
    run.set_defaults(func=_cmd_run)
    data = sub.add_parser("data", help="generate missing data files and verify all of them",
                          description="Generate missing data files and verify all of them.")
    data.set_defaults(func=_cmd_data)
    readme = sub.add_parser("readme", help="rewrite the README's tables from build/results/ of a full run",
                            description="Rewrite the README's notebook and results tables from the "
                                        "full-mode results files in build/results/.")
    readme.add_argument("--readme", default=None, help="the README to rewrite (default: README.md)")
    readme.add_argument("--allow-failed", action="store_true",
                        help="also publish notebooks whose last full run failed (marked as failed)")
    readme.set_defaults(func=_cmd_readme)
    for name, (text, _module, _function) in DELEGATED.items():
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _delegate(name: str) -> Callable[[Sequence[str]], int]:
    import importlib

    _text, module, function = DELEGATED[name]
    return getattr(importlib.import_module(module), function)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mlcourse``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        return _delegate(argv[0])(argv)
    args = build_parser().parse_args(argv)
    return args.func(args)
