"""The numbers the original coursework reported, kept in one place.

They appear beside our own results in the runner's table and the README, in
the column called *coursework*. Keys are ``(notebook, metric)``; a metric
recorded with :func:`mlcourse.results.expect` under the same name is shown next
to the coursework's value. Values come from ``shared/seeds/README.md``;
``note`` says what the coursework's number means when it is not directly
comparable. ("Seed" in this project means only the random seed.)
"""

from __future__ import annotations

from typing import NamedTuple


class CourseworkValue(NamedTuple):
    """A number the original coursework reported, and what it means.

    Attributes
    ----------
    value : float
        The reported number.
    note : str
        Why it is not directly comparable with ours, when it is not.
    """

    value: float
    note: str = ""


COURSEWORK_VALUES: dict[tuple[str, str], CourseworkValue] = {
    ("01_lstm_digit_sum", "test_accuracy"): CourseworkValue(
        0.992, "digits drawn from 0..8 by mistake (92.6% positive series; 91% of its test sample)"),
    ("02_sinewave_regression", "test_mae"): CourseworkValue(0.0357, "Dense 64-16-4"),
    ("03_mnist_regularization", "baseline_val_accuracy"): CourseworkValue(0.9525),
    ("03_mnist_regularization", "best_test_accuracy"): CourseworkValue(
        0.964, "single run, train/test drawn with replacement"),
    ("03_mnist_regularization", "final_test_accuracy"): CourseworkValue(
        0.964, "single run, train/test drawn with replacement"),
    ("04_xor_mlp", "test_accuracy"): CourseworkValue(0.919, "160 test points"),
    ("05_digits_perceptron", "test_accuracy"): CourseworkValue(0.907),
    ("06_jet_tagging", "scaled_accuracy"): CourseworkValue(0.749),
    ("06_jet_tagging", "l1_accuracy"): CourseworkValue(0.550),
    ("06_jet_tagging", "sgd_lr1e-5_accuracy"): CourseworkValue(0.389),
    ("06_jet_tagging", "sgd_lr0.1_accuracy"): CourseworkValue(0.421),
    ("06_jet_tagging", "raw_sgd_accuracy"): CourseworkValue(0.568),
    ("06_jet_tagging", "adam_accuracy"): CourseworkValue(0.739),
    ("08_calcium_cnn", "baseline_test_accuracy"): CourseworkValue(0.881, "real data, one run"),
    ("08_calcium_cnn", "baseline_val_minus_test"): CourseworkValue(
        0.118, "real data, one run: validation split 0.9988, test 0.8808"),
    ("08_calcium_cnn", "best_test_accuracy"): CourseworkValue(
        0.996, "real data, one run, the best of three models compared on the test set"),
}


def coursework_value(notebook: str, metric: str) -> CourseworkValue | None:
    """Return the coursework's number for ``metric`` in ``notebook``, or None if it reported none.

    Example
    -------
    >>> coursework_value("05_digits_perceptron", "test_accuracy").value
    0.907
    """
    return COURSEWORK_VALUES.get((notebook, metric))
