"""Mercer kernel regression, the kernel-smoothing risk bound, and the bias-variance simulation.

Conventions
-----------
*Kernels are functions.* A kernel ``k`` takes two 2-D arrays ``A`` (m, d) and
``B`` (q, d) and returns the (m, q) Gram matrix ``k(A, B)[i, j] = k(A[i], B[j])``.
:func:`gaussian_kernel` and :func:`polynomial_kernel` make such functions;
:func:`kernel_matrix` calls one and checks what it returned. One-dimensional
inputs (shape (n,)) are read as n points in one dimension.

*Penalty scale.* :func:`mercer_regression` minimizes
``||y - K alpha||^2 + lam * alpha^T K alpha`` whose minimizer is
``alpha = (K + lam I)^{-1} y``, computed with a linear solve. This is exactly
the objective of ``sklearn.kernel_ridge.KernelRidge``, so ``lam`` is its
``alpha`` unchanged (no factor n; a version with the mean squared error,
``(1/n)||y - K alpha||^2 + lam ...``, would need ``alpha = n * lam``). The
Gaussian kernel of bandwidth ``h`` here is ``exp(-|a - b|^2 / (2 h^2))``,
sklearn's ``kernel="rbf"`` with ``gamma = 1 / (2 h^2)``. Multiplying a kernel
by a constant c (the source exercise used ``(1/h) exp(...)``) is the same as
dividing ``lam`` by c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

Kernel = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Relative tolerance below which a negative eigenvalue of K counts as round-off.
PSD_TOLERANCE = 1e-10


def _points(name: str, a) -> np.ndarray:
    """``a`` as a finite float array of shape (n, d); 1-D means d = 1."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of shape (n,) or (n, d), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _positive(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def gaussian_kernel(bandwidth: float) -> Kernel:
    """Make the Gaussian (RBF) kernel ``k(a, b) = exp(-|a - b|^2 / (2 h^2))``.

    Parameters
    ----------
    bandwidth : float
        ``h`` > 0; larger means smoother fits.

    Returns
    -------
    callable
        ``k(A, B)`` returning the Gram matrix; equal to sklearn's ``rbf`` kernel
        with ``gamma = 1 / (2 h^2)``.

    Raises
    ------
    ValueError
        If ``bandwidth`` is not positive.

    Example
    -------
    >>> k = gaussian_kernel(0.5)
    >>> k(np.array([0.0, 1.0]), np.array([0.0])).round(4).tolist()
    [[1.0], [0.1353]]
    """
    h = _positive("bandwidth", bandwidth)

    def kernel(A, B):
        from scipy.spatial.distance import cdist

        A, B = _points("A", A), _points("B", B)
        return np.exp(-cdist(A, B, "sqeuclidean") / (2.0 * h * h))

    kernel.__name__ = f"gaussian_kernel(h={h:g})"
    return kernel


def polynomial_kernel(degree: int, offset: float = 1.0, scale: float = 1.0) -> Kernel:
    """Make the polynomial kernel ``k(a, b) = (scale * a.b + offset)^degree``.

    Its functions are the polynomials of degree at most ``degree`` (when
    ``offset`` > 0), so it can represent 3x^2 exactly from ``degree=2`` on.

    Parameters
    ----------
    degree : int
        Positive integer.
    offset : float
        Non-negative constant added before the power.
    scale : float
        Positive factor on the inner product.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        If ``degree`` is not a positive integer, ``offset`` < 0 or ``scale`` <= 0.

    Example
    -------
    >>> polynomial_kernel(2)(np.array([1.0]), np.array([2.0])).tolist()
    [[9.0]]
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"degree must be a positive integer, got {degree!r}")
    if not (float(offset) >= 0 and math.isfinite(float(offset))):
        raise ValueError(f"offset must be a non-negative number, got {offset!r}")
    scale = _positive("scale", scale)
    offset = float(offset)

    def kernel(A, B):
        A, B = _points("A", A), _points("B", B)
        return (scale * (A @ B.T) + offset) ** int(degree)

    kernel.__name__ = f"polynomial_kernel(degree={degree}, offset={offset:g})"
    return kernel


def kernel_matrix(kernel: Kernel, A, B) -> np.ndarray:
    """Evaluate ``kernel`` on all pairs of rows of ``A`` and ``B`` and check the result.

    Parameters
    ----------
    kernel : callable
        ``kernel(A2, B2)`` with 2-D arrays, returning shape (len(A), len(B)).
    A, B : array-like of shape (m,) or (m, d), and (q,) or (q, d)

    Returns
    -------
    ndarray of shape (m, q)

    Raises
    ------
    ValueError
        If ``kernel`` is not callable, the inputs are malformed or differ in
        dimension, or the kernel returns the wrong shape or non-finite values.
    """
    if not callable(kernel):
        raise ValueError(f"kernel must be a function k(A, B) -> Gram matrix, got {type(kernel).__name__}")
    A, B = _points("A", A), _points("B", B)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"points have {A.shape[1]} and {B.shape[1]} dimensions; they must match")
    K = np.asarray(kernel(A, B), dtype=float)
    if K.shape != (len(A), len(B)):
        raise ValueError(f"kernel returned shape {K.shape}, expected the Gram matrix shape "
                         f"({len(A)}, {len(B)}); kernels take two (n, d) arrays")
    if not np.all(np.isfinite(K)):
        raise ValueError("kernel returned NaN or infinite values")
    return K


def check_mercer_matrix(K) -> np.ndarray:
    """Check that ``K`` is a square, symmetric, positive semi-definite kernel matrix.

    Round-off is allowed: eigenvalues down to ``-PSD_TOLERANCE * max|eigenvalue|``
    count as zero.

    Returns
    -------
    ndarray
        ``K`` as a float array.

    Raises
    ------
    ValueError
        If ``K`` is not square, not symmetric, or has a clearly negative
        eigenvalue (the kernel is then not a Mercer kernel, and the penalized
        objective has no minimum).
    """
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape[0] == 0:
        raise ValueError(f"kernel matrix must be square, got shape {K.shape}")
    size = max(1.0, float(np.abs(K).max()))
    asym = float(np.abs(K - K.T).max())
    if asym > 1e-10 * size:
        raise ValueError(f"kernel matrix is not symmetric (max |K - K^T| = {asym:.3g}); "
                         "a Mercer kernel must satisfy k(a, b) = k(b, a)")
    eig = np.linalg.eigvalsh(K)
    if eig[0] < -PSD_TOLERANCE * max(1.0, float(np.abs(eig).max())):
        raise ValueError(f"kernel matrix is not positive semi-definite: smallest eigenvalue "
                         f"{eig[0]:.3g} (largest {eig[-1]:.3g}); the kernel is not a Mercer kernel")
    return K


def mercer_coefficients(K, y, lam) -> np.ndarray:
    """Solve ``(K + lam I) alpha = y`` for one or several penalties.

    Parameters
    ----------
    K : array-like of shape (n, n)
        Kernel matrix of the training points (checked by :func:`check_mercer_matrix`).
    y : array-like of shape (n,)
    lam : float or 1-D array of floats
        Penalties, each > 0.

    Returns
    -------
    ndarray of shape (n,), or (len(lam), n) for an array of penalties

    Raises
    ------
    ValueError
        If a penalty is not positive, lengths differ, or ``K`` is not a
        symmetric positive semi-definite matrix.
    """
    K = check_mercer_matrix(K)
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or len(y) != len(K):
        raise ValueError(f"y must have shape ({len(K)},) to match the kernel matrix, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values")
    return _solve(K, y, _penalties(lam))


def _penalties(lam) -> np.ndarray | float:
    arr = np.asarray(lam, dtype=float)
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(f"lam must be a number or a 1-D array of numbers, got shape {arr.shape}")
    if not np.all((arr > 0) & np.isfinite(arr)):
        raise ValueError(f"lam must be positive (and finite): lam <= 0 leaves K + lam I possibly "
                         f"singular and the penalty meaningless; got {lam!r}")
    return float(arr) if arr.ndim == 0 else arr


def _solve(K: np.ndarray, y: np.ndarray, lam) -> np.ndarray:
    """Linear solve (no inverse) of ``(K + lam I) alpha = y``; batched over an array of lam."""
    eye = np.eye(len(K))
    if np.ndim(lam) == 0:
        from scipy.linalg import LinAlgError, solve

        try:
            return solve(K + lam * eye, y, assume_a="pos")
        except LinAlgError as err:  # K + lam I should be positive definite here
            raise ValueError(f"K + lam I is not positive definite ({err}); check the kernel") from None
    systems = K[None, :, :] + lam[:, None, None] * eye[None, :, :]
    return np.linalg.solve(systems, np.broadcast_to(y, (len(lam), len(y)))[..., None])[..., 0]


def mercer_regression(kernel: Kernel, X, y, x, lam) -> np.ndarray:
    """Penalized regression with a Mercer kernel, evaluated at new points.

    Fits ``m(t) = sum_i alpha_i k(X_i, t)`` by minimizing
    ``||y - K alpha||^2 + lam alpha^T K alpha``, i.e. ``alpha = (K + lam I)^{-1} y``
    with ``K = k(X, X)``, solved as a linear system; returns ``k(x, X) @ alpha``.
    ``lam`` equals ``alpha`` of ``sklearn.kernel_ridge.KernelRidge``.

    Parameters
    ----------
    kernel : callable
        A kernel function ``k(A, B)`` (see :func:`gaussian_kernel`).
    X : array-like of shape (n,) or (n, d)
        Training inputs.
    y : array-like of shape (n,)
        Training responses.
    x : array-like of shape (m,) or (m, d)
        Where to evaluate the fit.
    lam : float or 1-D array of floats
        Penalty (> 0); an array fits every penalty at once.

    Returns
    -------
    ndarray of shape (m,), or (len(lam), m) for an array of penalties

    Raises
    ------
    ValueError
        If ``lam`` <= 0, ``X`` and ``y`` differ in length, the dimensions of ``X``
        and ``x`` differ, or the kernel matrix is not positive semi-definite.

    Example
    -------
    >>> X = np.linspace(-1, 1, 20); y = 3 * X**2
    >>> fit = mercer_regression(gaussian_kernel(0.3), X, y, np.array([0.0, 0.5]), lam=1e-6)
    >>> np.abs(fit - [0.0, 0.75]).max() < 1e-2
    True
    """
    Xp = _points("X", X)
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or len(y) != len(Xp):
        raise ValueError(f"X has {len(Xp)} points but y has shape {y.shape}; they must have the same length")
    lam = _penalties(lam)
    alpha = mercer_coefficients(kernel_matrix(kernel, Xp, Xp), y, lam)
    return alpha @ kernel_matrix(kernel, x, Xp).T


# --------------------------------------------------------------------------------------
# Problem 2: the kernel-smoothing risk bound R(h) <= c1 h^4 + c2 / (n h^p)
# --------------------------------------------------------------------------------------

def _dims(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if not np.all((p >= 1) & (p == np.round(p))):
        raise ValueError(f"p (number of predictors) must be a positive integer, got {p!r}")
    return p


def optimal_bandwidth(n, p, c1: float = 1.0, c2: float = 1.0):
    """Bandwidth minimizing ``c1 h^4 + c2 / (n h^p)``: ``(p c2 / (4 c1 n))^(1/(p+4))``.

    Broadcasts over ``n`` and ``p``.

    Raises
    ------
    ValueError
        If ``n`` or a constant is not positive, or ``p`` is not a positive integer.

    Example
    -------
    >>> round(float(optimal_bandwidth(1000, 1)), 4)
    0.2759
    """
    n = np.asarray(n, dtype=float)
    if not np.all(n > 0):
        raise ValueError(f"n must be positive, got {n!r}")
    p = _dims(p)
    c1, c2 = _positive("c1", c1), _positive("c2", c2)
    return (p * c2 / (4.0 * c1 * n)) ** (1.0 / (p + 4.0))


def risk_bound(n, p, c1: float = 1.0, c2: float = 1.0):
    """Smallest value of ``c1 h^4 + c2 / (n h^p)`` over h: ``c1 (1 + 4/p) h*^4``.

    It falls as ``n^(-4/(p+4))``. Broadcasts over ``n`` and ``p``.

    Raises
    ------
    ValueError
        As :func:`optimal_bandwidth`.
    """
    h = optimal_bandwidth(n, p, c1, c2)
    p = np.asarray(p, dtype=float)
    return c1 * (1.0 + 4.0 / p) * h ** 4


def sample_size_for_risk(risk, p, c1: float = 1.0, c2: float = 1.0):
    """Sample size at which :func:`risk_bound` equals ``risk`` (inverted in closed form).

    ``n = (p c2 / (4 c1)) * (c1 (1 + 4/p) / risk)^((p+4)/4)``. Broadcasts over
    ``risk`` and ``p``; the result is a real number (round up for a count).

    Raises
    ------
    ValueError
        If ``risk`` or a constant is not positive, or ``p`` is not a positive integer.

    Example
    -------
    >>> n = sample_size_for_risk(0.1, 5)
    >>> bool(np.isclose(risk_bound(n, 5), 0.1))
    True
    """
    risk = np.asarray(risk, dtype=float)
    if not np.all(risk > 0):
        raise ValueError(f"risk must be positive, got {risk!r}")
    p = _dims(p)
    c1, c2 = _positive("c1", c1), _positive("c2", c2)
    return p * c2 / (4.0 * c1) * (c1 * (1.0 + 4.0 / p) / risk) ** ((p + 4.0) / 4.0)


# --------------------------------------------------------------------------------------
# Problem 3.3: the bias-variance simulation
# --------------------------------------------------------------------------------------

def quadratic_truth(x):
    """The simulation's true regression function, ``3 x^2``."""
    return 3.0 * np.asarray(x, dtype=float) ** 2


@dataclass
class BiasVariance:
    """What :func:`bias_variance_simulation` measured, one entry per penalty.

    Attributes
    ----------
    lams : ndarray (L,)
    sq_bias, variance, risk : ndarray (L,)
        Averaged over the evaluation grid; ``risk = sq_bias + variance`` is the
        mean of ``(m_hat(x) - m(x))^2`` over trials and grid points.
    grid : ndarray (G,)
        Where the fits were evaluated.
    truth : ndarray (G,)
        ``m`` on the grid.
    mean_fit, sd_fit : ndarray (L, G)
        Pointwise mean and standard deviation of the fits over trials.
    example_fits : ndarray (k, L, G)
        The fits of the first k trials, to draw.
    trials : int
    """

    lams: np.ndarray
    sq_bias: np.ndarray
    variance: np.ndarray
    risk: np.ndarray
    grid: np.ndarray
    truth: np.ndarray
    mean_fit: np.ndarray
    sd_fit: np.ndarray
    example_fits: np.ndarray
    trials: int

    @property
    def best_lam(self) -> float:
        """The penalty with the smallest risk."""
        return float(self.lams[int(np.argmin(self.risk))])


def bias_variance_simulation(kernel: Kernel, lams, *, trials: int, n: int = 50, sigma: float = 0.25,
                             truth: Callable[[np.ndarray], np.ndarray] = quadratic_truth,
                             grid=None, seed: int = 0, keep: int = 5,
                             progress: Callable[..., Iterable] | None = None,
                             desc: str | None = None) -> BiasVariance:
    """Estimate squared bias, variance and risk of Mercer kernel regression by simulation.

    Each trial draws ``n`` inputs uniformly on [-1, 1] and responses
    ``truth(X) + sigma * eps``, fits :func:`mercer_regression` for every penalty
    in ``lams`` (the same sample for all penalties, so curves differ by the
    penalty and not by luck), and evaluates the fits on ``grid``.

    Parameters
    ----------
    kernel : callable
        Kernel function, e.g. ``gaussian_kernel(0.1)``.
    lams : sequence of float
        Penalties (> 0).
    trials : int
        Number of simulated samples (>= 2).
    n : int
        Sample size per trial.
    sigma : float
        Noise standard deviation.
    truth : callable
        True regression function (default ``3 x^2``).
    grid : array-like, optional
        Evaluation points; default 100 points evenly spaced on [-1, 1].
    seed : int
        Seed of the simulation's random generator.
    keep : int
        How many trials' fits to keep for drawing.
    progress : callable, optional
        Wraps the trial loop, called as ``progress(iterable, desc=desc)``; pass
        ``cfg.progress`` for a progress bar.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    BiasVariance

    Raises
    ------
    ValueError
        If ``trials`` < 2, ``n`` < 2, ``sigma`` < 0, or a penalty is not positive.

    Example
    -------
    >>> res = bias_variance_simulation(gaussian_kernel(0.3), [0.01, 1.0], trials=20)
    >>> bool(res.sq_bias[1] > res.sq_bias[0])
    True
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 2:
        raise ValueError(f"trials must be an integer >= 2 (variance needs two fits), got {trials!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not (float(sigma) >= 0):
        raise ValueError(f"sigma must be non-negative, got {sigma!r}")
    lams = np.atleast_1d(_penalties(lams)).astype(float)
    grid = np.linspace(-1.0, 1.0, 100) if grid is None else _points("grid", grid)[:, 0]
    f = np.asarray(truth(grid), dtype=float)
    rng = np.random.default_rng(seed)
    fits = np.empty((trials, len(lams), len(grid)))
    loop = range(trials)
    if progress is not None:
        loop = progress(loop, desc=desc)
    for t in loop:
        X = rng.uniform(-1.0, 1.0, n)
        y = np.asarray(truth(X), dtype=float) + sigma * rng.standard_normal(n)
        K = check_mercer_matrix(kernel_matrix(kernel, X, X))
        alpha = _solve(K, y, lams)                      # (L, n), one solve per penalty
        fits[t] = alpha @ kernel_matrix(kernel, grid, X).T
    mean_fit = fits.mean(axis=0)
    sq_bias = ((mean_fit - f) ** 2).mean(axis=1)
    variance = fits.var(axis=0).mean(axis=1)
    return BiasVariance(lams=lams, sq_bias=sq_bias, variance=variance, risk=sq_bias + variance,
                        grid=grid, truth=f, mean_fit=mean_fit, sd_fit=fits.std(axis=0),
                        example_fits=fits[:keep].copy(), trials=int(trials))
