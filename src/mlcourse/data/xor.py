"""The XOR problem: its truth table and the Bayes rule and accuracy of its noisy version.

The four corners of the unit square are labelled by XOR. Tiling them and adding
isotropic Gaussian noise (sd ``noise``) gives a learnable but not separable
set; notebook 04 asks the student to generate it, so it is not here.

For this mixture the Bayes decision boundary is exactly the two lines x1 = 0.5 and x2 = 0.5: the class-1 minus class-0 density factorises as
(phi(x1) - phi(x1 - 1)) * (phi(x2 - 1) - phi(x2)) / sd^2, whose sign changes only there.
A point is classified correctly when both coordinates stay on their corner's side,
or both cross, so the Bayes accuracy is q^2 + (1 - q)^2 with q = Phi(0.5 / noise).
"""

from __future__ import annotations

import math

import numpy as np


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


def bayes_accuracy_xor(noise: float) -> float:
    """Best achievable accuracy on the noisy XOR mixture with noise sd ``noise``.

    The accuracy of :func:`bayes_predict_xor` on infinitely many points (the
    four corners, equally often, plus noise): ``q**2 + (1 - q)**2`` with ``q = Phi(0.5 / noise)``
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
