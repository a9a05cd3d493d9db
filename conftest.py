"""pytest set-up shared by the unit tests and nbval.

* Fast mode is the default under pytest (``make test`` also sets it).
* Each kernel gets the runner's threads per kernel (``MLCOURSE_THREADS`` and
  the TensorFlow/OpenMP/BLAS variables of :func:`mlcourse.runner.thread_environment`),
  so nbval computes as ``make run``, ``make lab`` and the ``Python (mlcourse)`` kernel do;
  with pytest-xdist every worker's kernels get the same setting.
* Each notebook's kernel learns its notebook's name, and records its results in
  ``build/results/nbval/<notebook>.json`` (apart from the runner's files, never published).
* The TensorFlow settings match the runner's, so nbval sees the same outputs
  as the committed reference run. nbval sends its kernels' stderr to
  /dev/null, so ipykernel's "running over TCP" warning never shows.
* The workers, which import TensorFlow for the unit tests, collect garbage as seldom as
  the notebooks' kernels do (:func:`mlcourse.config.collect_garbage_less_often`).
* Longest first: the assignment round trip (one module-scoped chain of nbgrader runs), then the
  runner's tests (they mostly wait: on kernels starting, on a Ctrl-C after a sleep), then the
  notebooks, then the other unit tests, so that with pytest-xdist (``--dist loadfile``) the
  longest chains start at once instead of last and the waiting overlaps the round trip's
  computing instead of ending the run beside an idle core (the order of test files changes
  nothing else).
"""

import os

import pytest

from mlcourse import config
from mlcourse.runner import default_threads, thread_environment

os.environ.setdefault("MLCOURSE_FAST", "1")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["PYTHONHASHSEED"] = "0"
os.environ.pop("MPLBACKEND", None)  # Agg would remove figure outputs from nbval's kernels
os.environ.pop("JPY_SESSION_NAME", None)
os.environ.update(thread_environment(default_threads()))
config.collect_garbage_less_often()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts, tell it which notebook it runs and where to record."""
    path = getattr(item, "path", None)
    if path is not None and str(path).endswith(".ipynb"):
        os.environ[config.NOTEBOOK_ENV] = path.stem
        os.environ[config.RESULTS_ENV] = str(config.project_root() / "build" / "results" / "nbval"
                                             / f"{path.stem}.json")


def _start_rank(item) -> int:
    path = str(getattr(item, "path", ""))
    if path.endswith("test_roundtrip.py"):
        return 0
    if path.endswith("test_runner.py"):
        return 1
    return 2 if path.endswith(".ipynb") else 3


def pytest_collection_modifyitems(session, config, items):
    """Longest chains first (see the module docstring); a stable sort keeps each file's own order."""
    items.sort(key=_start_rank)
