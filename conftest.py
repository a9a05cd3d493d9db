"""pytest set-up shared by the unit tests and nbval.

* Fast mode is the default under pytest (``make test`` also sets it).
* Each notebook's kernel learns its notebook's name (for ``expect`` records).
* The TensorFlow settings match the runner's, so nbval sees the same outputs
  as the committed reference run.
"""

import os

import pytest

os.environ.setdefault("MLCOURSE_FAST", "1")
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["PYTHONHASHSEED"] = "0"
os.environ.pop("MPLBACKEND", None)  # Agg would remove figure outputs from nbval's kernels


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts, tell it which notebook it runs."""
    path = getattr(item, "path", None)
    if path is not None and str(path).endswith(".ipynb"):
        os.environ["MLCOURSE_NOTEBOOK"] = path.stem
