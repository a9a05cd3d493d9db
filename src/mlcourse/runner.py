"""Execute notebooks headless, several at once, and report: ``python -m mlcourse run``.

::

    python -m mlcourse run                       # every notebook, full mode, into build/executed/
    python -m mlcourse run --jobs 1              # one at a time (same threads per kernel, same numbers)
    python -m mlcourse run notebooks/04_xor_mlp.ipynb --fast
    python -m mlcourse run --in-place            # refresh the committed reference outputs (full mode)

Per notebook: executes it with nbclient in this Python environment (the
kernel is this interpreter; IPC transport on POSIX, so ipykernel does not warn
about unencrypted TCP), shows progress (one status line on a terminal; plain
lines at each start and end and every 30 s in a log, e.g. CI), cleans the
outputs (progress bars resolved, no timestamps), stamps ``metadata.mlcourse``
and writes the executed notebook and ``build/results/<notebook>.<mode>.json``
atomically. A failing notebook is reported and the others go on; the exit
status is 1 if any failed, and the closing table names the notebook, cell and
error. Ctrl-C stops every kernel, writes nothing half-done, lists what
finished and exits 130.

Concurrency: ``--jobs auto`` (the default) runs as many notebooks at once as
the cores and memory allow; each kernel gets ``--threads`` threads (default
``MLCOURSE_THREADS``, else the cores divided by the automatic number of jobs),
set through ``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS`` and the
OpenMP/MKL/OpenBLAS variables. The threads per kernel do not depend on
``--jobs``, so a one-at-a-time run gives the same numbers. The same setting
reaches nbval kernels (``conftest.py``), ``make lab`` and the registered
``Python (mlcourse)`` kernel (``make setup``) through :func:`thread_environment`.

Each run's wall time, each notebook's time, the jobs, threads and machine go to
``build/timings.json``; the README's timing column is generated from them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .notebooks import (NotANotebookError, clean_outputs, find_notebooks, read_notebook, source_hash,
                        stamp, write_notebook)
from .results import (ResultsError, atomic_write_text, check_results_files, load_records,
                      remove_stale_temporaries, results_dir, run_results_path, write_run_results)

#: Per-cell time limit in seconds (full mode can train for minutes in one cell).
DEFAULT_CELL_TIMEOUT = 3600
#: Memory assumed per running kernel when choosing the number of jobs (bytes).
KERNEL_MEMORY = 3 * 2**30
#: Seconds between progress lines when stderr is not a terminal.
HEARTBEAT = 30.0
#: Environment variable holding the threads each kernel may use.
THREADS_ENV = "MLCOURSE_THREADS"
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


# --------------------------------------------------------------------------- machine, jobs, threads


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_info() -> dict:
    """What the timings were measured on: CPU model, cores, operating system, Python."""
    return {"cpu": cpu_model(), "cores": os.cpu_count() or 1,
            "system": f"{platform.system()} {platform.machine()}", "python": platform.python_version()}


def _memory_bytes() -> int | None:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        return None
    return int(psutil.virtual_memory().total)


def auto_jobs(n_notebooks: int, cores: int | None = None, memory: int | None = None) -> int:
    """How many notebooks to run at once: one per core, at most one per 3 GiB of memory.

    Example
    -------
    >>> auto_jobs(8, cores=2, memory=16 * 2**30)
    2
    """
    cores = cores or os.cpu_count() or 1
    jobs = min(max(1, n_notebooks), cores)
    memory = _memory_bytes() if memory is None else memory
    if memory:
        jobs = min(jobs, max(1, memory // KERNEL_MEMORY))
    return max(1, jobs)


def default_threads(cores: int | None = None, n_notebooks: int | None = None) -> int:
    """Threads per kernel: ``MLCOURSE_THREADS``, else the cores shared among the automatic jobs.

    Independent of ``--jobs``, so that a one-at-a-time run computes with the
    same threads as a concurrent one.

    Raises
    ------
    ValueError
        If ``MLCOURSE_THREADS`` is set but not a positive integer.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{THREADS_ENV}={value!r} is not a positive integer; set it to e.g. 1, "
                             f"or unset it for the default")
        return int(value)
    cores = cores or os.cpu_count() or 1
    if n_notebooks is None:
        n_notebooks = len(find_notebooks()) or cores
    return max(1, cores // auto_jobs(n_notebooks, cores=cores))


def thread_environment(threads: int) -> dict[str, str]:
    """Environment variables that give a kernel ``threads`` threads (TensorFlow, OpenMP, BLAS).

    Example
    -------
    >>> thread_environment(2)["TF_NUM_INTRAOP_THREADS"]
    '2'
    """
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    value = str(threads)
    return {THREADS_ENV: value, "TF_NUM_INTRAOP_THREADS": value, "TF_NUM_INTEROP_THREADS": value,
            "OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value, "OPENBLAS_NUM_THREADS": value}


def shell_thread_environment() -> str:
    """``KEY=VALUE ...`` of :func:`thread_environment` with the default threads (for the Makefile)."""
    return " ".join(f"{k}={v}" for k, v in thread_environment(default_threads()).items())


def kernel_environment(name: str, fast: bool, results_file: Path, threads: int | None = None) -> dict[str, str]:
    """Environment for a kernel: mode, notebook name, results file, threads, pinned TensorFlow settings."""
    env = dict(os.environ)
    env[config.FAST_ENV] = "1" if fast else "0"
    env[config.NOTEBOOK_ENV] = name
    env[config.RESULTS_ENV] = str(results_file)
    env.update(thread_environment(threads or default_threads()))
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"       # reference outputs and CI use the same setting
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"       # C++ chatter would land in cell outputs
    env["PYTHONHASHSEED"] = "0"
    env.pop("MPLBACKEND", None)              # Agg would drop the figures from the outputs
    env.pop("JPY_SESSION_NAME", None)        # a run from a Jupyter terminal is not interactive
    env.pop(config.SEED_ENV, None)           # only a seed study (benchmarks/) changes the seeds
    env[config.CLAIMS_ENV] = "stop"          # a false claim stops the runner's full runs (make run/reference)
    return env


# --------------------------------------------------------------------------- run folders


def runs_root() -> Path:
    """Where runs keep kernel connection files, IPC sockets and kernels' results: one folder per run.

    Under the system's temporary folder (short paths: IPC socket paths are
    limited to about 100 characters), per user.
    """
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"mlcourse-runs-{user}"


def _pid_alive(pid: int) -> bool:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        return True  # cannot tell: keep the folder
    return psutil.pid_exists(pid)


def make_run_folder(root: Path | None = None) -> Path:
    """A fresh folder for this run, after removing the folders of runs whose process is gone.

    A run killed with SIGKILL leaves its folder; the next run removes it, so
    nothing a dead run left can confuse a later one.
    """
    root = Path(root or runs_root())
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        pid = old.name.split("-", 1)[0]
        if old.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))


# --------------------------------------------------------------------------- progress


class _Progress:
    """Progress of the notebooks running at once.

    On a terminal: one status line, rewritten every second. Otherwise (a log,
    CI): a plain line when a notebook starts or ends, and every ``heartbeat``
    seconds a line naming what is running.
    """

    def __init__(self, total: int, stream=None, heartbeat: float = HEARTBEAT):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.heartbeat = heartbeat
        self.finished = 0
        self.running: dict[str, list] = {}   # name -> [started, cell, n_cells]
        self.lock = threading.Lock()
        self.last_line = time.monotonic()

    def _write(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 118 + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()
        self.last_line = time.monotonic()

    def _running_text(self) -> str:
        now = time.monotonic()
        return ", ".join(f"{name} (cell {cell}/{n}, {now - started:.0f} s)"
                         for name, (started, cell, n) in self.running.items())

    def start(self, name: str, n_cells: int, mode: str) -> None:
        with self.lock:
            self.running[name] = [time.monotonic(), 0, n_cells]
            self._write(f"start     {name} ({mode} mode)")

    def cell(self, name: str, index: int) -> None:
        with self.lock:
            if name in self.running:
                self.running[name][1] = index + 1

    def end(self, name: str, text: str) -> None:
        with self.lock:
            self.running.pop(name, None)
            self.finished += 1
            self._write(f"[{self.finished}/{self.total}] {text}")

    def say(self, text: str) -> None:
        with self.lock:
            self._write(text)

    def tick(self) -> None:
        """Called about once a second by the main thread."""
        with self.lock:
            if not self.running:
                return
            if self.tty:
                line = f"[{self.finished}/{self.total} done] running: {self._running_text()}"
                self.stream.write("\r" + line[:118].ljust(118))
                self.stream.flush()
            elif time.monotonic() - self.last_line >= self.heartbeat:
                self._write(f"running   {self._running_text()}")


# --------------------------------------------------------------------------- one notebook


@dataclass
class NotebookRun:
    """Outcome of executing one notebook."""

    path: Path
    status: str = "not run"          # "ok", "failed", "interrupted", "not run"
    seconds: float = 0.0
    failed_cell: int | None = None   # 1-based cell number, as Jupyter shows it
    error: str = ""
    metrics: list[dict] = field(default_factory=list)
    output: Path | None = None


class _Kernels:
    """The kernels of a run, so that Ctrl-C can stop them from the main thread."""

    def __init__(self):
        self.managers: list = []
        self.lock = threading.Lock()

    def add(self, km) -> None:
        with self.lock:
            self.managers.append(km)

    def kill_all(self) -> None:
        """Kill every kernel process (and, on POSIX, its process group) that still runs."""
        with self.lock:
            managers = list(self.managers)
        for km in managers:
            process = getattr(getattr(km, "provisioner", None), "process", None)
            if process is None or process.poll() is not None:
                continue
            try:
                if os.name == "posix":
                    os.killpg(process.pid, signal.SIGKILL)   # the kernel leads its own session
                else:
                    process.kill()
            except (ProcessLookupError, PermissionError, OSError):
                continue  # already gone


def _client_class():
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """nbclient with the run's connection file, IPC sockets and kernel registry."""

        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            prefix = self.mlcourse_prefix
            km.connection_file = f"{prefix}.json"
            if os.name == "posix":      # ZeroMQ's IPC transport needs Unix sockets
                km.transport = "ipc"
                km.ip = f"{prefix}-ipc"
            self.mlcourse_kernels.add(km)
            return km

    return _Client


def notebook_client(nb, *, cwd: Path, prefix: str | Path, kernels: _Kernels | None = None,
                    timeout: int = DEFAULT_CELL_TIMEOUT, **options):
    """An nbclient client for ``nb`` as the runner makes them: its kernel runs in ``cwd``, with its
    connection file and IPC sockets at ``prefix`` (``<prefix>.json``, ``<prefix>-ipc-*``) and its
    manager registered in ``kernels`` (a new registry when None). ``options`` go to nbclient."""
    client = _client_class()(nb, timeout=timeout, kernel_name="python3",
                             resources={"metadata": {"path": str(cwd)}}, **options)
    client.mlcourse_prefix = str(prefix)
    client.mlcourse_kernels = _Kernels() if kernels is None else kernels
    return client


def execute_notebook(path: Path, *, fast: bool, out_path: Path, progress: _Progress,
                     cell_timeout: int = DEFAULT_CELL_TIMEOUT, threads: int | None = None,
                     folder: Path | None = None, stop: threading.Event | None = None,
                     kernels: _Kernels | None = None, run_info: dict | None = None) -> NotebookRun:
    """Execute one notebook into ``out_path`` and write its results file.

    Never raises for a failing notebook: the returned run says ``"failed"``
    with the cell and the error. When ``stop`` is set while it runs (Ctrl-C),
    the run is ``"interrupted"`` and nothing is written.
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    stop = stop or threading.Event()
    kernels = kernels or _Kernels()
    own_folder = folder is None
    folder = Path(folder or make_run_folder())
    mode = "fast" if fast else "full"
    run = NotebookRun(path=path)
    name = path.stem
    nb = read_notebook(path)
    hashed = source_hash(nb)
    results_file = folder / f"{name}.{mode}.results.json"
    current = {"index": 0}
    started = time.monotonic()

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index
        progress.cell(name, cell_index)

    client = notebook_client(nb, cwd=path.parent.resolve(), prefix=folder / f"kernel-{name}", kernels=kernels,
                             timeout=cell_timeout, record_timing=False, on_cell_start=on_cell_start)
    progress.start(name, len(nb.cells), mode)
    try:
        client.execute(env=kernel_environment(name, fast, results_file, threads))
        run.status = "ok"
    except CellExecutionError as err:
        run.status, run.error = "failed", f"{err.ename}: {err.evalue}".strip()
    except CellTimeoutError:
        run.status, run.error = "failed", f"cell timed out after {cell_timeout} s; raise --timeout"
    except DeadKernelError as err:
        run.status, run.error = "failed", f"kernel died ({err}); out of memory? try --jobs 1"
    except Exception as err:  # noqa: BLE001 - any failure of one notebook must not stop the others
        run.status, run.error = "failed", f"{type(err).__name__}: {err}"
    run.seconds = time.monotonic() - started
    if stop.is_set():
        run.status, run.error = "interrupted", "interrupted by the user (Ctrl-C)"
    if run.status != "ok":
        run.failed_cell = current["index"] + 1
    if run.status == "interrupted":
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)
        return run
    try:
        run.metrics = [r for r in load_records(results_file) if r.get("mode") == mode]
    except ResultsError as err:
        run.status, run.error = "failed", str(err)
    try:
        write_run_results(name, mode, run.metrics, status=run.status, seconds=run.seconds,
                          failed_cell=run.failed_cell, error=run.error, source_hash=hashed, run=run_info)
        clean_outputs(nb)
        stamp(nb, mode)
        write_notebook(nb, out_path)
        run.output = out_path
    except OSError as err:
        run.status, run.error = "failed", f"could not write the results ({err}); make build/ writable"
    if own_folder:
        shutil.rmtree(folder, ignore_errors=True)
    return run


# --------------------------------------------------------------------------- many notebooks


@dataclass
class RunReport:
    """What :func:`run_notebooks` did."""

    runs: list[NotebookRun]
    interrupted: bool = False
    wall_seconds: float = 0.0
    jobs: int = 1
    threads: int = 1


def start_order(paths: list[Path], mode: str) -> list[int]:
    """Indices of ``paths``, longest run first, by each notebook's last recorded time in ``mode``.

    With several notebooks at once the longest ones start first, so no long notebook starts
    last beside an idle core (longest-processing-time-first). The time is the notebook's last
    run in ``build/results/``; a fresh clone has none, so in full mode the median time of its
    committed seed study (``benchmarks/spreads/``, full runs) stands in. In fast mode, unless
    every notebook has a fast run recorded, the full-mode times rank them instead: a rough stand-in
    (08 has the longest fast run, but is third in full mode, after 03 and 01). A
    notebook with no time at all starts first, as if it were the longest. Ties keep the given
    order. Only the start order changes: every kernel is independent, so the numbers do not.
    """
    def seconds(path: Path, mode: str) -> float:
        try:
            data = json.loads(run_results_path(path.stem, mode).read_text(encoding="utf-8"))
            value = float(data["seconds"])
            if value >= 0:
                return value
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if mode == "full":
            study = config.project_root() / "benchmarks" / "spreads" / f"{path.stem}.json"
            try:
                runs = sorted(float(r["seconds"]) for r in json.loads(study.read_text(encoding="utf-8"))["runs"])
                if runs:
                    return runs[len(runs) // 2]
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return float("inf")

    known = [seconds(p, mode) for p in paths]
    if mode == "fast" and float("inf") in known:
        known = [seconds(p, "full") for p in paths]
    return sorted(range(len(paths)), key=lambda i: -known[i])


def run_notebooks(paths: list[Path], *, fast: bool, in_place: bool, out_dir: Path, jobs: int = 1,
                  threads: int | None = None, cell_timeout: int = DEFAULT_CELL_TIMEOUT,
                  stream=None) -> RunReport:
    """Execute the notebooks, ``jobs`` at a time; keep going after failures; stop cleanly on Ctrl-C.

    Parameters
    ----------
    paths : list of pathlib.Path
        The notebooks: run in this order one at a time; with ``jobs`` > 1 the longest
        (by their last recorded time, see :func:`start_order`) start first.
    fast : bool
        Fast mode.
    in_place : bool
        Write the outputs back into the notebooks (only those that succeed).
    out_dir : pathlib.Path
        Folder of the executed notebooks (the staging folder with ``in_place``).
    jobs : int
        Notebooks at once.
    threads : int, optional
        Threads per kernel (default :func:`default_threads`).
    cell_timeout : int
        Per-cell limit in seconds.
    stream : file, optional
        Where progress goes (default stderr).

    Returns
    -------
    RunReport
        One :class:`NotebookRun` per notebook, in the order given.
    """
    threads = threads or default_threads()
    jobs = max(1, min(jobs, len(paths)))
    mode = "fast" if fast else "full"
    progress = _Progress(len(paths), stream)
    stop = threading.Event()
    kernels = _Kernels()
    folder = make_run_folder()
    run_info = {"id": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds") + f"/{os.getpid()}",
                "jobs": jobs, "threads": threads, "machine": machine_info()}
    todo: queue.Queue = queue.Queue()
    for index in start_order(paths, mode) if jobs > 1 else range(len(paths)):
        todo.put((index, paths[index]))
    done: queue.Queue = queue.Queue()
    runs: list[NotebookRun] = [NotebookRun(path=p) for p in paths]

    def worker() -> None:
        while not stop.is_set():
            try:
                index, path = todo.get_nowait()
            except queue.Empty:
                return
            target = path if in_place else out_dir / path.name
            staging = out_dir / path.name   # in place: the committed notebook changes only on success
            try:
                run = execute_notebook(path, fast=fast, out_path=staging, progress=progress,
                                       cell_timeout=cell_timeout, threads=threads, folder=folder,
                                       stop=stop, kernels=kernels, run_info=run_info)
                if run.status == "ok" and in_place:
                    write_notebook(read_notebook(staging), target)
                    run.output = target
            except (OSError, NotANotebookError) as err:
                run = NotebookRun(path=path, status="failed", error=str(err))
            done.put((index, run))

    started = time.monotonic()
    threads_ = [threading.Thread(target=worker, name=f"mlcourse-run-{i}", daemon=True) for i in range(jobs)]
    for thread in threads_:
        thread.start()
    finished = 0
    interrupted = False

    def collect(index: int, run: NotebookRun) -> None:
        runs[index] = run
        if run.status == "interrupted":
            progress.end(run.path.stem, f"{run.path.stem}: interrupted after {run.seconds:.0f} s; "
                                        "nothing written")
            return
        where = f" -> {run.output}" if run.output else ""
        detail = f" at cell {run.failed_cell}: {run.error}" if run.status != "ok" else ""
        progress.end(run.path.stem, f"{run.path.stem}: {run.status} in {run.seconds:.1f} s{detail}{where}")

    try:
        while finished < len(paths) and any(t.is_alive() for t in threads_) or not done.empty():
            try:
                index, run = done.get(timeout=1.0)
            except queue.Empty:
                progress.tick()
                continue
            collect(index, run)
            finished += 1
    except KeyboardInterrupt:
        interrupted = True
        stop.set()
        progress.say("interrupted: stopping the kernels (nothing half-written is kept) ...")
        deadline = time.monotonic() + 60
        while any(t.is_alive() for t in threads_) and time.monotonic() < deadline:
            try:
                kernels.kill_all()
                for thread in threads_:
                    thread.join(timeout=0.5)
            except KeyboardInterrupt:
                continue   # a second Ctrl-C: keep stopping
        while not done.empty():
            collect(*done.get_nowait())
    finally:
        kernels.kill_all()
        shutil.rmtree(folder, ignore_errors=True)
    report = RunReport(runs=runs, interrupted=interrupted, wall_seconds=time.monotonic() - started,
                       jobs=jobs, threads=threads)
    if not interrupted:
        record_timings(report, mode, run_info)
    return report


def record_timings(report: RunReport, mode: str, run_info: dict) -> Path:
    """Write the run to ``build/timings.json`` under ``mode``: wall time, each notebook's time, machine.

    A corrupt or old-format ``timings.json`` is replaced.
    """
    path = config.project_root() / "build" / "timings.json"
    try:
        timings = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        timings = {}   # reported before the run by preflight(); replaced now
    if not isinstance(timings, dict):
        timings = {}
    timings[mode] = {
        "id": run_info["id"],
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(report.wall_seconds, 1),
        "jobs": report.jobs, "threads_per_kernel": report.threads, "machine": run_info["machine"],
        "notebooks": {r.path.stem: {"status": r.status, "seconds": round(r.seconds, 1)} for r in report.runs},
    }
    timings = {k: v for k, v in timings.items() if isinstance(v, dict) and "notebooks" in v}
    atomic_write_text(path, json.dumps(timings, indent=2, sort_keys=True) + "\n")
    return path


def preflight(paths: list[Path], mode: str, out_dir: Path) -> tuple[list[str], list[str]]:
    """Check, before any notebook runs, that the run can record what it does.

    Returns
    -------
    errors, warnings : list of str
        Errors stop the run (an unwritable ``build/`` or output folder);
        warnings name corrupt results or timing files and say what happens to them.
    """
    errors, warnings = [], []
    build = config.project_root() / "build"
    for folder, what in ((results_dir(), "results"), (Path(out_dir), "executed notebooks")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
                pass
        except OSError as err:
            errors.append(f"cannot write the {what} to {folder} ({err.strerror or err}); make it writable "
                          f"(chmod -R u+w {folder}) or remove it (make clean), then run again")
    if errors:
        return errors, warnings
    for folder in (results_dir(), Path(out_dir), build):
        remove_stale_temporaries(folder, older_than=60)
    running = {p.stem for p in paths}
    replaced = {f"{name}.{mode}.json" for name in running}
    for path, problem in check_results_files():
        fate = ("this run replaces it" if path.name in replaced
                else "`python -m mlcourse readme` refuses to use it until then")
        warnings.append(f"{problem} ({fate})")
    timings = build / "timings.json"
    if timings.exists():
        try:
            json.loads(timings.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            warnings.append(f"{timings} is not readable JSON ({err}); this run replaces it")
    legacy = build / "results.json"
    if legacy.exists():
        warnings.append(f"{legacy} is the old single results file; it is no longer read or written "
                        f"(results are now in {results_dir()}/<notebook>.<mode>.json); delete it")
    return errors, warnings


# --------------------------------------------------------------------------- closing table


def format_table(runs: list[NotebookRun]) -> str:
    """The closing table: notebook, status, wall time, then each metric with bar and coursework value.

    A notebook that failed gets a line ``error: cell N: ...`` under it.
    """
    rows = [("notebook", "status", "time", "metric", "value", "bar", "coursework")]
    errors = {}
    for run in runs:
        first = (run.path.stem, run.status, f"{run.seconds:6.1f} s")
        metrics = [r for r in run.metrics if r.get("kind") != "claim"]
        claims = [r for r in run.metrics if r.get("kind") == "claim"]
        lines_of_run = []
        for rec in metrics:
            coursework = f"{rec['coursework']:.4g}" if rec.get("coursework") is not None else ""
            flag = "" if rec.get("passed") else "  MISSED"
            note = f" ({rec['note']})" if rec.get("note") else ""
            lines_of_run.append((rec["metric"], f"{rec['value']:.4g}{flag}", rec["bar"] + note, coursework))
        if claims:
            false = sum(not r.get("holds") for r in claims)
            text = f"{len(claims) - false} hold" + (f", {false} false" if false else "")
            lines_of_run.append(("claims", text, "", ""))
        if not lines_of_run:
            lines_of_run.append(("", "", "", ""))
        for i, row in enumerate(lines_of_run):
            rows.append((first if i == 0 else ("", "", "")) + row)
        if run.status == "failed":
            errors[len(rows) - 1] = f"  error: cell {run.failed_cell}: {run.error}"
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
        if k in errors:
            lines.append(errors[k])
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def parse_jobs(value: str) -> int | str:
    """``--jobs`` values: ``auto`` or a positive integer (argparse type)."""
    import argparse

    if value.strip().lower() in ("auto", "0", ""):
        return "auto"
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive integer, got {value!r}")
    return int(value)


def add_arguments(parser) -> None:
    """The options of ``python -m mlcourse run`` (the parser is built in :mod:`mlcourse.tools.cli`)."""
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--fast", action="store_true", help="fast mode (MLCOURSE_FAST=1): small, quick runs")
    parser.add_argument("--in-place", action="store_true",
                        help="write outputs back into the notebooks (the committed reference outputs)")
    parser.add_argument("--out", default=None, help="folder for executed notebooks (default: build/executed)")
    parser.add_argument("--jobs", type=parse_jobs, default="auto",
                        help="notebooks run at once: auto (default: one per core, memory permitting) or N")
    parser.add_argument("--threads", type=int, default=None,
                        help=f"threads per kernel (default: {THREADS_ENV}, else cores / automatic jobs); "
                             "keep it fixed to compare numbers between runs")
    parser.add_argument("--timeout", type=int, default=DEFAULT_CELL_TIMEOUT,
                        help=f"per-cell time limit in seconds (default {DEFAULT_CELL_TIMEOUT})")


def run_command(args) -> int:
    """``python -m mlcourse run``: returns 0, 1 (a notebook failed), 2 (bad input) or 130 (Ctrl-C)."""
    if args.in_place and args.fast:
        print("error: --in-place refreshes the committed reference outputs, which must come from "
              "full mode; drop --fast (or drop --in-place to try fast mode into build/)", file=sys.stderr)
        return 2
    if args.threads is not None and args.threads < 1:
        print(f"error: --threads must be a positive integer, got {args.threads}", file=sys.stderr)
        return 2
    try:
        paths = find_notebooks(args.notebooks)
        threads = args.threads or default_threads()
    except (NotANotebookError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not paths:
        print("error: no notebooks found in notebooks/; give notebook paths explicitly", file=sys.stderr)
        return 2
    mode = "fast" if args.fast else "full"
    out_dir = Path(args.out) if args.out else config.project_root() / "build" / "executed"
    errors, warnings = preflight(paths, mode, out_dir)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        return 2
    jobs = auto_jobs(len(paths)) if args.jobs == "auto" else args.jobs
    print(f"mlcourse run: {len(paths)} notebook{'s' if len(paths) != 1 else ''} in {mode} mode, "
          f"{min(jobs, len(paths))} at a time, {threads} thread{'s' if threads != 1 else ''} per kernel",
          file=sys.stderr, flush=True)
    report = run_notebooks(paths, fast=args.fast, in_place=args.in_place, out_dir=out_dir, jobs=jobs,
                           threads=threads, cell_timeout=args.timeout)
    print()
    print(format_table(report.runs))
    if report.interrupted:
        done = [r for r in report.runs if r.status in ("ok", "failed")]
        print(file=sys.stderr)
        print(f"interrupted after {report.wall_seconds:.0f} s. Finished: "
              + (", ".join(f"{r.path.stem} ({r.status})" for r in done) or "none")
              + ". Stopped: " + (", ".join(r.path.stem for r in report.runs if r.status == "interrupted")
                                 or "none")
              + ". Not started: " + (", ".join(r.path.stem for r in report.runs if r.status == "not run")
                                     or "none")
              + ". The stopped and unstarted notebooks keep their previous files.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"\nwall time {report.wall_seconds:.1f} s ({report.jobs} at a time, {report.threads} "
          f"thread{'s' if report.threads != 1 else ''} per kernel); timings in build/timings.json")
    failed = [r for r in report.runs if r.status != "ok"]
    if failed:
        print(file=sys.stderr)
        for run in failed:
            where = f"cell {run.failed_cell}" if run.failed_cell else "before the first cell"
            print(f"FAILED {run.path}: {where}: {run.error}", file=sys.stderr)
            if run.output:
                print(f"       the executed notebook with the traceback is {run.output}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m mlcourse`` (kept here for old callers; see :mod:`mlcourse.tools.cli`)."""
    from .tools.cli import main as cli_main

    return cli_main(argv)
