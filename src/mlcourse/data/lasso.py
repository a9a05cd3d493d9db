"""The lasso exercise's data: a sparse linear model with columns of unequal scale.

Two committed files, made by ``scripts/make_lasso_data.py`` (which calls
:func:`generate_lasso` and :func:`write_npz`):

* ``data/lasso.npz``: ``X`` (100, 50) and ``y`` (100,), float64. What the
  student sees.
* ``data/lasso_truth.npz``: the true coefficients and how the data were drawn,
  kept apart so that a notebook reveals them only when it grades its own
  estimates. It records the sha256 of the data file it describes
  (``data_sha256``): :func:`load_lasso_truth` gives the truth only for a data
  set with exactly those bytes, and ``None`` for any other.

Your own data instead: set ``MLCOURSE_LASSO_DATA=/path/to/file.npz`` (an
``.npz`` with ``X`` of shape (n, p) and ``y`` of shape (n,), finite real
numbers, e.g. written by ``numpy.savez(path, X=X, y=y)``) before starting
Jupyter, or pass the path to :func:`load_lasso`. Such a file is checked for
shape and content, not against ``data/MANIFEST``; its source line names it, and
since no truth file describes it, notebook 07 skips its grading against the
truth.

How the data are drawn (seed :data:`SEED`):

* Rows of ``X`` are independent Gaussian vectors with mean zero. Neighbouring
  columns are correlated (an AR(1) chain with correlation :data:`RHO`), and
  column ``j`` is multiplied by a scale ``s_j`` taken from
  :data:`SCALES`, so the columns' spreads differ by a factor of 100.
* ``beta`` has :data:`N_STRONG` strong and :data:`N_WEAK` weak non-zero
  entries; the rest are zero. Their size is set on the standardized scale:
  a column's *effect* ``beta_j * s_j`` is 1.0-2.0 in absolute value for a strong
  one and 0.10-0.25 for a weak one, with random signs.
* ``y = X beta + sigma * eps`` with ``sigma = 0.4`` and standard normal ``eps``;
  the true model has no intercept.

Only element-wise floating-point operations are used (no BLAS products), so
the bytes are the same on every machine with the same NumPy random streams;
:func:`prepare` regenerates a missing file and checks it against
``data/MANIFEST`` all the same. Every read checks both files against their
lines in ``data/MANIFEST``: a missing manifest or line is an error, not a
skipped check. Nothing is pickled: files are plain ``.npy`` members in a zip
with fixed timestamps, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, NamedTuple

import numpy as np

from .. import config
from ._io import atomic_write
from .manifest import DataError, check_manifest, load_npz, manifest_sha256, sha256_file, verify

N, P = 100, 50
SIGMA = 0.4
RHO = 0.5
SEED = 365
N_STRONG, N_WEAK = 5, 4
#: Column scales to draw from (standard deviation of each column of X).
SCALES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
DATA_FILE = "lasso.npz"
TRUTH_FILE = "lasso_truth.npz"
#: Environment variable naming a user's own ``.npz`` (``X`` (n, p), ``y`` (n,)) to load instead of the generated file.
DATA_ENV = "MLCOURSE_LASSO_DATA"
#: Fewest rows a user's file may have: notebook 07 cross-validates (5 folds) inside a 5-fold cross-validation.
MIN_ROWS = 20
#: Files committed under ``data/`` whose sha256 must be in ``data/MANIFEST``.
VENDORED_FILES = (DATA_FILE, TRUTH_FILE)

SOURCE = (f"generated: y = X beta + {SIGMA} eps, n={N}, p={P}, {N_STRONG} strong and {N_WEAK} weak "
          f"non-zero coefficients, correlated columns of unequal scale (seed {SEED}); committed as "
          f"data/{DATA_FILE} by scripts/make_lasso_data.py")
FIX = ("restore it with `git checkout -- data/{name}` or regenerate it with "
       "`python scripts/make_lasso_data.py`")
USER_FIX = ("save your data as an .npz holding X of shape (n, p) and y of shape (n,), finite real numbers "
            "(`numpy.savez(path, X=X, y=y)`), or unset " + DATA_ENV + " to use the generated data/" + DATA_FILE)


class LassoData(NamedTuple):
    """What :func:`load_lasso` returns.

    Attributes
    ----------
    X : ndarray of shape (n, p), float64
        The predictors, one row per observation.
    y : ndarray of shape (n,), float64
        The response.
    source : str
        One line saying where the data come from (it names the file); print it.
    path : pathlib.Path
        The file read.
    sha256 : str
        The file's sha256: :func:`load_lasso_truth` attaches the truth only to the
        data whose hash it records.
    generated : bool
        True when the file holds exactly the generated ``data/lasso.npz`` (its
        truth exists, and the notebook's bars were set on it).
    """

    X: np.ndarray
    y: np.ndarray
    source: str
    path: Path
    sha256: str
    generated: bool


@dataclass(frozen=True)
class LassoTruth:
    """How ``data/lasso.npz`` was drawn.

    Attributes
    ----------
    beta : ndarray of shape (50,)
        True coefficients in the units of ``X``.
    strong : ndarray of shape (50,), bool
        True for the strong coefficients.
    weak : ndarray of shape (50,), bool
        True for the weak (non-zero but small) coefficients.
    sigma : float
        Noise standard deviation.
    x_scale : ndarray of shape (50,)
        Standard deviation of each column of ``X`` in the population.
    x_cov : ndarray of shape (50, 50)
        Population covariance of a row of ``X`` (mean zero).
    data_sha256 : str
        sha256 of the data file these numbers describe (``data/lasso.npz``).
    """

    beta: np.ndarray
    strong: np.ndarray
    weak: np.ndarray
    sigma: float
    x_scale: np.ndarray
    x_cov: np.ndarray
    data_sha256: str

    @property
    def support(self) -> np.ndarray:
        """Indices of the non-zero coefficients, ascending."""
        return np.flatnonzero(self.beta != 0)

    @property
    def effect(self) -> np.ndarray:
        """Coefficients on the standardized scale, ``beta * x_scale``."""
        return self.beta * self.x_scale

    def prediction_risk(self, coef, intercept: float = 0.0) -> float:
        """Exact expected squared error of ``intercept + x @ coef`` on a new draw.

        For a new row ``x`` (mean zero, covariance ``x_cov``) and ``Y = x @ beta
        + sigma * eps``: ``sigma**2 + intercept**2 + d @ x_cov @ d`` with
        ``d = coef - beta``.

        Raises
        ------
        ValueError
            If ``coef`` does not have one entry per column.
        """
        coef = np.asarray(coef, dtype=float)
        if coef.shape != self.beta.shape:
            raise ValueError(f"coef must have shape {self.beta.shape}, got {coef.shape}")
        d = coef - self.beta
        return float(self.sigma ** 2 + intercept ** 2 + d @ self.x_cov @ d)


def generate_lasso(seed: int = SEED) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draw the data set and its truth (what the make script writes).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the committed files use :data:`SEED`.

    Returns
    -------
    data : dict
        ``X`` (100, 50) and ``y`` (100,), float64.
    truth : dict
        ``beta``, ``strong``, ``weak``, ``sigma`` (shape (1,)), ``x_scale``, ``x_cov``, and
        ``data_sha256`` (a 0-d string array): the sha256 of ``data`` as :func:`write_npz`
        writes it, which links the truth to exactly that file.

    Example
    -------
    >>> data, truth = generate_lasso()
    >>> data["X"].shape, int((truth["beta"] != 0).sum())
    ((100, 50), 9)
    """
    rng = np.random.default_rng(seed)
    scale = rng.choice(np.array(SCALES), size=P)
    # AR(1) chain across columns: corr(x_j, x_k) = RHO**|j - k|, unit variance.
    z = rng.standard_normal((N, P))
    chain = np.empty((N, P))
    chain[:, 0] = z[:, 0]
    innovation = np.sqrt(1.0 - RHO * RHO)
    for j in range(1, P):
        chain[:, j] = RHO * chain[:, j - 1] + innovation * z[:, j]
    X = chain * scale

    support = np.sort(rng.choice(P, size=N_STRONG + N_WEAK, replace=False))
    strong_idx = np.sort(rng.choice(support, size=N_STRONG, replace=False))
    strong = np.isin(np.arange(P), strong_idx)
    weak = np.isin(np.arange(P), support) & ~strong
    size = np.where(strong, rng.uniform(1.0, 2.0, P), rng.uniform(0.10, 0.25, P))
    sign = rng.choice(np.array([-1.0, 1.0]), size=P)
    effect = np.where(strong | weak, np.round(sign * size, 2), 0.0)
    beta = effect / scale

    y = SIGMA * rng.standard_normal(N)
    for j in support:  # element-wise sum in a fixed order: identical bytes everywhere
        y = y + X[:, j] * beta[j]

    lags = np.abs(np.subtract.outer(np.arange(P), np.arange(P)))
    x_cov = np.multiply.outer(scale, scale) * RHO ** lags
    data = {"X": X, "y": y}
    truth = {"beta": beta, "strong": strong, "weak": weak, "sigma": np.array([SIGMA]),
             "x_scale": scale, "x_cov": x_cov,
             "data_sha256": np.array(hashlib.sha256(npz_bytes(data)).hexdigest())}
    return data, truth


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """The bytes :func:`write_npz` writes for ``arrays`` (members sorted, fixed timestamps).

    Raises
    ------
    ValueError
        If an array has dtype object (it would need a pickle).
    """
    contents = {name: np.asarray(arrays[name], order="C") for name in sorted(arrays)}  # keeps 0-d arrays 0-d
    for name, array in contents.items():
        if array.dtype == object:
            raise ValueError(f"array '{name}' has dtype object; only plain numeric arrays are written")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in contents.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an uncompressed ``.npz`` whose bytes depend only on the arrays.

    ``numpy.savez`` stamps each member with the current time; this writes the
    members in sorted order with a fixed 1980-01-01 timestamp instead, so the
    file's sha256 can be committed to ``data/MANIFEST``. Object arrays are refused.
    The file is written atomically: whole, or not at all.

    Raises
    ------
    ValueError
        If an array has dtype object (it would need a pickle); nothing is written.
    DataError
        If the file cannot be written (a directory in its place, a read-only
        folder); the old file, if any, is left as it was.
    """
    return atomic_write(path, lambda handle: handle.write(npz_bytes(arrays)),
                        fix="run `python scripts/make_lasso_data.py` again")


def _path(path: str | Path | None, name: str) -> Path:
    return Path(path) if path is not None else config.data_dir() / name


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _user_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read and check ``X`` and ``y`` of a user's file; every error names the file and the fix."""
    data = load_npz(path, fix=USER_FIX)
    missing = [key for key in ("X", "y") if key not in data]
    if missing:
        raise DataError(f"data file {path} has no array {' or '.join(repr(k) for k in missing)} (it has "
                        f"{sorted(data)}); {USER_FIX}")
    X, y = data["X"], data["y"]
    for key, array in (("X", X), ("y", y)):
        if array.dtype.kind not in "biuf":
            raise DataError(f"array '{key}' in {path} has dtype {array.dtype}; the lasso needs real numbers; "
                            f"{USER_FIX}")
    if X.ndim != 2:
        raise DataError(f"array 'X' in {path} has shape {X.shape}; it must be 2-D, (n, p): one row per "
                        f"observation, one column per predictor; {USER_FIX}")
    if y.ndim != 1:
        hint = " (save y.ravel())" if y.ndim == 2 and 1 in y.shape else ""
        raise DataError(f"array 'y' in {path} has shape {y.shape}; it must be 1-D, (n,){hint}; {USER_FIX}")
    if len(y) != len(X):
        raise DataError(f"data file {path}: X has {len(X)} rows but y has {len(y)} values; they must match "
                        f"(one response per row of X); {USER_FIX}")
    X, y = X.astype(np.float64), y.astype(np.float64)
    for key, array in (("X", X), ("y", y)):
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"array '{key}' in {path} holds {int(bad.sum()):,} non-finite value(s) (NaN or inf), "
                            f"first at index {first}; drop or impute those rows; {USER_FIX}")
    n, p = X.shape
    if n < MIN_ROWS or p < 2:
        raise DataError(f"data file {path} has X of shape {X.shape}; notebook 07 needs at least {MIN_ROWS} "
                        f"rows (it cross-validates with 5 folds inside 5 folds) and at least 2 columns; "
                        f"{USER_FIX}")
    constant = np.flatnonzero(np.ptp(X, axis=0) == 0)
    if constant.size:
        raise DataError(f"data file {path}: column(s) {constant[:10].tolist()} of X are constant; drop them "
                        f"(the lasso fits its own intercept); {USER_FIX}")
    if np.ptp(y) == 0:
        raise DataError(f"data file {path}: y is constant, so there is nothing to predict; {USER_FIX}")
    return X, y


def load_lasso(path: str | Path | None = None) -> LassoData:
    """Load the lasso exercise's design matrix and response: the generated file, or your own.

    Parameters
    ----------
    path : path-like, optional
        The ``.npz`` to read. Defaults to the file named by the environment variable
        ``MLCOURSE_LASSO_DATA`` when it is set, else to the generated ``data/lasso.npz``.
        The generated file is checked against its sha256 in ``data/MANIFEST``
        before it is read. Any other file is *your data*: it must hold ``X`` of shape
        (n, p) and ``y`` of shape (n,), real and finite, with n >= 20 rows, p >= 2
        columns, no constant column and a non-constant ``y`` (write it with
        ``numpy.savez(path, X=X, y=y)``); no pickles are read.

    Returns
    -------
    LassoData
        ``X`` (n, p) and ``y`` (n,) as float64, ``source`` (naming the file),
        ``path``, ``sha256`` and ``generated``.

    Raises
    ------
    DataError
        Naming the file and the fix: for the generated file, if ``data/MANIFEST`` is
        missing, empty or has no line for ``lasso.npz``, or the file is missing, a
        directory, unreadable, does not match its sha256, or holds arrays of the
        wrong shape or dtype or NaN/inf; for your file, if it is missing, a
        directory, unreadable, not an ``.npz``, lacks ``X`` or ``y``, or they have
        the wrong shapes, lengths or dtypes, NaN/inf, too few rows, or a constant
        column.

    Example
    -------
    >>> data = load_lasso()
    >>> data.X.shape, data.y.shape, data.generated
    ((100, 50), (100,), True)
    >>> import os; os.environ["MLCOURSE_LASSO_DATA"] = "mine.npz"   # doctest: +SKIP
    >>> load_lasso().source                                          # doctest: +SKIP
    'your data: mine.npz (from MLCOURSE_LASSO_DATA), X 442 x 10, ...'
    """
    default = config.data_dir() / DATA_FILE
    from_env = path is None and bool(os.environ.get(DATA_ENV, "").strip())
    if from_env:
        path = os.environ[DATA_ENV].strip()
    path = Path(path).expanduser() if path is not None else default
    if _same_file(path, default):
        data = load_npz(path, fix=FIX.format(name=DATA_FILE), manifest_name=DATA_FILE, finite=True,
                        arrays={"X": ((N, P), "float64"), "y": ((N,), "float64")})
        return LassoData(data["X"], data["y"], SOURCE, path, manifest_sha256(DATA_FILE), True)
    X, y = _user_arrays(path)
    sha = sha256_file(path)
    try:
        generated = sha == manifest_sha256(DATA_FILE)
    except DataError:   # no manifest to compare with: then it is not known to be the generated file
        generated = False
    origin = f" (from {DATA_ENV})" if from_env else ""
    tail = ("identical to the generated data/lasso.npz, whose truth applies" if generated else
            "no truth file describes it, so the grading against the truth is skipped")
    source = (f"your data: {path}{origin}, X {X.shape[0]} x {X.shape[1]}, y {len(y)}, "
              f"sha256 {sha[:12]}...; {tail}")
    return LassoData(X, y, source, path, sha, generated)


def load_lasso_truth(data: LassoData | str | Path, path: str | Path | None = None) -> LassoTruth | None:
    """The true coefficients behind ``data``, or None when no truth file describes it (for grading only).

    The truth file records the sha256 of the data file it was drawn with; it is
    returned only when ``data`` has exactly that hash. For any other data
    (your own file, a changed copy) the result is ``None``: there is nothing
    to grade against.

    Parameters
    ----------
    data : LassoData or path-like
        What :func:`load_lasso` returned, or the path of a data file.
    path : path-like, optional
        The truth file; defaults to ``data/lasso_truth.npz``, verified like the
        generated data against its line (``lasso_truth.npz``) in ``data/MANIFEST``.

    Returns
    -------
    LassoTruth or None

    Raises
    ------
    DataError
        If the truth file is missing, unreadable, does not match its sha256 (or the
        manifest lacks its line), holds NaN/inf, or its strong and weak masks overlap
        or do not match the non-zero coefficients.
    TypeError
        If ``data`` is neither a :class:`LassoData` nor a path.

    Example
    -------
    >>> load_lasso_truth(load_lasso()).support.size
    9
    """
    if isinstance(data, LassoData):
        data_sha = data.sha256
    elif isinstance(data, (str, os.PathLike)):
        data_sha = sha256_file(verify(data, fix=USER_FIX))
    else:
        raise TypeError(f"data must be what load_lasso() returned or a path, got {type(data).__name__}")
    path = _path(path, TRUTH_FILE)
    fix = FIX.format(name=TRUTH_FILE)
    arrays = load_npz(path, fix=fix, manifest_name=TRUTH_FILE, finite=True, arrays={
        "beta": ((P,), "float64"), "strong": ((P,), "bool"), "weak": ((P,), "bool"),
        "sigma": ((1,), "float64"), "x_scale": ((P,), "float64"), "x_cov": ((P, P), "float64"),
        "data_sha256": ((), None)})
    if np.any(arrays["strong"] & arrays["weak"]) or not np.array_equal(
            arrays["strong"] | arrays["weak"], arrays["beta"] != 0):
        raise DataError(f"data file {path}: the strong/weak masks do not match the non-zero "
                        f"coefficients; {fix}")
    if str(arrays["data_sha256"]) != data_sha:
        return None
    return LassoTruth(beta=arrays["beta"], strong=arrays["strong"], weak=arrays["weak"],
                      sigma=float(arrays["sigma"][0]), x_scale=arrays["x_scale"], x_cov=arrays["x_cov"],
                      data_sha256=str(arrays["data_sha256"]))


def prepare(verbose: bool = True) -> list[Path]:
    """Check the committed files against ``data/MANIFEST``; regenerate any that is missing.

    Nothing is written when both files are there (a read-only checkout works).

    Returns
    -------
    list of pathlib.Path
        ``data/lasso.npz`` and ``data/lasso_truth.npz``.

    Raises
    ------
    DataError
        If ``data/MANIFEST`` is missing, empty or lacks a line for either file
        (checked before anything is written); if a file is a directory or
        unreadable, or (present or regenerated) does not match its sha256.
    """
    expected = check_manifest(VENDORED_FILES)
    paths = [config.data_dir() / name for name in VENDORED_FILES]
    for p in paths:
        if p.exists() and not p.is_file():
            raise DataError(f"data file {p} is not a file (a directory?); remove it (`rm -r {p}`), "
                            f"then {FIX.format(name=p.name)}")
    if not all(p.exists() for p in paths):
        data, truth = generate_lasso(SEED)
        for p, arrays in zip(paths, (data, truth)):
            if not p.exists():
                write_npz(p, arrays)
                if verbose:
                    print(f"lasso: regenerated {p}")
    for p in paths:
        verify(p, fix=FIX.format(name=p.name), expected_sha256=expected[p.name])
    if verbose:
        print(f"lasso: {', '.join(p.name for p in paths)} verified")
    return paths
