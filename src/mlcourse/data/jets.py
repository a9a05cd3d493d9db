"""LHC jet tagging: the hls4ml high-level-feature data set, or a labelled offline stand-in.

The real data is OpenML data set 42468, ``hls4ml_lhc_jets_hlf``: 830,000
simulated jets of about 1 TeV transverse momentum, each described by 16
substructure features (:data:`FEATURES`) and labelled by the particle that
started it (:data:`CLASSES`: gluon, light quark, top, W, Z).

Where the jets come from
------------------------
:func:`load_jets` reads the real data through ``sklearn.datasets.fetch_openml``,
which keeps its own cache under ``data/openml/sklearn`` and, on every load,
checks the data file against the md5 checksum that OpenML publishes in the data
set's description; :func:`frame_to_arrays` then checks the schema (the 16
feature columns, the five class labels, finite values). So:

1. real data cached (a previous download): the real data, without touching the
   network; a cached file that fails OpenML's checksum is removed by
   scikit-learn and fetched again, and when that is impossible the loader stops
   with a :class:`DataError` naming the file and the fix (never a silent stand-in);
2. not cached, OpenML reachable: downloaded (one attempt per file, each socket
   operation bounded), checked, cached;
3. not cached and OpenML unreachable, or the download fails on the network:
   with ``source="auto"`` the labelled stand-in, after one sentence saying why;
   with ``source="openml"`` a :class:`DataError` saying why and what to do.

A checksum or schema failure of a fresh download is an error in both modes.

The stand-in (what it models and how it was calibrated)
-------------------------------------------------------
:func:`make_standin_jets` draws, per class, a groomed mass, a constituent
multiplicity, a one-prong character ``p1`` (high for light-quark and gluon
jets, low for the two- and three-prong W, Z and top jets), a three-prong
character ``p3`` (high for tops) and a radiation width (gluons radiate more
than quarks), and maps them to the 16 features with scales like the real
data's: multiplicity in the tens, mass in GeV (light jets spread broadly from a
few GeV to well over 100 GeV, W near 80, Z near 91, top near 172 with a W-only
shoulder), the D2 ratios of order 1, ``c1_b2``/``c2_b2`` in the thousandths.
A tenth of the W and Z jets (and of the tops) lost a prong to grooming and look
like light-quark jets.

The physics this is meant to keep:

* quark and gluon jets are the hardest pair (multiplicity and radiation width
  separate them only partly), and quark jets the least distinct class;
* W and Z differ mainly by an 11 GeV mass shift, a little more than the mass
  resolution;
* light jets reach into the W/Z/top mass windows, so telling them apart needs
  the small-valued substructure ratios (N2, C2, M2), not the mass alone: a
  network fed raw inputs, whose gradient is dominated by the mass and the
  multiplicity, learns slowly and unevenly, while standardized inputs train well.

Calibrated on the notebook's set-up (Dense 64-32-32-5, SGD, batch 1024; the
main model 20 epochs on all training jets, the comparison variants 40 epochs on
a 100,000-jet subsample; the coursework trained 50 epochs on all of them)
against the coursework's numbers on the real data: standardized inputs about
0.74 (coursework 0.749), raw inputs about 0.57 (coursework 0.568);
``data/README.md`` lists the calibration figures and
``benchmarks/jets_budget.py`` re-measures the raw-input figure.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import warnings
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from .. import config
from .manifest import DataError

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
#: The data set's description in scikit-learn's cache, relative to its ``data_home``.
DESCRIPTION_CACHE = f"openml/openml.org/api/v1/json/data/{OPENML_ID}.gz"
#: Environment variable that sets the default ``source`` ("auto", "openml" or "standin").
SOURCE_ENV = "MLCOURSE_JETS"

_FIX_CACHE = ("delete data/openml/sklearn/ and run again with network access to download the real data again "
              "(or set MLCOURSE_JETS=standin to use the stand-in)")
_FIX_NETWORK = ("check the network connection (and any proxy), or copy a scikit-learn OpenML cache that holds "
                "data set 42468 to data/openml/sklearn/; set MLCOURSE_JETS=standin to use the stand-in")


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

#: Light-quark and gluon jets: median groomed mass (GeV), lognormal width, mean multiplicity,
#: Beta parameters of the one-prong character and of the radiation width.
_LIGHT = {"q": dict(mass=30.0, mult=38.0, p1=(8.0, 2.0), rad=(2.8, 5.5)),
          "g": dict(mass=45.0, mult=46.0, p1=(8.0, 2.0), rad=(5.0, 3.3))}
_LIGHT_MASS_WIDTH = 1.2      # lognormal sigma: light jets from a few GeV to a few hundred
_BOSON = {"w": dict(peak=80.4, mult=40.0), "z": dict(peak=91.2, mult=42.0)}
_BOSON_RESOLUTION = 5.0      # GeV, Gaussian width of the W and Z mass peaks
_GROOMED = 0.10              # share of W and Z jets that lost a prong to grooming (quark-like)
_TOP_FULL, _TOP_W_ONLY = 0.82, 0.108   # tops: all three prongs, only the W's two; the rest quark-like
_MULT_SHAPE = 8.0            # gamma shape of the multiplicity's over-dispersion
_NOISE_SMALL, _NOISE_D2, _NOISE_N2, _RADIATION = 0.15, 0.45, 0.02, 0.35


def _lognormal(rng, median, sigma, n):
    return median * np.exp(sigma * rng.standard_normal(n))


def _class_latents(rng, label: str, n: int):
    """Mass (GeV), multiplicity, one-prong character ``p1``, three-prong character ``p3``, radiation width.

    ``p1`` in (0, 1) is high for one-prong (light) jets and low for two- and
    three-prong jets; ``p3`` is high for tops; the radiation width is higher for
    gluons than for quarks. The draws keep a fixed order so that a seed always
    gives the same jets.
    """
    u = rng.random(n)
    if label in _LIGHT:
        par = _LIGHT[label]
        mass = _lognormal(rng, par["mass"], _LIGHT_MASS_WIDTH, n)
        mult = np.full(n, par["mult"])
        p1 = rng.beta(*par["p1"], n)
        p3 = rng.beta(2.0, 6.0, n)
        rad = rng.beta(*par["rad"], n)
    elif label in _BOSON:
        par, groomed, quark = _BOSON[label], u < _GROOMED, _LIGHT["q"]
        mass = np.where(groomed, _lognormal(rng, quark["mass"], _LIGHT_MASS_WIDTH, n),
                        rng.normal(par["peak"], _BOSON_RESOLUTION, n))
        mult = np.where(groomed, quark["mult"], par["mult"])
        p1 = np.where(groomed, rng.beta(*quark["p1"], n), rng.beta(1.3, 7.0, n))
        p3 = rng.beta(2.0, 5.5, n)
        rad = np.where(groomed, rng.beta(*quark["rad"], n), rng.beta(3.5, 4.5, n))
    elif label == "t":
        full, w_only = u < _TOP_FULL, (u >= _TOP_FULL) & (u < _TOP_FULL + _TOP_W_ONLY)
        groomed, quark = ~(full | w_only), _LIGHT["q"]
        mass = np.where(full, rng.normal(172.0, 18.0, n),
                        np.where(w_only, rng.normal(82.0, 12.0, n), _lognormal(rng, quark["mass"], _LIGHT_MASS_WIDTH, n)))
        mult = np.where(groomed, quark["mult"], 60.0)
        p1 = np.where(groomed, rng.beta(*quark["p1"], n), rng.beta(2.5, 5.0, n))
        p3 = np.where(full, rng.beta(5.0, 2.5, n), rng.beta(3.0, 4.0, n))
        rad = np.where(groomed, rng.beta(*quark["rad"], n), rng.beta(4.0, 4.0, n))
    else:  # pragma: no cover - labels come from CLASSES
        raise ValueError(f"unknown jet class {label!r}")
    mass = np.clip(mass, 0.5, 400.0)
    # Over-dispersed counts: a gamma-smeared Poisson mean; wider jets hold more particles.
    lam = mult * rng.gamma(_MULT_SHAPE, 1.0 / _MULT_SHAPE, n) * (0.85 + 0.3 * rad)
    multiplicity = np.maximum(rng.poisson(lam), 2)
    return mass, multiplicity.astype(float), p1, p3, rad


def _features_from_latents(rng, mass, mult, p1, p3, rad) -> np.ndarray:
    """Map latent jet properties to the 16 features, with the real data's scales and some noise."""
    n = len(mass)
    noise = lambda s: np.exp(s * rng.standard_normal(n))  # noqa: E731  multiplicative smearing
    s, d = _NOISE_SMALL, _NOISE_D2
    pt = 1000.0 * noise(0.08)                          # jet transverse momentum, GeV
    r = mass / pt                                      # mass over momentum, ~0.003-0.3
    d2_b1 = (0.7 + 1.3 * p1 + 0.6 * p3) * noise(d)
    cols = {
        "zlogz": -0.55 * np.log(mult) - 0.6 * rad - 0.2 * p1 + 0.25 * rng.standard_normal(n),
        "c1_b0_mmdt": (0.2 + _RADIATION * rad + 0.05 * p1) * noise(s),
        "c1_b1_mmdt": 0.6 * r * (0.6 + 0.6 * p1) * noise(s),
        "c1_b2_mmdt": 1.2 * r ** 2 * (0.5 + p1) * noise(s + 0.1),
        "c2_b1_mmdt": 0.5 * r * (0.3 + 1.2 * p1 + 0.3 * p3) * noise(s),
        "c2_b2_mmdt": 1.5 * r ** 2 * (0.2 + p1 + 0.3 * p3) * noise(s + 0.1),
        "d2_b1_mmdt": d2_b1,
        "d2_b2_mmdt": (0.6 + 1.8 * p1 + 0.8 * p3) * noise(d),
        "d2_a1_b1_mmdt": d2_b1 * noise(0.05),          # nearly equal to d2_b1, as on the real data
        "d2_a1_b2_mmdt": (0.1 + 0.2 * p1 + 0.15 * p3) * noise(d),
        "m2_b1_mmdt": (0.03 + 0.08 * p1 + 0.05 * p3) * noise(s + 0.1),
        "m2_b2_mmdt": (0.01 + 0.06 * p1 + 0.04 * p3) * noise(s + 0.15),
        "n2_b1_mmdt": np.clip(0.12 + 0.25 * p1 + 0.10 * p3 + _NOISE_N2 * rng.standard_normal(n), 0.0, 1.0),
        "n2_b2_mmdt": np.clip(0.08 + 0.20 * p1 + 0.12 * p3 + 1.25 * _NOISE_N2 * rng.standard_normal(n), 0.0, 1.0),
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
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
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
# Real data: scikit-learn's OpenML cache, download, schema
# --------------------------------------------------------------------------------------

def sklearn_home(data_home: str | Path | None = None) -> Path:
    """scikit-learn's OpenML cache for the jets: ``data/openml/sklearn`` (or ``<data_home>/sklearn``)."""
    home = Path(data_home) if data_home is not None else config.data_dir() / "openml"
    return home / "sklearn"


def cached_data_file(home: str | Path) -> Path | None:
    """The real data file in scikit-learn's cache ``home``, or None when it is not (completely) cached.

    The data set's description (cached by the first download) names the data
    file's URL; scikit-learn caches each URL's path, gzipped, under
    ``home/openml/openml.org/``. A description that cannot be read counts as not cached.
    """
    description = Path(home) / DESCRIPTION_CACHE
    try:
        with gzip.open(description, "rt", encoding="utf-8") as handle:
            url = json.load(handle)["data_set_description"]["url"]
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    from urllib.parse import urlparse

    path = Path(home) / "openml" / "openml.org" / (urlparse(url).path.lstrip("/") + ".gz")
    return path if path.is_file() else None


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


def fetch_openml_frame(home: Path, timeout: float = 30.0):
    """The real data as ``(features DataFrame, labels)``, through ``sklearn.datasets.fetch_openml``.

    scikit-learn reads its cache in ``home`` when it holds the data set, else
    downloads it there; either way it checks the data file against the md5
    checksum in OpenML's description of the data set (and on a mismatch deletes
    the cached file and downloads it once more). Every socket operation is
    bounded by ``timeout`` seconds and a failed download is retried once, after
    one second (scikit-learn requires a positive ``delay``).
    """
    from sklearn.datasets import fetch_openml

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        bunch = fetch_openml(data_id=OPENML_ID, data_home=str(home), as_frame=True, parser="auto",
                             n_retries=1, delay=1.0)
    finally:
        socket.setdefaulttimeout(previous)
    return bunch.data, bunch.target


def frame_to_arrays(features, target) -> tuple[np.ndarray, np.ndarray]:
    """Check the real data's schema; return ``(X float32, y <U1)``.

    Raises
    ------
    DataError
        If a feature column is missing, values are not finite, a label is
        unknown, a class is absent, or the row counts disagree.
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
    found = set(np.unique(y).tolist())
    unknown = sorted(found - set(CLASSES))
    if unknown:
        raise DataError(f"{OPENML_NAME}: unexpected class labels {unknown}, expected {list(CLASSES)}; "
                        f"{_FIX_CACHE}")
    absent = sorted(set(CLASSES) - found)
    if absent:
        raise DataError(f"{OPENML_NAME}: no jets of the classes {absent}; {_FIX_CACHE}")
    if not np.isfinite(X).all():
        raise DataError(f"{OPENML_NAME}: some feature values are NaN or infinite; {_FIX_CACHE}")
    return X, y.astype("<U1")


# --------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------

class _NoRealData(Exception):
    """The real data are neither cached nor reachable: the one case in which ``auto`` uses the stand-in."""


_NETWORK_ERRORS = (OSError, TimeoutError)  # urllib's URLError and HTTPError are OSErrors


def _check_rows(n_rows) -> None:
    if not isinstance(n_rows, (int, np.integer)) or isinstance(n_rows, bool) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")


def _subsample(X, y, n_rows, seed):
    if n_rows is None or n_rows >= len(X):
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(X), n_rows, replace=False))
    return X[keep], y[keep]


def _real(home: Path, online: Callable[[], bool], fetch: Callable, timeout: float):
    """Return ``(X, y, how)`` for the real data.

    Raises
    ------
    _NoRealData
        Not cached, and OpenML unreachable or the download failed on the network.
    DataError
        The data were cached or downloaded but fail OpenML's checksum or the schema.
    """
    cached = cached_data_file(home)
    if cached is None and not online():
        raise _NoRealData(f"the real data are not cached in {home} and {OPENML_HOST} is unreachable "
                          f"(no network); run once with network access to download them")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            features, target = fetch(home, timeout)
        except DataError:
            raise
        except _NETWORK_ERRORS as err:
            reason = getattr(err, "reason", None) or err
            if cached is not None:
                redownload = [str(w.message) for w in caught if "redownloading" in str(w.message)]
                raise DataError(f"the cached real data {cached} failed OpenML's md5 checksum or could not be "
                                f"read ({'; '.join(redownload) or 'scikit-learn could not use it'}), and downloading "
                                f"it again failed ({type(err).__name__}: {reason}); {_FIX_CACHE}") from err
            raise _NoRealData(f"downloading {OPENML_NAME} (OpenML id {OPENML_ID}) failed: could not reach "
                              f"{OPENML_HOST} ({type(err).__name__}: {reason}); {_FIX_NETWORK}") from err
        except Exception as err:  # a checksum, parsing or format failure inside scikit-learn/pandas
            where = f"the cached real data {cached}" if cached is not None else f"the download of {OPENML_NAME}"
            raise DataError(f"{where} could not be used ({type(err).__name__}: {err}); {_FIX_CACHE}") from err
    X, y = frame_to_arrays(features, target)
    how = (f"read from scikit-learn's cache in {home}" if cached is not None
           else f"downloaded from OpenML into scikit-learn's cache in {home}")
    return X, y, how + " (data file checked against OpenML's md5 checksum, schema checked)"


def load_jets(n_rows: int | None = None, *, seed: int = 0, source: str | None = None,
              data_home: str | Path | None = None, online: Callable[[], bool] | None = None,
              fetch: Callable | None = None, timeout: float = 3.0, verbose: bool = True) -> JetData:
    """Load the hls4ml jets: the real data when cached or downloadable, else the stand-in.

    Parameters
    ----------
    n_rows : int, optional
        Number of jets; ``None`` means all of them (830,000). The real data is
        subsampled at random (seeded, without replacement); the stand-in is
        generated at this size.
    seed : int
        Seed of the subsample and of the stand-in.
    source : {"auto", "openml", "standin"}, optional
        ``"auto"`` (default, or the ``MLCOURSE_JETS`` environment variable):
        the real data when cached or reachable, otherwise the stand-in with a
        sentence saying why. ``"openml"``: the real data or a :class:`DataError`.
        ``"standin"``: always the stand-in.
    data_home : path-like, optional
        Folder holding scikit-learn's cache (in ``<data_home>/sklearn``); default ``data/openml``.
    online : callable, optional
        Returns True if OpenML is reachable; default :func:`openml_reachable`.
        Asked only when the real data are not cached.
    fetch : callable, optional
        ``fetch(sklearn_home, timeout) -> (features DataFrame, labels)``; default
        :func:`fetch_openml_frame` (the tests fake the network below it).
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
        When cached or downloaded real data fail OpenML's checksum or the
        schema (in every mode: never a silent stand-in), and with
        ``source="openml"`` when the real data cannot be had; the message says
        why and what to do.

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
        home = sklearn_home(data_home)
        check = online or (lambda: openml_reachable(timeout))
        try:
            X, y, how = _real(home, check, fetch or fetch_openml_frame, 10.0 * timeout)
        except _NoRealData as err:
            if source == "openml":
                raise DataError(str(err)) from None
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
