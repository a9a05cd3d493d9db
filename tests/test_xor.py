"""Tests of mlcourse.data.xor: truth table, noisy tiled set, Bayes accuracy and rule."""

import math

import numpy as np
import pytest

from mlcourse.data.xor import bayes_accuracy_xor, bayes_predict_xor, load_xor, xor_truth_table


def test_truth_table_is_one_exactly_when_inputs_differ():
    X, y = xor_truth_table()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]


def test_load_xor_tiles_the_corners_with_their_labels():
    X, y, source = load_xor(copies=200, noise=0.3, seed=0)
    assert X.shape == (800, 2) and X.dtype == np.float64
    assert y.shape == (800,) and np.bincount(y).tolist() == [400, 400]
    corners, labels = xor_truth_table()
    assert np.array_equal(y, np.tile(labels, 200))
    assert "200 copies" in source and "noise sd 0.3" in source


def test_load_xor_noise_has_the_requested_spread_around_each_corner():
    X, _, _ = load_xor(copies=5000, noise=0.3, seed=1)
    corners, _ = xor_truth_table()
    offsets = X - np.tile(corners, (5000, 1))
    assert offsets.mean(axis=0) == pytest.approx([0, 0], abs=0.01)
    assert offsets.std(axis=0) == pytest.approx([0.3, 0.3], rel=0.02)


def test_load_xor_is_reproducible_and_seed_dependent():
    a, _, _ = load_xor(copies=10, seed=3)
    b, _, _ = load_xor(copies=10, seed=3)
    c, _, _ = load_xor(copies=10, seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs, match", [({"copies": 0}, "copies must be a positive integer"),
                                           ({"copies": 2.5}, "copies must be a positive integer"),
                                           ({"noise": 0.0}, "noise must be a positive"),
                                           ({"noise": -1.0}, "noise must be a positive")])
def test_load_xor_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_xor(**kwargs)


def test_bayes_accuracy_for_noise_03_is_0909():
    assert bayes_accuracy_xor(0.3) == pytest.approx(0.90899, abs=1e-4)


def test_bayes_accuracy_matches_its_formula_and_limits():
    q = 0.5 * (1 + math.erf(0.5 / 0.2 / math.sqrt(2)))
    assert bayes_accuracy_xor(0.2) == pytest.approx(q * q + (1 - q) ** 2)
    assert bayes_accuracy_xor(1e-3) == pytest.approx(1.0)      # no overlap: perfect
    assert bayes_accuracy_xor(1e3) == pytest.approx(0.5, abs=1e-3)  # all overlap: a coin toss


def test_bayes_accuracy_rejects_non_positive_noise():
    with pytest.raises(ValueError, match="noise must be a positive"):
        bayes_accuracy_xor(0)


def test_bayes_rule_labels_the_quadrants_around_one_half():
    points = np.array([[0.2, 0.2], [0.2, 0.8], [0.8, 0.2], [0.8, 0.8], [-3.0, 5.0]])
    assert bayes_predict_xor(points).tolist() == [0, 1, 1, 0, 1]


def test_bayes_rule_reaches_the_bayes_accuracy_on_a_large_sample():
    X, y, _ = load_xor(copies=25_000, noise=0.3, seed=2)
    # 100,000 points: standard error about 0.001
    assert np.mean(bayes_predict_xor(X) == y) == pytest.approx(bayes_accuracy_xor(0.3), abs=0.004)


def test_bayes_rule_rejects_points_that_are_not_pairs():
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(3,\)"):
        bayes_predict_xor(np.zeros(3))
