"""Start-up for every notebook: seeds, determinism, a quiet TensorFlow, fast mode, paths.

Every notebook begins with::

    import mlcourse.config
    cfg = mlcourse.config.start(seed=0)

and only then imports Keras or TensorFlow. :func:`start` must run first because
TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` and ``TF_ENABLE_ONEDNN_OPTS`` once, when
it is imported.

Choices made here (see also the README):

* ``TF_ENABLE_ONEDNN_OPTS=0``: oneDNN's fused kernels change floating-point
  summation order, so the same seed gave different numbers depending on whether
  it was on. We pin it off everywhere (reference runs, nbval, CI) so that one
  seed on one machine always gives the same numbers. A value already set in the
  environment is respected, and reported.
* Fast mode (``MLCOURSE_FAST=1``, set by ``make test`` and CI) shrinks epochs,
  trial counts and data sizes through :meth:`Config.epochs`, :meth:`Config.size`
  and :meth:`Config.pick`; notebooks never test the flag themselves.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, TypeVar

T = TypeVar("T")

#: Environment variable that turns on fast mode.
FAST_ENV = "MLCOURSE_FAST"
#: Environment variable the runner sets to the notebook being executed.
NOTEBOOK_ENV = "MLCOURSE_NOTEBOOK"
#: Environment variable that tells a kernel where to record its results (set by the runner, nbval and grading).
RESULTS_ENV = "MLCOURSE_RESULTS"
#: Environment variable of a seed study (``benchmarks/seed_spread.py``): replaces the seed given to :func:`start`.
SEED_ENV = "MLCOURSE_SEED"
#: Set to ``stop`` by the runner: a false :func:`mlcourse.results.claim` stops the run (elsewhere it only says so).
CLAIMS_ENV = "MLCOURSE_CLAIMS"

_FALSE = {"", "0", "false", "no", "off"}


class ProjectNotFound(RuntimeError):
    """The project folder (``data/``, ``notebooks/``) cannot be found; the message says how to point to it."""


def _is_project(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "src" / "mlcourse").is_dir()


def _installed_from() -> Path | None:
    """The checkout a non-editable ``pip install /path/to/mlcourse`` was made from, if it still exists.

    pip records it in the installed distribution's ``direct_url.json`` (PEP 610).
    """
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    try:
        text = metadata.distribution("mlcourse").read_text("direct_url.json")
        url = json.loads(text or "{}").get("url", "")
    except (metadata.PackageNotFoundError, ValueError, AttributeError):
        return None
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    folder = Path(url2pathname(unquote(parsed.path)))
    return folder.resolve() if _is_project(folder) else None


def project_root() -> Path:
    """Return the project folder, the one holding ``pyproject.toml``, ``data/`` and ``notebooks/``.

    In this order: ``MLCOURSE_ROOT`` when set; the checkout this package runs
    from (an editable install, ``pip install -e .``, or ``src/`` on the path);
    the checkout a non-editable install was made from (pip's
    ``direct_url.json``). Never the working directory, which would find (or
    miss) data by accident.

    Raises
    ------
    ProjectNotFound
        When none of these gives a project folder; the message says how to set one.
    """
    override = os.environ.get("MLCOURSE_ROOT")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if _is_project(parent):
            return parent
    installed = _installed_from()
    if installed is not None:
        return installed
    raise ProjectNotFound(
        f"mlcourse runs from {here.parent}, which is not inside the project folder (the one with "
        "data/ and notebooks/), and no checkout is recorded for this install. Point to the project: "
        "set MLCOURSE_ROOT=/path/to/mlcourse before starting Jupyter, or install it editable from "
        "the project folder: python -m pip install -e /path/to/mlcourse")


def is_fast() -> bool:
    """True when ``MLCOURSE_FAST`` is set to anything but 0/false/no/off."""
    return os.environ.get(FAST_ENV, "").strip().lower() not in _FALSE


def data_dir() -> Path:
    """The project's ``data/`` folder."""
    return project_root() / "data"


def build_dir() -> Path:
    """The project's ``build/`` folder (created on demand)."""
    path = project_root() / "build"
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebook_name() -> str:
    """Name of the running notebook, without folder or ``.ipynb``.

    Taken from ``MLCOURSE_NOTEBOOK`` (set by the runner and by the nbval
    conftest), else from ``JPY_SESSION_NAME`` (set by Jupyter Server), else
    ``"interactive"``.
    """
    for var in (NOTEBOOK_ENV, "JPY_SESSION_NAME"):
        value = os.environ.get(var)
        if value:
            name = Path(value).name
            return name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    return "interactive"


@dataclass
class Config:
    """What :func:`start` returns: mode, seed, paths and size helpers.

    Attributes
    ----------
    seed : int
        The seed given to :func:`start`.
    fast : bool
        True in fast mode.
    root, data, build : pathlib.Path
        Repository root, ``data/`` and ``build/``.
    rng : numpy.random.Generator
        A generator seeded with ``seed``, for notebook-level randomness.
    notebook : str
        Name under which :func:`mlcourse.results.expect` records results.
    """

    seed: int
    fast: bool
    root: Path
    data: Path
    build: Path
    notebook: str
    rng: Any = field(repr=False)

    @property
    def mode(self) -> str:
        """``"fast"`` or ``"full"``."""
        return "fast" if self.fast else "full"

    def pick(self, full: T, fast: T) -> T:
        """Return ``full`` in full mode and ``fast`` in fast mode.

        Example
        -------
        >>> cfg.pick([1e-4, 1e-3, 1e-2], [1e-3])  # doctest: +SKIP
        """
        return fast if self.fast else full

    def epochs(self, full: int, fast: int | None = None) -> int:
        """Number of epochs: ``full``, or in fast mode ``fast`` (default: a tenth, at least 1)."""
        return self._scaled(full, fast, "epochs")

    def size(self, full: int, fast: int | None = None) -> int:
        """A data size or trial count: ``full``, or in fast mode ``fast`` (default: a tenth, at least 1)."""
        return self._scaled(full, fast, "size")

    def trials(self, full: int, fast: int | None = None) -> int:
        """A number of repetitions (seeds, simulation trials); same rule as :meth:`size`."""
        return self._scaled(full, fast, "trials")

    def _scaled(self, full: int, fast: int | None, what: str) -> int:
        if not isinstance(full, (int,)) or isinstance(full, bool) or full < 1:
            raise ValueError(f"{what}: expected a positive integer for full mode, got {full!r}")
        if fast is not None and (not isinstance(fast, int) or isinstance(fast, bool) or fast < 1):
            raise ValueError(f"{what}: expected a positive integer for fast mode, got {fast!r}")
        if not self.fast:
            return full
        return fast if fast is not None else max(1, math.ceil(full / 10))

    def progress(self, iterable: Iterable[T], desc: str | None = None, total: int | None = None) -> Iterable[T]:
        """Wrap ``iterable`` in a plain-text tqdm progress bar.

        Text (not a Jupyter widget) so that it renders the same in Jupyter, in
        HTML and PDF exports, and on a terminal; the runner keeps only the final
        state of the bar in saved outputs.
        """
        from tqdm.std import tqdm

        return tqdm(iterable, desc=desc, total=total, file=sys.stderr, ascii=True,
                    mininterval=0.5, dynamic_ncols=False, ncols=80)


@contextlib.contextmanager
def _silence_fd2():
    """Send OS-level stderr to /dev/null (TensorFlow's C++ start-up chatter)."""
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover - a closed stream is fine here
        pass
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (rare embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _pin_environment() -> list[str]:
    """Set TensorFlow's environment before it loads; return notes for the report."""
    notes = []
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    onednn = os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    if onednn != "0":
        notes.append(f"TF_ENABLE_ONEDNN_OPTS={onednn} (reference outputs use 0; numbers may differ slightly)")
    if "tensorflow" in sys.modules and not getattr(_pin_environment, "_warned", False):
        notes.append("TensorFlow was imported before mlcourse.config.start(); restart the kernel "
                     "and run the first cell first for clean, reproducible output")
        _pin_environment._warned = True  # type: ignore[attr-defined]
    return notes


#: First threshold of CPython's cyclic garbage collector in a kernel (its default is 700): see
#: :func:`collect_garbage_less_often`.
GC_THRESHOLD = 10_000


def collect_garbage_less_often(*, freeze: bool = False) -> None:
    """Spend less CPU on Python's cyclic garbage collector; no result changes.

    Importing TensorFlow and Keras creates about 400,000 Python objects. With CPython's default
    thresholds (700, 10, 10) the collector then runs about a thousand times during the import
    and again during a run, each time walking objects that live until the kernel ends. Measured
    here with ``gc.callbacks`` (``import keras, matplotlib.pyplot, pandas, sklearn.metrics``):
    1.2-2.0 s of a 5.7-8.8 s import is collection, 0.4-0.5 s with a first threshold of 10,000;
    over a whole fast-mode run of notebook 03 or 06, 2.8-4.5 s of collection fall to 0.8-1.2 s.

    The first threshold goes up to :data:`GC_THRESHOLD` (the collector still runs, every 10,000
    net allocations instead of 700). With ``freeze=True`` (:func:`start` passes it after
    importing TensorFlow, once per process) the objects alive at that moment, the imported
    modules almost all, move to the collector's permanent generation (:func:`gc.freeze`), so that
    no later collection walks them again, nor the full one when the kernel shuts down. Only the
    first call freezes: a later one would also freeze a student's own objects (models, arrays)
    and keep them after they become garbage.
    """
    first, *rest = gc.get_threshold()
    if first < GC_THRESHOLD:
        gc.set_threshold(GC_THRESHOLD, *rest)
    if freeze and not getattr(collect_garbage_less_often, "_frozen", False):
        gc.freeze()
        collect_garbage_less_often._frozen = True  # type: ignore[attr-defined]


def _load_tensorflow():
    with _silence_fd2():
        import tensorflow as tf
        import keras

        tf.config.list_physical_devices("GPU")  # triggers (and hides) CUDA probing
    return tf, keras


def seed_everything(seed: int, *, tensorflow: bool = True) -> None:
    """Seed Python, NumPy and Keras/TensorFlow, and make TensorFlow ops deterministic.

    With ``tensorflow=False`` only Python's ``random`` and NumPy's global generator are
    seeded, and TensorFlow is not imported (see :func:`start`).
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    if not tensorflow:
        import numpy as np

        np.random.seed(seed)
        return
    _pin_environment()
    tf, keras = _load_tensorflow()
    keras.utils.set_random_seed(seed)  # seeds python, numpy and the TF backend
    tf.config.experimental.enable_op_determinism()


def start(seed: int = 0, *, notebook: str | None = None, quiet: bool = False,
          tensorflow: bool = True) -> Config:
    """Prepare a notebook: pin TensorFlow's environment, seed everything, read the mode.

    It also makes Python's garbage collector cheaper for a kernel that holds TensorFlow
    (:func:`collect_garbage_less_often`); no result depends on it.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy and Keras/TensorFlow.
    notebook : str, optional
        Name to record results under; defaults to :func:`notebook_name`.
    quiet : bool
        Do not print the one-line report.
    tensorflow : bool
        Load, seed and make deterministic TensorFlow/Keras (the default). ``False`` is for a
        notebook that never imports Keras or TensorFlow (07): it seeds Python's ``random`` and
        NumPy's global generator only and saves the TensorFlow import, several CPU-seconds per
        kernel. Such a notebook that imports Keras later gets an unseeded, non-deterministic one.

    Returns
    -------
    Config
        Mode, seed, paths and size helpers.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.

    Example
    -------
    >>> cfg = start(seed=0)                     # doctest: +SKIP
    mlcourse: full mode, seed 0, TensorFlow 2.21.0 / Keras 3.15.1, CPU
    >>> cfg.epochs(60)                          # doctest: +SKIP
    60
    """
    import numpy as np

    collect_garbage_less_often()
    notes = _pin_environment()
    override = os.environ.get(SEED_ENV, "").strip()
    if override:
        if not override.isdigit():
            raise ValueError(f"{SEED_ENV}={override!r} is not a non-negative integer; unset it "
                             "(only benchmarks/seed_spread.py sets it)")
        notes.append(f"seed {override} from {SEED_ENV} (a seed study) instead of {seed}")
        seed = int(override)
    seed_everything(seed, tensorflow=tensorflow)
    if tensorflow:
        tf, keras = _load_tensorflow()
    _configure_matplotlib()
    if tensorflow:
        collect_garbage_less_often(freeze=True)   # the modules TensorFlow brought in stay put
    root = project_root()
    cfg = Config(
        seed=seed,
        fast=is_fast(),
        root=root,
        data=root / "data",
        build=root / "build",
        notebook=notebook or notebook_name(),
        rng=np.random.default_rng(seed),
    )
    if not quiet and tensorflow:
        device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        print(f"mlcourse: {cfg.mode} mode, seed {seed}, TensorFlow {tf.__version__} / "
              f"Keras {keras.__version__}, {device}")
    elif not quiet:
        print(f"mlcourse: {cfg.mode} mode, seed {seed}, NumPy {np.__version__} (no TensorFlow: "
              "this notebook does not use it)")
    if not quiet:
        for note in notes:
            print(f"  note: {note}")
    return cfg


def _configure_matplotlib() -> None:
    """Readable, export-friendly figure defaults (PNG at a fixed size and dpi)."""
    try:
        import matplotlib as mpl
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return
    mpl.rcParams.update({
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
