"""The XOR problem: its truth table, a tiled noisy training set and its Bayes accuracy.

The four corners of the unit square are labelled by XOR. Tiling them and adding
isotropic Gaussian noise (sd ``noise``) gives a learnable but not separable
set. For this mixture the Bayes decision boundary is exactly the two lines
x1 = 0.5 and x2 = 0.5: the class-1 minus class-0 density factorises as
(phi(x1) - phi(x1 - 1)) * (phi(x2 - 1) - phi(x2)) / sd^2, whose sign changes only there.
A point is classified correctly when both coordinates stay on their corner's side,
or both cross, so the Bayes accuracy is q^2 + (1 - q)^2 with q = Phi(0.5 / noise).
"""

from __future__ import annotations

import math

import numpy as np

SOURCE = "generated: XOR corners tiled with Gaussian noise (mlcourse.data.xor)"


def xor_truth_table() -> tuple[np.ndarray, np.ndarray]:
    """The four input pairs and their XOR, computed with ``!=``.

    Returns
    -------
    X : ndarray of shape (4, 2), int64
    y : ndarray of shape (4,), int64
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return X, y


def load_xor(copies: int = 200, noise: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """Tile the truth table ``copies`` times and add Gaussian noise.

    Parameters
    ----------
    copies : int
        Times each corner appears (200 gives 800 points).
    noise : float
        Standard deviation of the noise added to both coordinates (> 0).
    seed : int
        Seed of the noise; the same seed gives the same set.

    Returns
    -------
    X : ndarray of shape (4 * copies, 2), float64
    y : ndarray of shape (4 * copies,), int64
    source : str

    Raises
    ------
    ValueError
        If ``copies`` < 1 or ``noise`` <= 0.

    Example
    -------
    >>> X, y, _ = load_xor(copies=2, noise=0.1)
    >>> X.shape, y.tolist()
    ((8, 2), [0, 1, 1, 0, 0, 1, 1, 0])
    """
    if not isinstance(copies, (int, np.integer)) or copies < 1:
        raise ValueError(f"copies must be a positive integer, got {copies!r}")
    if not noise > 0:
        raise ValueError(f"noise must be a positive standard deviation, got {noise!r}")
    corners, labels = xor_truth_table()
    rng = np.random.default_rng(seed)
    X = np.tile(corners, (copies, 1)).astype(np.float64)
    X += noise * rng.standard_normal(X.shape)
    y = np.tile(labels, copies)
    return X, y, f"{SOURCE}, {copies} copies, noise sd {noise}, seed {seed}"


def bayes_accuracy_xor(noise: float) -> float:
    """Best achievable accuracy on the noisy XOR mixture with noise sd ``noise``.

    The accuracy of :func:`bayes_predict_xor` on infinitely many points drawn
    like :func:`load_xor`: ``q**2 + (1 - q)**2`` with ``q = Phi(0.5 / noise)``
    (see the module docstring for the derivation).

    Parameters
    ----------
    noise : float
        Standard deviation of the Gaussian noise (> 0).

    Returns
    -------
    float
        Between 0.5 (huge noise) and 1 (no overlap).

    Raises
    ------
    ValueError
        If ``noise`` is not positive.

    Example
    -------
    >>> round(bayes_accuracy_xor(0.3), 4)
    0.909
    """
    if not noise > 0:
        raise ValueError(f"noise must be a positive standard deviation, got {noise!r}")
    q = 0.5 * (1.0 + math.erf(0.5 / noise / math.sqrt(2.0)))
    return q * q + (1.0 - q) * (1.0 - q)


def bayes_predict_xor(X: np.ndarray) -> np.ndarray:
    """The Bayes classifier for noisy XOR: class 1 when exactly one coordinate exceeds 0.5.

    Optimal for any noise level, since the boundary (the lines x1 = 0.5 and
    x2 = 0.5) does not depend on it.

    Parameters
    ----------
    X : array-like of shape (n, 2)
        Points of the plane.

    Returns
    -------
    ndarray of shape (n,), int64
        Predicted class, 0 or 1.

    Raises
    ------
    ValueError
        If ``X`` is not of shape (n, 2).

    Example
    -------
    >>> bayes_predict_xor([[0.1, 0.9], [0.9, 0.9]]).tolist()
    [1, 0]
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    return ((X[:, 0] > 0.5) != (X[:, 1] > 0.5)).astype(np.int64)
