"""Series of random digits labelled by whether their sum reaches a threshold.

Each series holds ``length`` independent digits drawn uniformly from 0..9
*inclusive*; its label is 1 when the digits sum to ``threshold`` or more. With
the exercise's numbers (30 digits, threshold 100) the sum has mean 135 and
standard deviation about 15.7, so only about 1.1% of the series fall below 100:
the classes are very unbalanced, which is the point of the exercise's last
question.

The exercise asks students to draw the series themselves, so the notebook does
that in a task; this module only checks their data against the exercise
(:func:`digit_sum_problems`) and gives the exact share of positive series
(:func:`positive_rate`), which goes beyond the exercise.
"""

from __future__ import annotations

import math

import numpy as np

def _check_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive_rate(length: int = 30, threshold: int = 100, *, largest_digit: int = 9) -> float:
    """Exact probability that ``length`` uniform digits 0..``largest_digit`` sum to ``threshold`` or more.

    Computed by convolving the digit distribution ``length`` times (exact up to
    floating point), so the notebook can compare the observed class balance
    with the truth.

    Parameters
    ----------
    length : int
        Digits per series (>= 1).
    threshold : int
        A series is positive when its digits sum to at least this (>= 0).
    largest_digit : int
        Digits are uniform on 0..largest_digit, both ends included (>= 1). The
        exercise asks for 9; the coursework's answer drew 0..8 by mistake.

    Returns
    -------
    float
        The probability, in [0, 1].

    Raises
    ------
    ValueError
        If ``length`` < 1, ``threshold`` < 0 or ``largest_digit`` < 1.

    Example
    -------
    >>> round(positive_rate(30, 100), 4)
    0.9883
    >>> round(positive_rate(30, 100, largest_digit=8), 3)       # the coursework's digits 0..8
    0.926
    """
    length = _check_int("length", length, 1)
    threshold = _check_int("threshold", threshold, 0)
    largest_digit = _check_int("largest_digit", largest_digit, 1)
    dist = np.array([1.0])
    digit = np.full(largest_digit + 1, 1.0 / (largest_digit + 1))
    for _ in range(length):
        dist = np.convolve(dist, digit)
    return float(math.fsum(dist[threshold:]))


def digit_sum_problems(X_train, y_train, X_test, y_test, *, n_train: int = 8_000, n_test: int = 2_000,
                       length: int = 30, threshold: int = 100) -> list[str]:
    """List what is wrong with digit-sum data made by hand; an empty list means nothing.

    Checks the rules of the exercise's part (a): the split sizes, ``length``
    digits per series, every digit an integer in 0..9 with all ten digits
    about equally common (each between 8% and 12% of all digits), and each
    label equal to ``sum >= threshold``. Labels may have shape ``(n,)`` or
    ``(n, 1)``; series may have a trailing feature axis of length 1.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : array-like
        The series and labels to check.
    n_train, n_test, length, threshold : int
        What the exercise prescribes.

    Returns
    -------
    list of str
        One sentence per problem found, naming the array and what was expected.

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Example
    -------
    >>> X = np.tile(np.arange(10), (2, 1))            # two series 0, 1, ..., 9 (sum 45)
    >>> digit_sum_problems(X, np.array([1, 1]), X, np.array([1, 0]), n_train=2, n_test=2,
    ...                    length=10, threshold=40)
    ['1 labels in y_test differ from (sum of the series >= 40)']
    """
    n_train = _check_int("n_train", n_train, 1)
    n_test = _check_int("n_test", n_test, 1)
    length = _check_int("length", length, 1)
    threshold = _check_int("threshold", threshold, 0)
    problems = []
    digits = []
    for part, X, y, n in [("train", X_train, y_train, n_train), ("test", X_test, y_test, n_test)]:
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim == 3 and X.shape[-1] == 1:
            X = X[..., 0]
        if y.ndim == 2 and y.shape[-1] == 1:
            y = y[:, 0]
        if X.shape != (n, length):
            problems.append(f"X_{part} has shape {X.shape}, expected ({n}, {length})")
            continue
        if y.shape != (n,):
            problems.append(f"y_{part} has shape {y.shape}, expected ({n},)")
            continue
        if not np.all(np.isfinite(X)) or not np.array_equal(X, np.round(X)) or X.min() < 0 or X.max() > 9:
            problems.append(f"X_{part} holds values other than the integers 0..9")
            continue
        wrong = int(np.sum(y != (X.sum(axis=1) >= threshold)))
        if wrong:
            problems.append(f"{wrong} labels in y_{part} differ from (sum of the series >= {threshold})")
        digits.append(X.astype(np.int64).ravel())
    if digits:
        counts = np.bincount(np.concatenate(digits), minlength=10)
        share = counts / counts.sum()
        for digit in range(10):
            if counts[digit] == 0:
                problems.append(f"digit {digit} never occurs: draw digits from 0..9 (the upper bound 9 included)")
            elif not 0.08 <= share[digit] <= 0.12:
                problems.append(f"digit {digit} makes up {share[digit]:.1%} of all digits, expected about 10%")
    return problems
