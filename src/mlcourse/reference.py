"""The numbers the source exercises (the seeds) report, kept in one place.

They appear beside our own results in the runner's table and the README.
Keys are ``(notebook, metric)``; a metric recorded with
:func:`mlcourse.results.expect` under the same name is shown next to its seed
value. Values come from ``shared/seeds/README.md``; ``note`` says what the seed
number means when it is not directly comparable.
"""

from __future__ import annotations

from typing import NamedTuple


class SeedValue(NamedTuple):
    value: float
    note: str = ""


SEED_VALUES: dict[tuple[str, str], SeedValue] = {
    ("01_lstm_digit_sum", "test_accuracy"): SeedValue(
        0.992, "digits drawn from 0..8 by mistake (91% positives)"),
    ("02_sinewave_regression", "test_mae"): SeedValue(0.0357, "Dense 64-16-4"),
    ("03_mnist_regularization", "baseline_val_accuracy"): SeedValue(0.9525),
    ("03_mnist_regularization", "best_test_accuracy"): SeedValue(
        0.964, "single run, train/test drawn with replacement"),
    ("04_xor_mlp", "test_accuracy"): SeedValue(0.919, "160 test points"),
    ("05_digits_perceptron", "test_accuracy"): SeedValue(0.907),
    ("06_jet_tagging", "scaled_accuracy"): SeedValue(0.749),
    ("06_jet_tagging", "l1_accuracy"): SeedValue(0.550),
    ("06_jet_tagging", "sgd_lr1e-5_accuracy"): SeedValue(0.389),
    ("06_jet_tagging", "sgd_lr0.1_accuracy"): SeedValue(0.421),
    ("06_jet_tagging", "sgd_accuracy"): SeedValue(0.568),
    ("06_jet_tagging", "adam_accuracy"): SeedValue(0.739),
    ("08_calcium_cnn", "baseline_test_accuracy"): SeedValue(0.881),
    ("08_calcium_cnn", "best_test_accuracy"): SeedValue(0.996),
}


def seed_value(notebook: str, metric: str) -> SeedValue | None:
    """Return the seed's number for ``metric`` in ``notebook``, or None if it reports none."""
    return SEED_VALUES.get((notebook, metric))
