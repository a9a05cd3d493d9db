"""Tests of mlcourse.data.xor: truth table, Bayes accuracy and Bayes rule."""

import math

import numpy as np
import pytest

from mlcourse.data.xor import bayes_accuracy_xor, bayes_predict_xor, xor_truth_table


def test_truth_table_is_one_exactly_when_inputs_differ():
    X, y = xor_truth_table()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]


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
    corners, labels = xor_truth_table()
    X = np.tile(corners, (25_000, 1)) + 0.3 * np.random.default_rng(2).standard_normal((100_000, 2))
    y = np.tile(labels, 25_000)
    # 100,000 points: standard error about 0.001
    assert np.mean(bayes_predict_xor(X) == y) == pytest.approx(bayes_accuracy_xor(0.3), abs=0.004)


def test_bayes_rule_rejects_points_that_are_not_pairs():
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(3,\)"):
        bayes_predict_xor(np.zeros(3))
