"""Tests of mlcourse.data.digit_sums: the exact positive rate and the check of a student's data, bad input."""

import numpy as np
import pytest

from mlcourse.data.digit_sums import digit_sum_problems, positive_rate

def test_positive_rate_matches_known_values():
    assert positive_rate(30, 100) == pytest.approx(0.98825, abs=5e-5)
    assert positive_rate(1, 5) == pytest.approx(0.5)
    assert positive_rate(2, 0) == pytest.approx(1.0)
    assert positive_rate(2, 18) == pytest.approx(0.01)


def test_positive_rate_with_digits_0_to_8_gives_the_coursework_data_rate():
    # the coursework drew digits 0..8: the exact share of sums >= 100 is 92.6%, not "about 91%"
    assert positive_rate(30, 100, largest_digit=8) == pytest.approx(0.926, abs=5e-4)
    assert positive_rate(1, 1, largest_digit=1) == pytest.approx(0.5)
    assert positive_rate(2, 2, largest_digit=1) == pytest.approx(0.25)


def test_positive_rate_agrees_with_a_simulation():
    X = np.random.default_rng(0).integers(0, 9, size=(200_000, 30))   # digits 0..8
    assert np.mean(X.sum(axis=1) >= 100) == pytest.approx(positive_rate(30, 100, largest_digit=8), abs=3e-3)


@pytest.mark.parametrize("kwargs, match", [
    (dict(length=0), "length must be an integer >= 1"),
    (dict(threshold=2.5), "threshold must be an integer"),
    (dict(largest_digit=0), "largest_digit must be an integer >= 1"),
])
def test_positive_rate_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        positive_rate(**kwargs)


def _exercise_data(high=10):
    rng = np.random.default_rng(0)
    X = rng.integers(0, high, size=(10_000, 30))
    y = (X.sum(axis=1) >= 100).astype(int)
    return X[:8_000], y[:8_000], X[8_000:], y[8_000:]


def test_digit_sum_problems_accepts_data_made_as_the_exercise_says():
    assert digit_sum_problems(*_exercise_data()) == []


def test_digit_sum_problems_accepts_a_feature_axis_and_column_labels():
    X_train, y_train, X_test, y_test = _exercise_data()
    assert digit_sum_problems(X_train[..., None].astype("float32"), y_train[:, None],
                              X_test[..., None], y_test[:, None]) == []


def test_digit_sum_problems_finds_digits_drawn_from_0_to_8_only():
    problems = digit_sum_problems(*_exercise_data(high=9))
    assert problems == ["digit 9 never occurs: draw digits from 0..9 (the upper bound 9 included)"]


def test_digit_sum_problems_counts_wrong_labels():
    X_train, y_train, X_test, y_test = _exercise_data()
    flipped = y_test.copy()
    flipped[:3] = 1 - flipped[:3]
    assert digit_sum_problems(X_train, y_train, X_test, flipped) == [
        "3 labels in y_test differ from (sum of the series >= 100)"]


def test_digit_sum_problems_finds_wrong_split_and_values():
    X_train, y_train, X_test, y_test = _exercise_data()
    assert digit_sum_problems(X_train[:7_000], y_train[:7_000], X_test, y_test)[0] == \
        "X_train has shape (7000, 30), expected (8000, 30)"
    assert digit_sum_problems(X_train, y_train[:-1], X_test, y_test)[0] == \
        "y_train has shape (7999,), expected (8000,)"
    assert digit_sum_problems(X_train, y_train, X_test + 0.5, y_test)[0] == \
        "X_test holds values other than the integers 0..9"


def test_digit_sum_problems_finds_unequal_digit_shares():
    X_train, y_train, X_test, y_test = _exercise_data()
    X_train = np.where(X_train == 3, 4, X_train)    # no 3s, twice as many 4s
    y_train = (X_train.sum(axis=1) >= 100).astype(int)
    problems = digit_sum_problems(X_train, y_train, X_test, y_test)
    assert problems[0].startswith("digit 3 makes up") and problems[1].startswith("digit 4 makes up")


def test_digit_sum_problems_rejects_bad_sizes():
    X_train, y_train, X_test, y_test = _exercise_data()
    with pytest.raises(ValueError, match="n_train must be an integer >= 1"):
        digit_sum_problems(X_train, y_train, X_test, y_test, n_train=0)


def test_coursework_note_states_the_exact_positive_rate_of_digits_0_to_8():
    from mlcourse.reference import coursework_value
    note = coursework_value("01_lstm_digit_sum", "test_accuracy").note
    assert f"{positive_rate(30, 100, largest_digit=8):.1%} positive series" in note
