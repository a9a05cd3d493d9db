"""Sampled curves a*sin(b*x) + c*cos(d*x) and the parameters (a, b, c, d) that made them.

The exercise reads six ``.npy`` files with ``np.load``; :func:`prepare` writes
them into ``data/sine/`` (gitignored) the first time and checks them every
time after:

=================================  ===============  =============================
file                               shape            content
=================================  ===============  =============================
``sinewaves_X_train.npy``          (10000, 1000)    curves sampled at 1000 points
``sinewaves_y_train.npy``          (10000, 4)       their (a, b, c, d), U[0, 1]
``sinewaves_X_test.npy``           (2000, 1000)     same rule, new draws
``sinewaves_y_test.npy``           (2000, 4)
``sinewaves_X_extended_test.npy``  (9, 1000)        hand-picked parameters,
``sinewaves_y_extended_test.npy``  (9, 4)           several outside [0, 1]
=================================  ===============  =============================

The 1000 sample points are equally spaced on [0, 10*pi], ends included. All
arrays are float32. Generation is seeded, so a fresh clone rebuilds the same
parameters; the curves may differ from another machine's in the last bit of
``sin``, so the files are checked by content (every row of X must equal the
curve of its row of y) rather than by a hash in ``data/MANIFEST``.

:func:`random_curves` draws new curves by the same rule, for training on
fresh curves instead of the stored ones (the files stay what they are).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import config
from ._io import atomic_write
from .manifest import DataError, load_npy

SOURCE = ("generated: curves a*sin(b*x) + c*cos(d*x) at 1000 points on [0, 10*pi], "
          "a, b, c, d ~ U[0, 1] (extended test: 9 hand-picked parameter sets) "
          "(mlcourse.data.sine_waves, files in data/sine/)")

#: Number of sample points per curve.
N_POINTS = 1000
#: Rows in each split.
SIZES = {"train": 10_000, "test": 2_000, "extended_test": 9}
#: Parameters of the extended test rows: zero, larger, and negative amplitudes and frequencies.
EXTENDED_PARAMS = np.array([
    [0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1],
    [-1, 1, 0, 0], [0, 0, -1, 1], [2, 1, 0, 0],
    [1, 2, 0, 0], [0, 0, 2, 1], [0, 0, 1, 2],
], dtype=np.float32)
#: Largest difference allowed between a stored curve and the curve rebuilt from its parameters.
TOLERANCE = 1e-4

_FIX = "delete data/sine/ and run `make data` (or call mlcourse.data.sine_waves.prepare()) to regenerate it"


def sample_points(n_points: int = N_POINTS) -> np.ndarray:
    """The x values the curves are sampled at: ``n_points`` equally spaced on [0, 10*pi]."""
    if not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
    return np.linspace(0.0, 10.0 * np.pi, int(n_points))


def sine_curves(params, n_points: int = N_POINTS) -> np.ndarray:
    """Evaluate a*sin(b*x) + c*cos(d*x) for each row (a, b, c, d) of ``params``.

    Parameters
    ----------
    params : array-like of shape (n, 4)
        One parameter set per row.
    n_points : int
        Sample points on [0, 10*pi].

    Returns
    -------
    ndarray of shape (n, n_points), float64

    Raises
    ------
    ValueError
        If ``params`` is not ``(n, 4)`` or holds non-finite values.

    Example
    -------
    >>> sine_curves([[0.0, 0.3, 2.0, 0.0]], n_points=3).tolist()   # 2*cos(0) everywhere
    [[2.0, 2.0, 2.0]]
    """
    params = np.asarray(params, dtype=np.float64)
    if params.ndim != 2 or params.shape[1] != 4:
        raise ValueError(f"params must have shape (n, 4) holding (a, b, c, d), got {params.shape}")
    if not np.all(np.isfinite(params)):
        raise ValueError("params must be finite numbers")
    x = sample_points(n_points)
    a, b, c, d = (params[:, [k]] for k in range(4))
    return a * np.sin(b * x) + c * np.cos(d * x)


def random_curves(n: int, rng: np.random.Generator, n_points: int = N_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` fresh curves by the training files' rule: (a, b, c, d) ~ U[0, 1].

    The data are noise-free and this rule is all there is to them, so a
    training loop may draw new curves for every batch instead of reusing the
    10,000 stored ones (notebook 02 does).

    Parameters
    ----------
    n : int
        Number of curves, >= 1.
    rng : numpy.random.Generator
        Source of the draws (pass a seeded one for reproducible batches).
    n_points : int
        Sample points on [0, 10*pi].

    Returns
    -------
    X : ndarray of shape (n, n_points), float32
        The curves, as in ``sinewaves_X_train.npy``.
    y : ndarray of shape (n, 4), float32
        Their (a, b, c, d), as in ``sinewaves_y_train.npy``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or ``rng`` is not a NumPy Generator.

    Example
    -------
    >>> X, y = random_curves(3, np.random.default_rng(0))
    >>> X.shape, y.shape, X.dtype.name
    ((3, 1000), (3, 4), 'float32')
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    y = rng.uniform(0.0, 1.0, size=(int(n), 4)).astype(np.float32)
    return sine_curves(y, n_points).astype(np.float32), y


def generate(seed: int = 0) -> dict[str, np.ndarray]:
    """Make all six arrays in memory (float32), keyed by file stem, e.g. ``"X_train"``.

    Example
    -------
    >>> arrays = generate()                       # doctest: +SKIP
    >>> arrays["X_train"].shape                   # doctest: +SKIP
    (10000, 1000)
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for split in ("train", "test"):
        params = rng.uniform(0.0, 1.0, size=(SIZES[split], 4)).astype(np.float32)
        arrays[f"y_{split}"] = params
    arrays["y_extended_test"] = EXTENDED_PARAMS.copy()
    for split in SIZES:
        arrays[f"X_{split}"] = sine_curves(arrays[f"y_{split}"]).astype(np.float32)
    return arrays


def data_dir() -> Path:
    """Where the files live: ``data/sine/``."""
    return config.data_dir() / "sine"


def file_path(stem: str) -> Path:
    """Path of one file, e.g. ``file_path("X_train")`` -> ``data/sine/sinewaves_X_train.npy``."""
    stems = [f"{v}_{s}" for s in SIZES for v in ("X", "y")]
    if stem not in stems:
        raise ValueError(f"unknown sine-wave array {stem!r}; expected one of {stems}")
    return data_dir() / f"sinewaves_{stem}.npy"


def _save_atomic(path: Path, array: np.ndarray) -> None:
    # Written to a temporary name and renamed, so a reader never sees half a file
    # even when two notebooks prepare the data at the same time.
    atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False),
                 fix="run `make data` again (or call mlcourse.data.sine_waves.prepare())")


def _load_checked(path: Path, shape: tuple[int, int]) -> np.ndarray:
    # Missing, unreadable, truncated, wrong shape or dtype, NaN or inf: each error
    # names the file and ends with the fix.
    return load_npy(path, fix=_FIX, shape=shape, dtype="float32", finite=True)


def load_sine_waves(directory: str | Path | None = None):
    """Load and check the six arrays.

    Each file must exist, be a readable, complete ``.npy`` (a truncated file
    is an error), hold finite float32 values of the promised shape (no NaN or
    inf), and every curve must match the curve rebuilt from its parameters.

    Parameters
    ----------
    directory : path-like, optional
        Folder holding the files; default ``data/sine/``.

    Returns
    -------
    X_train, y_train, X_test, y_test, X_extended_test, y_extended_test : ndarray
        Shapes (10000, 1000), (10000, 4), (2000, 1000), (2000, 4), (9, 1000), (9, 4).
    source : str

    Raises
    ------
    DataError
        If a file is missing, unreadable, truncated, of the wrong shape or
        dtype, holds NaN or inf, or its curves do not match its parameters;
        the message names the file and the fix.
    """
    folder = Path(directory) if directory is not None else data_dir()
    out = []
    for split, rows in SIZES.items():
        x_path = folder / f"sinewaves_X_{split}.npy"
        y_path = folder / f"sinewaves_y_{split}.npy"
        X = _load_checked(x_path, (rows, N_POINTS))
        y = _load_checked(y_path, (rows, 4))
        worst = 0.0
        for start in range(0, rows, 1000):
            rebuilt = sine_curves(y[start:start + 1000])
            worst = max(worst, float(np.max(np.abs(rebuilt - X[start:start + 1000]))))
        if not worst <= TOLERANCE:
            raise DataError(f"data file {x_path} does not match the parameters in {y_path.name} "
                            f"(largest difference {worst:.3g} > {TOLERANCE}); {_FIX}")
        out += [X, y]
    return (*out, SOURCE)


def prepare(verbose: bool = True, *, force: bool = False, seed: int = 0) -> Path:
    """Generate the missing files of ``data/sine/`` (all six with ``force``), then check every file.

    Takes about a second. Existing files are never silently replaced: if they
    fail the check, the error says how to regenerate them. When all six files
    are there nothing is written (a read-only checkout works).

    Parameters
    ----------
    verbose : bool
        Print one line saying what was done.
    force : bool
        Regenerate even if all files exist.
    seed : int
        Seed of the parameter draws.

    Returns
    -------
    pathlib.Path
        The folder holding the files, for ``np.load(folder / "sinewaves_X_train.npy")``.

    Raises
    ------
    DataError
        If the files, once present, fail :func:`load_sine_waves`'s checks, or a
        missing file cannot be written (a directory in its place, a read-only folder).
    """
    folder = data_dir()
    paths = [file_path(f"{v}_{s}") for s in SIZES for v in ("X", "y")]
    for path in paths:
        if path.exists() and not path.is_file():
            raise DataError(f"data file {path} is not a file (a directory?); remove it "
                            f"(`rm -r {path}`), then run `make data` again")
    missing = [path for path in paths if force or not path.exists()]
    made = bool(missing)
    if made:
        for stem, array in generate(seed).items():
            if file_path(stem) in missing:
                _save_atomic(file_path(stem), array)
    load_sine_waves(folder)
    if verbose:
        rel = folder.relative_to(config.project_root()) if folder.is_relative_to(config.project_root()) else folder
        print(f"sine waves: {'generated and checked' if made else 'checked'} 6 files in {rel}/")
    return folder

