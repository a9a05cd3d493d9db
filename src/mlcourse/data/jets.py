"""LHC jet tagging: the hls4ml high-level-feature data set, or a labelled offline stand-in.

The real data is OpenML data set 42468, ``hls4ml_lhc_jets_hlf``: 830,000
simulated jets of about 1 TeV transverse momentum, each described by 16
substructure features (:data:`FEATURES`) and labelled by the particle that
started it (:data:`CLASSES`: gluon, light quark, top, W, Z).

:func:`load_jets` decides where the jets come from, in this order:

1. our cache ``data/openml/hls4ml_lhc_jets_hlf.npz`` (written after the first
   download, checked against the sha256 in the file beside it);
2. ``sklearn.datasets.fetch_openml``, when OpenML answers within a few seconds
   or scikit-learn's own cache under ``data/openml/sklearn`` already holds it
   (scikit-learn checks the download against OpenML's md5);
3. otherwise :func:`make_standin_jets`, a synthetic set with the same columns and
   classes and physically shaped distributions, announced loudly as a stand-in.

A corrupt cache, a download that fails or has missing columns, and "no network
and no cache" each print one clear sentence saying what went wrong and how to
fix it, then use the stand-in (``source="auto"``), or raise :class:`DataError`
(``source="openml"``). Nothing waits on the network for more than ``timeout``
seconds per connection attempt.

The stand-in (what it models)
-----------------------------
Each class gets a groomed-mass distribution (light jets low with a long tail,
gluons above quarks; W near 80 GeV, Z near 91 GeV, top near 172 GeV with a
W-only shoulder, and a fraction of boson and top jets whose grooming removed a
prong), a constituent multiplicity (gluons well above quarks, tops highest),
and a one-, two- or three-prong character that drives the C2/D2/N2/M2 ratios.
The features keep the real data's very different scales (multiplicity in the
tens, mass in the hundreds of GeV, ``c1_b2`` in the thousandths), which is what
the standard-scaler exercise is about. W and Z differ mainly by an 11 GeV mass
shift smaller than the mass resolution, so they are the hardest pair, as on the
real data. Calibrated so that the notebook's scaled network reaches about 0.75.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from .. import config
from ._io import atomic_write
from .manifest import DataError, check_array, load_npz, sha256_file

#: The 16 high-level features, in the order of the OpenML columns.
FEATURES: tuple[str, ...] = (
    "zlogz", "c1_b0_mmdt", "c1_b1_mmdt", "c1_b2_mmdt", "c2_b1_mmdt", "c2_b2_mmdt",
    "d2_b1_mmdt", "d2_b2_mmdt", "d2_a1_b1_mmdt", "d2_a1_b2_mmdt", "m2_b1_mmdt",
    "m2_b2_mmdt", "n2_b1_mmdt", "n2_b2_mmdt", "mass_mmdt", "multiplicity",
)
#: Class labels as OpenML spells them: gluon, light quark, top, W, Z jets.
CLASSES: tuple[str, ...] = ("g", "q", "t", "w", "z")
#: Rows in the real data set (and in a full-size stand-in).
N_JETS = 830_000

OPENML_NAME = "hls4ml_lhc_jets_hlf"
OPENML_ID = 42468
OPENML_HOST = "www.openml.org"
#: Environment variable that sets the default ``source`` ("auto", "openml" or "standin").
SOURCE_ENV = "MLCOURSE_JETS"

_FIX_CACHE = "delete it (and data/openml/sklearn/) and re-run online to download the real data again"


class JetData(NamedTuple):
    """What :func:`load_jets` returns.

    Attributes
    ----------
    X : ndarray of shape (n, 16), float32
        Features in the order of :data:`FEATURES`.
    y : ndarray of shape (n,), str
        Class labels from :data:`CLASSES`.
    source : str
        One sentence saying where the jets came from; print it.
    standin : bool
        True when the jets are the synthetic stand-in, not the real data.
    """

    X: np.ndarray
    y: np.ndarray
    source: str
    standin: bool


# --------------------------------------------------------------------------------------
# Stand-in generator
# --------------------------------------------------------------------------------------

def _lognormal(rng, median, sigma, n):
    return median * np.exp(sigma * rng.standard_normal(n))


def _class_latents(rng, label: str, n: int):
    """Mass (GeV), multiplicity, and prong scores for ``n`` jets of one class.

    Returns mass, multiplicity, one-prong-ness ``p1`` in (0, 1) (high for light
    jets, low for two/three-prong jets) and three-prong-ness ``p3`` (high for tops).
    """
    u = rng.random(n)
    if label in ("q", "g"):
        mass = _lognormal(rng, 20.0 if label == "q" else 42.0, 0.6, n)
        mult_mean = 30.0 if label == "q" else 50.0
        p1 = rng.beta(6.0, 2.5, n) if label == "q" else rng.beta(5.0, 3.0, n)
        p3 = rng.beta(2.0, 6.0, n)
        groomed = np.zeros(n, bool)
    elif label in ("w", "z"):
        peak, width = (80.4, 7.5) if label == "w" else (91.2, 8.0)
        groomed = u < 0.07                       # a prong lost to grooming: light-jet-like
        mass = np.where(groomed, _lognormal(rng, 25.0, 0.6, n), rng.normal(peak, width, n))
        mult_mean = 40.0 if label == "w" else 42.0
        p1 = np.where(groomed, rng.beta(5.0, 3.0, n), rng.beta(2.0, 5.0, n))
        p3 = rng.beta(2.0, 5.5, n)
    elif label == "t":
        full, w_only = u < 0.82, (u >= 0.82) & (u < 0.93)
        groomed = ~(full | w_only)
        mass = np.where(full, rng.normal(172.0, 17.0, n),
                        np.where(w_only, rng.normal(82.0, 12.0, n), _lognormal(rng, 40.0, 0.6, n)))
        mult_mean = 62.0
        p1 = np.where(groomed, rng.beta(4.0, 3.0, n), rng.beta(2.5, 5.0, n))
        p3 = np.where(full, rng.beta(5.0, 2.5, n), rng.beta(3.0, 4.0, n))
    else:  # pragma: no cover - labels come from CLASSES
        raise ValueError(f"unknown jet class {label!r}")
    mass = np.clip(mass, 0.5, 400.0)
    # Over-dispersed counts: a gamma-smeared Poisson mean.
    lam = mult_mean * rng.gamma(12.0, 1.0 / 12.0, n)
    multiplicity = np.maximum(rng.poisson(lam), 2)
    return mass, multiplicity.astype(float), p1, p3


def _features_from_latents(rng, mass, mult, p1, p3) -> np.ndarray:
    """Map latent jet properties to the 16 features, with realistic scales and noise."""
    n = len(mass)
    noise = lambda s: np.exp(s * rng.standard_normal(n))  # noqa: E731  multiplicative smearing
    pt = 1000.0 * noise(0.08)                          # jet transverse momentum, GeV
    r = mass / pt                                      # mass over momentum, ~0.01-0.2
    cols = {
        "zlogz": -0.75 * np.log(mult) - 0.3 * p1 + 0.25 * rng.standard_normal(n),
        "c1_b0_mmdt": (0.08 + 0.28 * p1 + 0.002 * mult) * noise(0.25),
        "c1_b1_mmdt": 0.6 * r * (0.5 + p1) * noise(0.3),
        "c1_b2_mmdt": 0.35 * r ** 2 * (0.5 + p1) * noise(0.4),
        "c2_b1_mmdt": (0.05 + 0.30 * p1 + 0.08 * p3) * noise(0.3),
        "c2_b2_mmdt": (0.02 + 0.22 * p1 + 0.06 * p3) * noise(0.35),
        "d2_b1_mmdt": (0.8 + 3.5 * p1 + 1.0 * p3) * noise(0.3),
        "d2_b2_mmdt": (0.9 + 5.5 * p1 + 1.5 * p3) * noise(0.35),
        "d2_a1_b1_mmdt": (0.6 + 2.0 * p1 + 1.6 * p3) * noise(0.3),
        "d2_a1_b2_mmdt": (0.5 + 2.4 * p1 + 2.2 * p3) * noise(0.35),
        "m2_b1_mmdt": (0.01 + 0.05 * p1 + 0.03 * p3) * noise(0.4),
        "m2_b2_mmdt": (0.005 + 0.04 * p1 + 0.03 * p3) * noise(0.45),
        "n2_b1_mmdt": np.clip((0.12 + 0.25 * p1 + 0.10 * p3) + 0.04 * rng.standard_normal(n), 0.0, 1.0),
        "n2_b2_mmdt": np.clip((0.08 + 0.28 * p1 + 0.12 * p3) + 0.05 * rng.standard_normal(n), 0.0, 1.0),
        "mass_mmdt": mass * noise(0.03),
        "multiplicity": mult,
    }
    return np.column_stack([cols[name] for name in FEATURES]).astype(np.float32)


def make_standin_jets(n_rows: int = N_JETS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generate the synthetic stand-in: same columns and classes as the real data.

    Parameters
    ----------
    n_rows : int
        Number of jets; classes are as equal as possible (the real set is balanced too).
    seed : int
        Seed; the same ``(n_rows, seed)`` always gives the same jets.

    Returns
    -------
    X : ndarray of shape (n_rows, 16), float32
    y : ndarray of shape (n_rows,), ``<U1`` labels from :data:`CLASSES`

    Raises
    ------
    ValueError
        If ``n_rows`` is not a positive integer or ``seed`` is negative.

    Example
    -------
    >>> X, y = make_standin_jets(10, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 16), ['g', 'q', 't', 'w', 'z'])
    """
    _check_rows(n_rows)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([seed, 6])
    counts = np.full(len(CLASSES), n_rows // len(CLASSES))
    counts[: n_rows % len(CLASSES)] += 1
    X_parts, y_parts = [], []
    for label, count in zip(CLASSES, counts):
        latents = _class_latents(rng, label, int(count))
        X_parts.append(_features_from_latents(rng, *latents))
        y_parts.append(np.full(int(count), label, dtype="<U1"))
    X, y = np.concatenate(X_parts), np.concatenate(y_parts)
    order = rng.permutation(n_rows)
    return X[order], y[order]


# --------------------------------------------------------------------------------------
# Real data: cache, download, validation
# --------------------------------------------------------------------------------------

def cache_path(data_home: str | Path | None = None) -> Path:
    """Where the converted real data is cached: ``data/openml/hls4ml_lhc_jets_hlf.npz``."""
    home = Path(data_home) if data_home is not None else config.data_dir() / "openml"
    return home / f"{OPENML_NAME}.npz"


def openml_reachable(timeout: float = 3.0, host: str = OPENML_HOST, port: int = 443) -> bool:
    """True if a TCP connection to OpenML opens within ``timeout`` seconds.

    Runs in a daemon thread so that a slow DNS lookup cannot hold the notebook
    longer than ``timeout`` either.
    """
    outcome: list[bool] = []

    def attempt():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(outcome and outcome[0])


def fetch_openml_frame(data_home: Path, timeout: float = 30.0):
    """Download (or read from scikit-learn's cache) the real data as a pandas DataFrame.

    Every socket operation is bounded by ``timeout`` seconds and there is a
    single attempt, so an unreachable server fails quickly instead of hanging.

    Returns
    -------
    (DataFrame of features, Series of labels)
    """
    from sklearn.datasets import fetch_openml

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        bunch = fetch_openml(data_id=OPENML_ID, data_home=str(data_home), as_frame=True,
                             parser="auto", n_retries=1, delay=0.0)
    finally:
        socket.setdefaulttimeout(previous)
    return bunch.data, bunch.target


def frame_to_arrays(features, target) -> tuple[np.ndarray, np.ndarray]:
    """Check the downloaded columns and labels; return ``(X float32, y <U1)``.

    Raises
    ------
    DataError
        If a feature column is missing, values are not finite, or a label is unknown.
    """
    columns = list(getattr(features, "columns", []))
    missing = [name for name in FEATURES if name not in columns]
    if missing:
        raise DataError(f"the OpenML data set {OPENML_NAME} lacks the columns {missing} "
                        f"(it has {columns[:20]}); {_FIX_CACHE}")
    X = np.asarray(features[list(FEATURES)], dtype=np.float32)
    y = np.asarray(target).astype(str)
    if len(y) != len(X):
        raise DataError(f"{OPENML_NAME}: {len(X)} feature rows but {len(y)} labels; {_FIX_CACHE}")
    unknown = sorted(set(np.unique(y).tolist()) - set(CLASSES))
    if unknown:
        raise DataError(f"{OPENML_NAME}: unexpected class labels {unknown}, expected {list(CLASSES)}; "
                        f"{_FIX_CACHE}")
    if not np.isfinite(X).all():
        raise DataError(f"{OPENML_NAME}: some feature values are NaN or infinite; {_FIX_CACHE}")
    return X, y.astype("<U1")


def write_cache(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    """Save the arrays (no pickles) and a ``.sha256`` file beside them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda handle: np.savez(handle, X=X, y=y, features=np.array(FEATURES, dtype="<U16")),
                 fix=_FIX_CACHE)
    atomic_write(path.with_name(path.name + ".sha256"),
                 lambda handle: handle.write(f"{sha256_file(path)}  {path.name}\n".encode()), fix=_FIX_CACHE)


def read_cache(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load and check the cached real data.

    Raises
    ------
    DataError
        If the file is missing, does not match its ``.sha256``, cannot be read,
        or has the wrong arrays, columns or labels.
    """
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        raise DataError(f"{sidecar} is missing, so {path} cannot be checked; {_FIX_CACHE}")
    words = sidecar.read_text().split()
    try:
        arrays = load_npz(path, fix=_FIX_CACHE, expected_sha256=words[0] if words else "0" * 64,
                          arrays={"X": ((None, len(FEATURES)), "float32"), "y": ((None,), "<U1"),
                                  "features": ((len(FEATURES),), None)})
        X, y = arrays["X"], arrays["y"]
        check_array("y", y, shape=(len(X),), where=str(path))
    except DataError as err:
        if _FIX_CACHE in str(err):
            raise
        raise DataError(f"{err}; {_FIX_CACHE}") from None
    if tuple(arrays["features"].tolist()) != FEATURES:
        raise DataError(f"{path} has columns {arrays['features'].tolist()}, expected {list(FEATURES)}; "
                        f"{_FIX_CACHE}")
    unknown = sorted(set(np.unique(y).tolist()) - set(CLASSES))
    if unknown:
        raise DataError(f"{path} has unknown class labels {unknown}; {_FIX_CACHE}")
    return X, y


# --------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------

def _check_rows(n_rows) -> None:
    if not isinstance(n_rows, (int, np.integer)) or isinstance(n_rows, bool) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")


def _subsample(X, y, n_rows, seed):
    if n_rows is None or n_rows >= len(X):
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(X), n_rows, replace=False))
    return X[keep], y[keep]


def _real(data_home: Path, online: Callable[[], bool], fetch: Callable, timeout: float):
    """Return ``(X, y, how)`` for the real data, or raise DataError saying why not."""
    path = cache_path(data_home)
    if path.exists():
        X, y = read_cache(path)
        return X, y, f"cached at {path}"
    sklearn_home = data_home / "sklearn"
    has_sklearn_cache = (sklearn_home / "openml").is_dir()
    if not has_sklearn_cache and not online():
        raise DataError(f"no cached copy at {path} and {OPENML_HOST} is unreachable (no network); "
                        f"run once with network access to download it")
    try:
        features, target = fetch(sklearn_home, timeout)
    except DataError:
        raise
    except Exception as err:  # any failure inside scikit-learn/urllib/pandas becomes one clear message
        raise DataError(f"downloading {OPENML_NAME} from OpenML failed ({type(err).__name__}: {err}); "
                        f"check the network, or {_FIX_CACHE}") from err
    X, y = frame_to_arrays(features, target)
    write_cache(path, X, y)
    return X, y, f"downloaded from OpenML and cached at {path}"


def load_jets(n_rows: int | None = None, *, seed: int = 0, source: str | None = None,
              data_home: str | Path | None = None, online: Callable[[], bool] | None = None,
              fetch: Callable | None = None, timeout: float = 3.0, verbose: bool = True) -> JetData:
    """Load the hls4ml jets: the real data when cached or downloadable, else the stand-in.

    Parameters
    ----------
    n_rows : int, optional
        Number of jets; ``None`` means all 830,000. The real data is subsampled
        at random (seeded, without replacement); the stand-in is generated at this size.
    seed : int
        Seed of the subsample and of the stand-in.
    source : {"auto", "openml", "standin"}, optional
        ``"auto"`` (default, or the ``MLCOURSE_JETS`` environment variable):
        real data if possible, otherwise the stand-in with a message saying why.
        ``"openml"``: real data or a :class:`DataError`. ``"standin"``: always the stand-in.
    data_home : path-like, optional
        Cache folder; default ``data/openml``.
    online : callable, optional
        Returns True if OpenML is reachable; default :func:`openml_reachable`
        (tests pass a stub, so the choice is testable without a network).
    fetch : callable, optional
        ``fetch(sklearn_home, timeout) -> (features DataFrame, labels)``; default
        :func:`fetch_openml_frame`.
    timeout : float
        Seconds allowed for the connectivity check (the download itself allows 10x per socket operation).
    verbose : bool
        Print why the stand-in is used when it is.

    Returns
    -------
    JetData
        ``X`` (n, 16) float32, ``y`` (n,) labels, ``source`` sentence, ``standin`` flag.

    Raises
    ------
    ValueError
        If ``n_rows`` or ``source`` is invalid.
    DataError
        With ``source="openml"``, when the real data cannot be had (the reason and the fix).

    Example
    -------
    >>> jets = load_jets(1000, source="standin", verbose=False)
    >>> jets.X.shape, jets.standin
    ((1000, 16), True)
    """
    if n_rows is not None:
        _check_rows(n_rows)
    source = source or os.environ.get(SOURCE_ENV, "").strip().lower() or "auto"
    if source not in ("auto", "openml", "standin"):
        raise ValueError(f"source must be 'auto', 'openml' or 'standin', got {source!r}")
    reason = "the stand-in was requested"
    if source != "standin":
        home = Path(data_home) if data_home is not None else config.data_dir() / "openml"
        check = online or (lambda: openml_reachable(timeout))
        getter = fetch or fetch_openml_frame
        try:
            X, y, how = _real(home, check, getter, 10.0 * timeout)
        except DataError as err:
            if source == "openml":
                raise
            reason = str(err)
        else:
            X, y = _subsample(X, y, n_rows, seed)
            return JetData(X, y, f"REAL DATA: OpenML {OPENML_NAME} (id {OPENML_ID}), {how}; "
                                 f"{len(X):,} jets", False)
        if verbose:
            print(f"load_jets: real data unavailable: {reason}")
    X, y = make_standin_jets(n_rows or N_JETS, seed)
    return JetData(X, y, f"STAND-IN DATA (synthetic, not the real hls4ml jets): {len(X):,} jets "
                         f"generated by mlcourse.data.jets with seed {seed}, because {reason}", True)
