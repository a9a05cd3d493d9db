"""Execute notebooks headless and report: ``python -m mlcourse run``.

::

    python -m mlcourse run                       # every notebook, full mode, into build/executed/
    python -m mlcourse run notebooks/04_xor_mlp.ipynb --fast
    python -m mlcourse run --in-place            # refresh the committed reference outputs (full mode)
    python -m mlcourse data                      # generate and verify data files
    python -m mlcourse readme                    # rewrite the README tables from build/

What it does, per notebook: executes it with nbclient in this Python
environment (the kernel is this interpreter), shows progress on the terminal,
cleans the outputs (progress bars resolved, no timestamps), stamps
``metadata.mlcourse`` and writes the result atomically. A failing notebook is
reported and the run goes on; the exit status is non-zero if any failed, and
the closing table names the notebook, cell and error.

Metrics recorded with :func:`mlcourse.results.expect` during the run are
collected per notebook and shown beside their bars and the seeds' numbers;
wall times go to ``build/timings.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .notebooks import (NotANotebookError, clean_outputs, find_notebooks, read_notebook, stamp,
                        write_notebook)
from .results import atomic_write_text, load_results, record_result, replace_notebook_results

#: Per-cell time limit in seconds (full mode can train for minutes in one cell).
DEFAULT_CELL_TIMEOUT = 3600


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    path: Path
    status: str = "not run"          # "ok", "failed", "interrupted"
    seconds: float = 0.0
    failed_cell: int | None = None   # 1-based cell number, as Jupyter shows it
    error: str = ""
    metrics: list[dict] = field(default_factory=list)
    output: Path | None = None


class _Progress:
    """One status line: notebook i of N, current cell, elapsed time."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_line = 0.0

    def update(self, text: str, force: bool = False) -> None:
        if self.tty:
            self.stream.write("\r" + text[:118].ljust(118))
            self.stream.flush()
        elif force or time.monotonic() - self.last_line >= 15:
            self.stream.write(text + "\n")
            self.stream.flush()
            self.last_line = time.monotonic()

    def done(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 118 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()


def kernel_environment(name: str, fast: bool, results_file: Path) -> dict[str, str]:
    """Environment for the kernel: mode, notebook name, pinned TensorFlow settings."""
    env = dict(os.environ)
    env[config.FAST_ENV] = "1" if fast else "0"
    env[config.NOTEBOOK_ENV] = name
    env[config.RESULTS_ENV] = str(results_file)
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"       # reference outputs and CI use the same setting
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"       # C++ chatter would land in cell outputs
    env["PYTHONHASHSEED"] = "0"
    env.pop("MPLBACKEND", None)              # Agg would drop the figures from the outputs
    return env


def execute_notebook(path: Path, *, fast: bool, out_path: Path, progress: _Progress, label: str,
                     cell_timeout: int = DEFAULT_CELL_TIMEOUT) -> NotebookRun:
    """Execute one notebook into ``out_path``; never raises for a failing notebook."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    run = NotebookRun(path=path)
    nb = read_notebook(path)
    name = path.stem
    n_cells = len(nb.cells)
    current = {"index": 0}
    started = time.monotonic()

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index
        progress.update(f"{label} {name}: cell {cell_index + 1}/{n_cells}, "
                        f"{time.monotonic() - started:5.0f} s elapsed")

    with tempfile.TemporaryDirectory(prefix="mlcourse-results-") as tmp:
        results_file = Path(tmp) / "results.json"
        try:
            client = NotebookClient(
                nb, timeout=cell_timeout, kernel_name="python3", record_timing=False,
                resources={"metadata": {"path": str(path.parent.resolve())}},
                on_cell_start=on_cell_start)
            client.execute(env=kernel_environment(name, fast, results_file))
            run.status = "ok"
        except CellExecutionError as err:
            run.status = "failed"
            run.error = f"{err.ename}: {err.evalue}".strip()
        except CellTimeoutError:
            run.status = "failed"
            run.error = f"cell timed out after {cell_timeout} s"
        except DeadKernelError as err:
            run.status = "failed"
            run.error = f"kernel died ({err}); out of memory?"
        except KeyboardInterrupt:
            run.status = "interrupted"
            run.error = "interrupted by the user"
        finally:
            run.seconds = time.monotonic() - started
            run.metrics = load_results(results_file)
        if run.status != "ok":
            run.failed_cell = current["index"] + 1

    if run.status == "ok":
        replace_notebook_results(name, "fast" if fast else "full", run.metrics)
    else:
        for record in run.metrics:
            record_result(record)
    clean_outputs(nb)
    stamp(nb, "fast" if fast else "full")
    write_notebook(nb, out_path)
    run.output = out_path
    if run.status == "interrupted":
        raise KeyboardInterrupt
    return run


def record_timing(run: NotebookRun, mode: str) -> None:
    """Keep the latest successful wall time per (notebook, mode) in ``build/timings.json``."""
    if run.status != "ok":
        return
    path = config.build_dir() / "timings.json"
    try:
        timings = json.loads(path.read_text()) if path.exists() else {}
    except json.JSONDecodeError:
        timings = {}
    timings.setdefault(mode, {})[run.path.stem] = round(run.seconds, 1)
    atomic_write_text(path, json.dumps(timings, indent=2, sort_keys=True) + "\n")


def format_table(runs: list[NotebookRun]) -> str:
    """The closing table: notebook, status, wall time, then each metric with bar and seed value."""
    rows = [("notebook", "status", "time", "metric", "value", "bar", "seed")]
    for run in runs:
        first = (run.path.stem, run.status, f"{run.seconds:6.1f} s")
        if not run.metrics:
            rows.append(first + ("", "", "", ""))
        for i, rec in enumerate(run.metrics):
            seed = f"{rec['seed_value']:.4g}" if rec.get("seed_value") is not None else ""
            flag = "" if rec.get("passed") else "  MISSED"
            note = f" ({rec['note']})" if rec.get("note") else ""
            rows.append((first if i == 0 else ("", "", "")) +
                        (rec["metric"], f"{rec['value']:.4g}{flag}", rec["bar"] + note, seed))
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_notebooks(paths: list[Path], *, fast: bool, in_place: bool, out_dir: Path,
                  cell_timeout: int = DEFAULT_CELL_TIMEOUT) -> list[NotebookRun]:
    """Execute each notebook in turn, keep going after failures, and return the outcomes."""
    progress = _Progress()
    runs: list[NotebookRun] = []
    mode = "fast" if fast else "full"
    for i, path in enumerate(paths, start=1):
        label = f"[{i}/{len(paths)}]"
        progress.update(f"{label} {path.stem}: starting ({mode} mode)", force=True)
        target = path if in_place else out_dir / path.name
        if in_place:
            # Execute into build/ first; the committed notebook is replaced only on success.
            staging = out_dir / path.name
        else:
            staging = target
        try:
            run = execute_notebook(path, fast=fast, out_path=staging, progress=progress,
                                   label=label, cell_timeout=cell_timeout)
        except KeyboardInterrupt:
            progress.done(f"{label} {path.stem}: interrupted; committed files are untouched")
            runs.append(NotebookRun(path=path, status="interrupted", error="interrupted by the user"))
            break
        if run.status == "ok" and in_place:
            write_notebook(read_notebook(staging), target)
            run.output = target
        record_timing(run, mode)
        where = f" -> {run.output}" if run.output else ""
        detail = f" at cell {run.failed_cell}: {run.error}" if run.status != "ok" else ""
        progress.done(f"{label} {path.stem}: {run.status} in {run.seconds:.1f} s{detail}{where}")
        runs.append(run)
    return runs


def _cmd_run(args) -> int:
    if args.in_place and args.fast:
        print("error: --in-place refreshes the committed reference outputs, which must come from "
              "full mode; drop --fast (or drop --in-place to try fast mode into build/)", file=sys.stderr)
        return 2
    try:
        paths = find_notebooks(args.notebooks)
    except NotANotebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not paths:
        print("error: no notebooks found in notebooks/; give notebook paths explicitly", file=sys.stderr)
        return 2
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = run_notebooks(paths, fast=args.fast, in_place=args.in_place, out_dir=out_dir,
                         cell_timeout=args.timeout)
    print()
    print(format_table(runs))
    failed = [r for r in runs if r.status != "ok"]
    if failed:
        print(file=sys.stderr)
        for run in failed:
            where = f"cell {run.failed_cell}" if run.failed_cell else "before the first cell"
            print(f"FAILED {run.path}: {where}: {run.error}", file=sys.stderr)
            if run.output:
                print(f"       the executed notebook with the traceback is {run.output}", file=sys.stderr)
        return 1
    return 0


def _cmd_data(args) -> int:
    from .data import DataError, prepare_all

    try:
        done = prepare_all(verbose=True)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"data ready: {', '.join(done) if done else 'nothing to prepare'}")
    return 0


def _cmd_readme(args) -> int:
    from .report import update_readme

    try:
        path = update_readme(Path(args.readme))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"updated the tables in {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlcourse",
                                     description="Run, check and export the mlcourse notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute notebooks headless and print the results table")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    run.add_argument("--fast", action="store_true", help="fast mode (MLCOURSE_FAST=1): small, quick runs")
    run.add_argument("--in-place", action="store_true",
                     help="write outputs back into the notebooks (the committed reference outputs)")
    run.add_argument("--out", default=str(config.project_root() / "build" / "executed"),
                     help="folder for executed notebooks (default: build/executed)")
    run.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT,
                     help=f"per-cell time limit in seconds (default {DEFAULT_CELL_TIMEOUT})")
    run.set_defaults(func=_cmd_run)
    data = sub.add_parser("data", help="generate missing data files and verify all of them")
    data.set_defaults(func=_cmd_data)
    readme = sub.add_parser("readme", help="rewrite the README's generated tables from build/")
    readme.add_argument("--readme", default=str(config.project_root() / "README.md"))
    readme.set_defaults(func=_cmd_readme)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m mlcourse``."""
    args = build_parser().parse_args(argv)
    return args.func(args)
