"""Record a notebook's metrics and check them against their bars.

``expect("test_accuracy", acc, at_least=0.95)`` prints the value beside its bar
and the seed's number, records it in ``build/results.json`` and raises
:class:`BarMissed` (which stops the notebook, so nbval and the runner fail)
when the bar is missed. Bars may be looser in fast mode (``fast_at_least``,
``fast_at_most``) but are never absent.

``results.json`` holds one record per (notebook, metric, mode); a newer run
replaces the older record. Writes are atomic and locked, so two notebooks
running at once do not lose each other's records.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from . import config
from .reference import seed_value


class BarMissed(AssertionError):
    """A metric missed its bar. The message names the notebook, metric, value and bar."""


def results_path() -> Path:
    """Where results are recorded: ``MLCOURSE_RESULTS`` or ``build/results.json``."""
    override = os.environ.get(config.RESULTS_ENV)
    if override:
        return Path(override)
    return config.project_root() / "build" / "results.json"


def _as_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expect({name!r}): value must be a number, got {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"expect({name!r}): value is NaN; the computation that produced it failed")
    return number


def _bar_text(at_least: float | None, at_most: float | None) -> str:
    if at_least is not None and at_most is not None:
        return f"in [{at_least:.4g}, {at_most:.4g}]"
    if at_least is not None:
        return f">= {at_least:.4g}"
    return f"<= {at_most:.4g}"


def expect(name: str, value: Any, *, at_least: float | None = None, at_most: float | None = None,
           fast_at_least: float | None = None, fast_at_most: float | None = None,
           note: str = "") -> None:
    """Record ``value`` under ``name`` and check it against its bar.

    Parameters
    ----------
    name : str
        Metric name, e.g. ``"test_accuracy"``; seed values are looked up by it.
    value : float
        The measured value.
    at_least, at_most : float, optional
        The full-mode bar; at least one is required (both for a band).
    fast_at_least, fast_at_most : float, optional
        Looser bounds used instead in fast mode.
    note : str
        Shown in the results table, e.g. ``"stand-in data"``.

    Returns
    -------
    None
        Nothing, on purpose: ``expect`` is the last line of an nbgrader test
        cell, and nbgrader would read a returned number as partial credit.

    Raises
    ------
    ValueError
        If no bar is given, the bar is inverted, or ``value`` is not a number.
    BarMissed
        If the value is outside its bar.

    Example
    -------
    >>> expect("test_accuracy", 0.97, at_least=0.95)  # doctest: +SKIP
    passed: test_accuracy = 0.97  (bar >= 0.95 in full mode; coursework 0.907)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"expect(): name must be a non-empty string, got {name!r}")
    if at_least is None and at_most is None:
        raise ValueError(f"expect({name!r}): give a bar, at_least= and/or at_most=; "
                         "a result without a bar checks nothing")
    fast = config.is_fast()
    lo = fast_at_least if (fast and fast_at_least is not None) else at_least
    hi = fast_at_most if (fast and fast_at_most is not None) else at_most
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"expect({name!r}): at_least={lo} is above at_most={hi}")
    number = _as_float(name, value)
    passed = (lo is None or number >= lo) and (hi is None or number <= hi)

    notebook = config.notebook_name()
    mode = "fast" if fast else "full"
    seed = seed_value(notebook, name)
    record = {
        "notebook": notebook, "metric": name, "value": number,
        "at_least": lo, "at_most": hi, "bar": _bar_text(lo, hi),
        "mode": mode, "passed": passed,
        "seed_value": seed.value if seed else None,
        "seed_note": seed.note if seed else "",
        "note": note,
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    record_result(record)

    coursework_txt = f"; coursework {seed.value:.4g}" if seed else ""
    note_txt = f"; {note}" if note else ""
    status = "passed" if passed else "FAILED"
    print(f"{status}: {name} = {number:.4g}  (bar {record['bar']} in {mode} mode{coursework_txt}{note_txt})")
    if not passed:
        raise BarMissed(
            f"{notebook}: '{name}' = {number:.4g} is outside its bar {record['bar']} "
            f"({mode} mode). Look at the work above (did training converge? is the data "
            f"prepared as the task says?) and run again; bars are never lowered to make a run pass.")


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_results(path: Path | None = None) -> list[dict]:
    """Read all records; a missing file is an empty list.

    Raises
    ------
    ValueError
        If the file is not valid JSON (names the file and how to reset it).
    """
    path = path or results_path()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it and re-run "
                         "`make run` to rebuild it") from None
    if not isinstance(data, list):
        raise ValueError(f"{path} should hold a list of records; delete it and re-run `make run`")
    return data


def record_result(record: dict, path: Path | None = None) -> None:
    """Insert or replace ``record`` (keyed by notebook, metric, mode), atomically."""
    path = path or results_path()
    with _locked(path):
        records = [r for r in load_results(path)
                   if (r.get("notebook"), r.get("metric"), r.get("mode"))
                   != (record["notebook"], record["metric"], record["mode"])]
        records.append(record)
        records.sort(key=lambda r: (r["notebook"], r["mode"], r["metric"]))
        atomic_write_text(path, json.dumps(records, indent=2) + "\n")


def replace_notebook_results(notebook: str, mode: str, records: list[dict], path: Path | None = None) -> None:
    """Make ``records`` the only results of ``notebook`` in ``mode`` (a finished run drops stale metrics)."""
    path = path or results_path()
    with _locked(path):
        kept = [r for r in load_results(path) if (r.get("notebook"), r.get("mode")) != (notebook, mode)]
        kept.extend(records)
        kept.sort(key=lambda r: (r["notebook"], r["mode"], r["metric"]))
        atomic_write_text(path, json.dumps(kept, indent=2) + "\n")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; keep the old file's mode, or the usual 0644 under the umask
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
