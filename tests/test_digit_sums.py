"""Tests of mlcourse.data.digit_sums: shapes, digit range, label rule, split, determinism, bad input."""

import itertools

import numpy as np
import pytest

from mlcourse.data.digit_sums import load_digit_sums, positive_rate

# A small grid of sizes, lengths, thresholds and seeds stands in for a property-based test:
# every combination must satisfy the same invariants.
CASES = list(itertools.product([(50, 40), (301, 1)], [1, 7, 30], [0, 20, 100], [0, 3]))


@pytest.mark.parametrize("split, length, threshold, seed", CASES)
def test_load_digit_sums_has_shape_range_and_label_rule(split, length, threshold, seed):
    n_series, n_train = split
    X_train, y_train, X_test, y_test, source = load_digit_sums(
        n_series=n_series, n_train=n_train, length=length, threshold=threshold, seed=seed)
    assert X_train.shape == (n_train, length) and X_test.shape == (n_series - n_train, length)
    assert y_train.shape == (n_train,) and y_test.shape == (n_series - n_train,)
    for X, y in [(X_train, y_train), (X_test, y_test)]:
        assert X.dtype == np.int64 and y.dtype == np.int64
        assert X.min() >= 0 and X.max() <= 9
        assert np.array_equal(y, (X.sum(axis=1) >= threshold).astype(np.int64))
    assert f"threshold {threshold}" in source and f"seed {seed}" in source


def test_load_digit_sums_draws_every_digit_zero_to_nine_uniformly():
    X_train, _, X_test, _, _ = load_digit_sums()
    counts = np.bincount(np.concatenate([X_train, X_test]).ravel(), minlength=11)
    assert counts[10] == 0 and np.all(counts[:10] > 0), "digits must be exactly 0..9, 9 included"
    assert counts[:10] / counts.sum() == pytest.approx(np.full(10, 0.1), abs=0.005)


def test_load_digit_sums_default_is_the_exercise_split_with_about_99_percent_positives():
    X_train, y_train, X_test, y_test, _ = load_digit_sums()
    assert X_train.shape == (8000, 30) and X_test.shape == (2000, 30)
    share = np.concatenate([y_train, y_test]).mean()
    assert share == pytest.approx(positive_rate(30, 100), abs=0.005)


def test_load_digit_sums_is_deterministic_for_a_seed_and_differs_between_seeds():
    a = load_digit_sums(n_series=100, n_train=80, seed=5)
    b = load_digit_sums(n_series=100, n_train=80, seed=5)
    c = load_digit_sums(n_series=100, n_train=80, seed=6)
    assert all(np.array_equal(x, y) for x, y in zip(a[:4], b[:4]))
    assert not np.array_equal(a[0], c[0])


def test_positive_rate_matches_known_values():
    assert positive_rate(30, 100) == pytest.approx(0.98825, abs=5e-5)
    assert positive_rate(1, 5) == pytest.approx(0.5)
    assert positive_rate(2, 0) == pytest.approx(1.0)
    assert positive_rate(2, 18) == pytest.approx(0.01)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_series=0), "n_series must be an integer >= 2"),
    (dict(n_series=10.5), "n_series must be an integer"),
    (dict(n_train=0), "n_train must be an integer >= 1"),
    (dict(n_series=100, n_train=100), "n_train must be smaller than n_series"),
    (dict(length=0), "length must be an integer >= 1"),
    (dict(threshold=-1), "threshold must be an integer >= 0"),
    (dict(seed=True), "seed must be an integer"),
    (dict(seed="0"), "seed must be an integer"),
])
def test_load_digit_sums_rejects_bad_arguments_with_a_clear_message(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_digit_sums(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(length=0), "length must be an integer >= 1"),
    (dict(threshold=2.5), "threshold must be an integer"),
])
def test_positive_rate_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        positive_rate(**kwargs)
