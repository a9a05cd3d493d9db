"""Record a notebook's metrics and check them against their bars.

``expect("test_accuracy", acc, at_least=0.95)`` prints the value beside its bar
and the coursework's number, records it, and raises :class:`BarMissed` (which
stops the notebook, so nbval and the runner fail) when the bar is missed. Bars
may be looser in fast mode (``fast_at_least``, ``fast_at_most``) but are never
absent.

Where records go
----------------
* ``python -m mlcourse run`` gives each kernel a private file in
  ``MLCOURSE_RESULTS``; when the notebook ends, the runner writes the
  notebook's one results file ``build/results/<notebook>.<mode>.json``
  (atomically, with the run's status, time and machine). Each file has one
  writer, so nothing needs a lock, and a killed run leaves the previous file.
  Only these files are published (``python -m mlcourse readme``).
* Grading and nbval set ``MLCOURSE_RESULTS`` to files of their own.
* A kernel without ``MLCOURSE_RESULTS`` (JupyterLab, VS Code) is an
  interactive run: its records go to ``build/results/interactive/`` and are
  never published.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import numbers
import os
from pathlib import Path
from typing import Any

from . import config
from ._atomic import replace_atomically
from .reference import coursework_value

#: Folder, under ``build/``, of the runner's results files.
RESULTS_FOLDER = "results"
#: Sub-folder of interactive records (never published).
INTERACTIVE_FOLDER = "interactive"
#: ``source`` of a results file written by the runner.
RUNNER_SOURCE = "python -m mlcourse run"
#: Version of the results file layout.
FORMAT = 1


class BarMissed(AssertionError):
    """A metric missed its bar. The message names the notebook, metric, value and bar."""


class ClaimFailed(AssertionError):
    """A sentence the notebook states from its run stopped being true; the message quotes it."""


class ResultsError(ValueError):
    """A results file is missing, corrupt or not the runner's; the message names the file and the fix."""


def results_dir() -> Path:
    """``build/results/`` of the project (not created)."""
    return config.project_root() / "build" / RESULTS_FOLDER


def run_results_path(notebook: str, mode: str) -> Path:
    """The runner's results file of ``notebook`` in ``mode``: ``build/results/<notebook>.<mode>.json``."""
    return results_dir() / f"{notebook}.{mode}.json"


def interactive_results_path(notebook: str, mode: str) -> Path:
    """Where an interactive kernel records: ``build/results/interactive/<notebook>.<mode>.json``."""
    return results_dir() / INTERACTIVE_FOLDER / f"{notebook}.{mode}.json"


def results_path(notebook: str | None = None, mode: str | None = None) -> Path:
    """The file this kernel's ``expect`` writes: ``MLCOURSE_RESULTS``, else the interactive file."""
    override = os.environ.get(config.RESULTS_ENV)
    if override:
        return Path(override)
    notebook = notebook or config.notebook_name()
    mode = mode or ("fast" if config.is_fast() else "full")
    return interactive_results_path(notebook, mode)


def _real(name: str, what: str, value: Any) -> float:
    """``value`` as a finite float, or ValueError naming the metric, the argument and the value."""
    if isinstance(value, (bool, str, bytes)) or type(value).__name__ == "bool_":
        raise ValueError(f"expect({name!r}): {what} must be a finite real number, got "
                         f"{type(value).__name__} {value!r}; pass the number itself, e.g. float(acc)")
    if not isinstance(value, numbers.Real):
        # NumPy 0-d arrays (e.g. np.mean of an array) are numbers too
        shape, kind = getattr(value, "shape", None), getattr(getattr(value, "dtype", None), "kind", None)
        if shape != () or kind not in ("i", "u", "f"):
            raise ValueError(f"expect({name!r}): {what} must be a finite real number, got "
                             f"{type(value).__name__} {value!r}; pass one number, e.g. float(acc)")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"expect({name!r}): {what} is NaN; the computation that produced it failed "
                         "(look for a division by zero or a diverged training above)")
    if math.isinf(number):
        raise ValueError(f"expect({name!r}): {what} is {number}; the computation that produced it "
                         "overflowed or divided by zero; a bar cannot judge it")
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
        Metric name, e.g. ``"test_accuracy"``; the coursework's number is looked up by it.
    value : float
        The measured value: a finite real number (int, float, NumPy scalar);
        not a bool, a string, NaN or an infinity.
    at_least, at_most : float, optional
        The full-mode bar; at least one is required (both for a band). Finite.
    fast_at_least, fast_at_most : float, optional
        Looser bounds used instead in fast mode. Finite.
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
        If no bar is given, a bar is not a finite number, the band is
        inverted, ``value`` is not a finite real number, or the record cannot
        be written to ``MLCOURSE_RESULTS``.
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
    bars = {"at_least": at_least, "at_most": at_most, "fast_at_least": fast_at_least,
            "fast_at_most": fast_at_most}
    bars = {key: None if bar is None else _real(name, f"the bar {key}=", bar) for key, bar in bars.items()}
    fast = config.is_fast()
    lo = bars["fast_at_least"] if (fast and fast_at_least is not None) else bars["at_least"]
    hi = bars["fast_at_most"] if (fast and fast_at_most is not None) else bars["at_most"]
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"expect({name!r}): at_least={lo} is above at_most={hi}")
    number = _real(name, "value", value)
    passed = (lo is None or number >= lo) and (hi is None or number <= hi)

    notebook = config.notebook_name()
    mode = "fast" if fast else "full"
    coursework = coursework_value(notebook, name)
    record = {
        "notebook": notebook, "metric": name, "value": number,
        "at_least": lo, "at_most": hi, "bar": _bar_text(lo, hi),
        "mode": mode, "passed": passed,
        "coursework": coursework.value if coursework else None,
        "coursework_note": coursework.note if coursework else "",
        "note": note,
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    _record_from_kernel(record)

    coursework_txt = f"; coursework {coursework.value:.4g}" if coursework else ""
    note_txt = f"; {note}" if note else ""
    status = "passed" if passed else "FAILED"
    print(f"{status}: {name} = {number:.4g}  (bar {record['bar']} in {mode} mode{coursework_txt}{note_txt})")
    if not passed and _seed_study():
        print("  (seed study: recorded, not stopping)")
    elif not passed:
        raise BarMissed(
            f"{notebook}: '{name}' = {number:.4g} is outside its bar {record['bar']} "
            f"({mode} mode). Look at the work above (did training converge? is the data "
            f"prepared as the task says?) and run again; bars are never lowered to make a run pass.")


def _claim_value(statement: str, key: str, value: Any):
    """A value shown beside a claim, as JSON can hold it (finite floats, ints, strings)."""
    if isinstance(value, (str, bool)) or type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return value if isinstance(value, str) else bool(value)
    try:
        return _real(f"claim {statement[:40]!r}", key, value)
    except ValueError:
        raise ValueError(f"claim({statement[:60]!r}): the value {key}={value!r} is not a finite number "
                         "or a string; pass what the sentence quotes, e.g. float(acc)") from None


def claim(statement: str, holds: Any, **values: Any) -> None:
    """Check a sentence the notebook states from its run, and stop the run when it turns false.

    Put the check in the cell before the prose that states it (or in the
    generated answer that states it): when a re-run changes the numbers so
    that the sentence no longer holds, the full run stops here instead of
    publishing a false sentence.

    Parameters
    ----------
    statement : str
        The sentence (or its gist) as the notebook states it, e.g.
        ``"scaled inputs beat raw inputs in every seed"``.
    holds : bool
        Whether it is true in this run, computed from the run's values
        (``bool`` or NumPy bool; a number is refused, so that ``claim(s, acc)``
        cannot pass by accident).
    **values
        The numbers the sentence rests on (finite reals or strings); printed and recorded.

    Returns
    -------
    None

    Raises
    ------
    ClaimFailed
        When ``holds`` is false in a full run of the runner (``make run``,
        ``make reference``: ``MLCOURSE_CLAIMS=stop``). Elsewhere a false claim
        is recorded and printed but does not stop the run: in fast mode (tiny
        data, few epochs, numbers that mean little), in a seed study, and in a
        student's Jupyter or a grading run, where it tells the student that
        their numbers differ from the reference run the text describes.
    ValueError
        If ``holds`` is not a bool or a value is not a finite number or string.

    Example
    -------
    >>> claim("Adam ends above plain SGD", adam > sgd, adam=adam, sgd=sgd)   # doctest: +SKIP
    claim holds: Adam ends above plain SGD  (adam=0.7412, sgd=0.6786)
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"claim(): statement must be a non-empty string, got {statement!r}")
    if not (isinstance(holds, bool) or type(holds).__module__ == "numpy" and type(holds).__name__ in ("bool", "bool_")):
        raise ValueError(f"claim({statement[:60]!r}): holds must be a bool computed from the run "
                         f"(e.g. a > b), got {type(holds).__name__} {holds!r}")
    holds = bool(holds)
    shown = {key: _claim_value(statement, key, value) for key, value in values.items()}
    fast = config.is_fast()
    notebook = config.notebook_name()
    mode = "fast" if fast else "full"
    record = {
        "notebook": notebook, "metric": f"claim: {statement}", "kind": "claim", "claim": statement,
        "holds": holds, "values": shown, "mode": mode, "passed": holds or fast,
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    _record_from_kernel(record)
    detail = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items())
    detail = f"  ({detail})" if detail else ""
    if holds:
        print(f"claim holds: {statement}{detail}")
    elif fast or _seed_study():
        print(f"claim not checked in {'fast mode' if fast else 'a seed study'} "
              f"(false in this run): {statement}{detail}")
    elif os.environ.get(config.CLAIMS_ENV) != "stop":
        # a student's or grader's run: the prose was written from the reference run, say where yours differs
        print(f"note: in your run this does not hold: {statement}{detail}; the text was written "
              "from the reference run, so read it against your own numbers")
    else:
        print(f"CLAIM FALSE: {statement}{detail}")
        raise ClaimFailed(
            f"{notebook}: the notebook states '{statement}', but this run's numbers contradict it"
            f"{detail}. Rewrite the sentence (and this check) to say what the numbers show; "
            "never change the check alone.")


def _seed_study() -> bool:
    """True in a run of ``benchmarks/seed_spread.py``: record every bar and claim, stop at none."""
    return bool(os.environ.get(config.SEED_ENV, "").strip())


def is_claim(record: dict) -> bool:
    """True for a record of :func:`claim` (not a metric of :func:`expect`)."""
    return record.get("kind") == "claim"


def _record_from_kernel(record: dict) -> None:
    """Write ``record`` where this kernel records; an interactive kernel only warns when it cannot."""
    if os.environ.get(config.RESULTS_ENV):
        record_result(record)
        return
    path = results_path(record["notebook"], record["mode"])
    try:
        record_result(record, path)
    except (OSError, ResultsError) as err:
        print(f"note: this interactive result was not recorded ({err}); the check below still holds")


def load_records(path: Path | None = None) -> list[dict]:
    """Read a list of records (a kernel's ``MLCOURSE_RESULTS`` or an interactive file).

    A missing file is an empty list.

    Raises
    ------
    ResultsError
        If the file cannot be read or is not a JSON list (names the file and how to reset it).
    """
    path = Path(path or results_path())
    if not path.exists():
        return []
    data = _read_json(path, "delete it; the next run writes it anew")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ResultsError(f"{path} should hold a list of records; delete it; the next run writes it anew")
    return data


#: The old name of :func:`load_records`.
load_results = load_records


def _read_json(path: Path, fix: str):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ResultsError(f"cannot read {path} ({err}); {fix}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path} is not valid JSON ({err}); {fix}") from None


def record_result(record: dict, path: Path | None = None) -> None:
    """Insert or replace ``record`` (keyed by notebook, metric, mode) in ``path``, atomically.

    One kernel writes each such file, so no lock is needed.
    """
    path = Path(path or results_path(record["notebook"], record["mode"]))
    records = [r for r in load_records(path)
               if (r.get("notebook"), r.get("metric"), r.get("mode"))
               != (record["notebook"], record["metric"], record["mode"])]
    records.append(record)
    records.sort(key=lambda r: (r["notebook"], r["mode"], r["metric"]))
    atomic_write_text(path, json.dumps(records, indent=2, allow_nan=False) + "\n")


def write_run_results(notebook: str, mode: str, records: list[dict], *, status: str,
                      seconds: float, failed_cell: int | None = None, error: str = "",
                      source_hash: str = "", run: dict | None = None) -> Path:
    """Write the runner's results file of ``notebook`` in ``mode`` (replacing the previous one).

    Parameters
    ----------
    notebook, mode : str
        Whose results: ``"04_xor_mlp"``, ``"full"`` or ``"fast"``.
    records : list of dict
        What the notebook's ``expect`` calls recorded in this run (only those of ``mode``).
    status : str
        ``"ok"`` or ``"failed"``.
    seconds : float
        The notebook's wall time.
    failed_cell, error : optional
        Where and how a failed run stopped.
    source_hash : str
        :func:`mlcourse.notebooks.source_hash` of the notebook that ran.
    run : dict, optional
        The run's settings: jobs, threads per kernel, machine.

    Returns
    -------
    pathlib.Path
        ``build/results/<notebook>.<mode>.json``.

    Raises
    ------
    ValueError
        If ``status`` or ``mode`` is unknown.
    """
    if status not in ("ok", "failed"):
        raise ValueError(f"status must be 'ok' or 'failed', got {status!r}")
    if mode not in ("full", "fast"):
        raise ValueError(f"mode must be 'full' or 'fast', got {mode!r}")
    data = {
        "format": FORMAT, "source": RUNNER_SOURCE, "notebook": notebook, "mode": mode,
        "status": status, "failed_cell": failed_cell, "error": error,
        "seconds": round(float(seconds), 1), "source_hash": source_hash,
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "run": run or {},
        "records": sorted((r for r in records if r.get("notebook") == notebook and r.get("mode") == mode),
                          key=lambda r: r["metric"]),
    }
    path = run_results_path(notebook, mode)
    atomic_write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")
    return path


def load_run_results(path: Path) -> dict:
    """Read and check one runner's results file.

    Raises
    ------
    ResultsError
        If it is unreadable, not JSON, or not a file the runner wrote (an
        interactive or hand-made file); the message names the file and the command that remakes it.
    """
    path = Path(path)
    notebook, _, mode = path.name[: -len(".json")].rpartition(".")
    fix = (f"delete it and run `python -m mlcourse run notebooks/{notebook}.ipynb"
           f"{' --fast' if mode == 'fast' else ''}` to remake it")
    data = _read_json(path, fix)
    if not (isinstance(data, dict) and data.get("source") == RUNNER_SOURCE
            and isinstance(data.get("records"), list) and data.get("status") in ("ok", "failed")):
        raise ResultsError(f"{path} was not written by `{RUNNER_SOURCE}` (an interactive record, "
                           f"or an older or hand-made file); {fix}")
    if (data.get("notebook"), data.get("mode")) != (notebook, mode):
        raise ResultsError(f"{path} holds the results of {data.get('notebook')!r} in mode "
                           f"{data.get('mode')!r}, not of its file name; {fix}")
    return data


def check_results_files(folder: Path | None = None) -> list[tuple[Path, str]]:
    """Problems with the runner's results files: ``(path, message)`` for each unreadable or corrupt one.

    Used before a run starts, so that a bad file is reported before any
    notebook runs rather than after.
    """
    folder = Path(folder or results_dir())
    problems = []
    if not folder.is_dir():
        return problems
    for path in sorted(folder.glob("*.json")):
        try:
            load_run_results(path)
        except ResultsError as err:
            problems.append((path, str(err)))
    return problems


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that readers see the old file or the new one, never half.

    The temporary file sits beside the target (``.<name>.<random>.tmp``) and is
    removed on any error; :func:`remove_stale_temporaries` removes those a
    killed process left. (The same writer as the data files': ``mlcourse._atomic``.)
    """
    replace_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def remove_stale_temporaries(folder: Path, older_than: float = 3600.0) -> list[Path]:
    """Delete ``.<name>.*.tmp`` files of :func:`atomic_write_text` older than ``older_than`` seconds.

    A process killed mid-write (SIGKILL) can leave one; the age limit spares a
    write in progress in another process.
    """
    import time

    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
    return removed
