"""The lasso exercise's data: a sparse linear model with columns of unequal scale.

Two committed files, made by ``scripts/make_lasso_data.py`` (which calls
:func:`generate_lasso` and :func:`write_npz`):

* ``data/lasso.npz``: ``X`` (100, 50) and ``y`` (100,), float64. What the
  student sees.
* ``data/lasso_truth.npz``: the true coefficients and how the data were drawn,
  kept apart so that a notebook reveals them only when it grades its own
  estimates.

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

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from .. import config
from ._io import atomic_write
from .manifest import DataError, check_manifest, load_npz, verify

N, P = 100, 50
SIGMA = 0.4
RHO = 0.5
SEED = 365
N_STRONG, N_WEAK = 5, 4
#: Column scales to draw from (standard deviation of each column of X).
SCALES = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
DATA_FILE = "lasso.npz"
TRUTH_FILE = "lasso_truth.npz"
#: Files committed under ``data/`` whose sha256 must be in ``data/MANIFEST``.
VENDORED_FILES = (DATA_FILE, TRUTH_FILE)

SOURCE = (f"generated: y = X beta + {SIGMA} eps, n={N}, p={P}, {N_STRONG} strong and {N_WEAK} weak "
          f"non-zero coefficients, correlated columns of unequal scale (seed {SEED}); committed as "
          f"data/{DATA_FILE} by scripts/make_lasso_data.py")
FIX = ("restore it with `git checkout -- data/{name}` or regenerate it with "
       "`python scripts/make_lasso_data.py`")


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
    """

    beta: np.ndarray
    strong: np.ndarray
    weak: np.ndarray
    sigma: float
    x_scale: np.ndarray
    x_cov: np.ndarray

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
        ``beta``, ``strong``, ``weak``, ``sigma`` (shape (1,)), ``x_scale``, ``x_cov``.

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
             "x_scale": scale, "x_cov": x_cov}
    return data, truth


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
    contents = {name: np.asarray(arrays[name], order="C") for name in sorted(arrays)}  # keeps 0-d arrays 0-d
    for name, array in contents.items():
        if array.dtype == object:
            raise ValueError(f"array '{name}' has dtype object; only plain numeric arrays are written")

    def write(handle) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, array in contents.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = 0o644 << 16
                with archive.open(info, "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    return atomic_write(path, write, fix="run `python scripts/make_lasso_data.py` again")


def _path(path: str | Path | None, name: str) -> Path:
    return Path(path) if path is not None else config.data_dir() / name


def load_lasso(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Load the lasso exercise's design matrix and response.

    Parameters
    ----------
    path : path-like, optional
        Defaults to ``data/lasso.npz``. The file, wherever it is, is checked
        against the sha256 that ``data/MANIFEST`` records for ``lasso.npz``
        before it is read.

    Returns
    -------
    X : ndarray of shape (100, 50), float64
    y : ndarray of shape (100,), float64
    source : str

    Raises
    ------
    DataError
        If ``data/MANIFEST`` is missing, empty or has no line for ``lasso.npz``;
        if the file is missing, a directory, unreadable, does not match its
        sha256, or holds arrays of the wrong shape or dtype or NaN/inf.

    Example
    -------
    >>> X, y, source = load_lasso()
    >>> X.shape, y.shape
    ((100, 50), (100,))
    """
    path = _path(path, DATA_FILE)
    data = load_npz(path, fix=FIX.format(name=DATA_FILE), manifest_name=DATA_FILE, finite=True,
                    arrays={"X": ((N, P), "float64"), "y": ((N,), "float64")})
    return data["X"], data["y"], SOURCE


def load_lasso_truth(path: str | Path | None = None) -> LassoTruth:
    """Load the true coefficients behind ``data/lasso.npz`` (for grading only).

    Parameters
    ----------
    path : path-like, optional
        Defaults to ``data/lasso_truth.npz``; verified like :func:`load_lasso`
        against the line for ``lasso_truth.npz``.

    Returns
    -------
    LassoTruth

    Raises
    ------
    DataError
        As :func:`load_lasso`, and if the strong and weak masks overlap or do not
        match the non-zero coefficients.
    """
    path = _path(path, TRUTH_FILE)
    fix = FIX.format(name=TRUTH_FILE)
    data = load_npz(path, fix=fix, manifest_name=TRUTH_FILE, finite=True, arrays={
        "beta": ((P,), "float64"), "strong": ((P,), "bool"), "weak": ((P,), "bool"),
        "sigma": ((1,), "float64"), "x_scale": ((P,), "float64"), "x_cov": ((P, P), "float64")})
    if np.any(data["strong"] & data["weak"]) or not np.array_equal(
            data["strong"] | data["weak"], data["beta"] != 0):
        raise DataError(f"data file {path}: the strong/weak masks do not match the non-zero "
                        f"coefficients; {fix}")
    return LassoTruth(beta=data["beta"], strong=data["strong"], weak=data["weak"],
                      sigma=float(data["sigma"][0]), x_scale=data["x_scale"], x_cov=data["x_cov"])


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
