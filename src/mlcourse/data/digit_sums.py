"""Series of random digits labelled by whether their sum reaches a threshold.

Each series holds ``length`` independent digits drawn uniformly from 0..9
*inclusive*; its label is 1 when the digits sum to ``threshold`` or more. With
the exercise's numbers (30 digits, threshold 100) the sum has mean 135 and
standard deviation about 15.7, so only about 1.1% of the series fall below 100:
the classes are very unbalanced, which is the point of the exercise's last
question.

Nothing is written to disk: the same seed always gives the same arrays.
"""

from __future__ import annotations

import math

import numpy as np

SOURCE = "generated: series of uniform random digits 0..9, label = (sum >= threshold) (mlcourse.data.digit_sums)"


def _check_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def load_digit_sums(n_series: int = 10_000, n_train: int = 8_000, length: int = 30,
                    threshold: int = 100, seed: int = 0):
    """Draw digit series, label them by their sum, and split them into train and test.

    Parameters
    ----------
    n_series : int
        Number of series in total.
    n_train : int
        The first ``n_train`` series form the training set, the rest the test
        set (the series are independent, so no shuffling is needed).
    length : int
        Digits per series (time steps).
    threshold : int
        A series is labelled 1 when its digit sum is ``>= threshold``.
    seed : int
        Seed of the random generator; the same seed gives the same data.

    Returns
    -------
    X_train : ndarray of shape (n_train, length), int64
        Digits 0..9.
    y_train : ndarray of shape (n_train,), int64
        Labels 0/1.
    X_test : ndarray of shape (n_series - n_train, length), int64
    y_test : ndarray of shape (n_series - n_train,), int64
    source : str
        Where the data comes from, with its parameters.

    Raises
    ------
    ValueError
        If a size is not a positive integer, or ``n_train`` leaves no test series.

    Example
    -------
    >>> X_train, y_train, X_test, y_test, source = load_digit_sums(n_series=10, n_train=8)
    >>> X_train.shape, X_test.shape, int(X_train.min()) >= 0, int(X_train.max()) <= 9
    ((8, 30), (2, 30), True, True)
    """
    n_series = _check_int("n_series", n_series, 2)
    n_train = _check_int("n_train", n_train, 1)
    length = _check_int("length", length, 1)
    threshold = _check_int("threshold", threshold, 0)
    seed = _check_int("seed", seed, 0)
    if n_train >= n_series:
        raise ValueError(f"n_train must be smaller than n_series to leave a test set, "
                         f"got n_train={n_train}, n_series={n_series}")
    rng = np.random.default_rng(seed)
    # integers(0, 10) draws 0..9: the upper bound is exclusive.
    X = rng.integers(0, 10, size=(n_series, length), dtype=np.int64)
    y = (X.sum(axis=1) >= threshold).astype(np.int64)
    source = (f"{SOURCE}; {n_series} series of {length} digits, threshold {threshold}, "
              f"{n_train}/{n_series - n_train} train/test split, seed {seed}")
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:], source


def positive_rate(length: int = 30, threshold: int = 100) -> float:
    """Exact probability that ``length`` uniform digits 0..9 sum to ``threshold`` or more.

    Computed by convolving the digit distribution ``length`` times (exact up to
    floating point), so the notebook can compare the observed class balance
    with the truth.

    Raises
    ------
    ValueError
        If ``length`` < 1 or ``threshold`` < 0.

    Example
    -------
    >>> round(positive_rate(30, 100), 4)
    0.9883
    """
    length = _check_int("length", length, 1)
    threshold = _check_int("threshold", threshold, 0)
    dist = np.array([1.0])
    digit = np.full(10, 0.1)
    for _ in range(length):
        dist = np.convolve(dist, digit)
    return float(math.fsum(dist[threshold:]))
