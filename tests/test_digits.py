"""Tests of mlcourse.data.digits: the scikit-learn 8x8 digits loader."""

import numpy as np
import pytest

from mlcourse.data import digits
from mlcourse.data.manifest import DataError


def test_load_digits_returns_the_documented_shapes_and_types():
    X, y, images, source = digits.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert images.shape == (1797, 8, 8)
    assert "load_digits" in source


def test_load_digits_has_ten_classes_of_about_180_images():
    _, y, _, _ = digits.load_digits()
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 170 and counts.max() <= 190


def test_load_digits_pixels_are_integers_from_0_to_16():
    X, _, _, _ = digits.load_digits()
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))


def test_load_digits_flat_rows_are_the_images_read_row_by_row():
    X, _, images, _ = digits.load_digits()
    assert np.array_equal(X, images.reshape(1797, 64))


class _Bunch:
    def __init__(self, data, target, images):
        self.data, self.target, self.images = data, target, images


def test_load_digits_names_a_broken_install_with_the_wrong_shape(monkeypatch):
    from sklearn import datasets

    broken = _Bunch(np.zeros((100, 64)), np.zeros(100, dtype=int), np.zeros((100, 8, 8)))
    monkeypatch.setattr(datasets, "load_digits", lambda: broken)
    with pytest.raises(DataError, match=r"array 'data' in sklearn load_digits has shape \(100, 64\), expected \(1797, 64\)"):
        digits.load_digits()


def test_load_digits_rejects_pixels_outside_0_to_16(monkeypatch):
    from sklearn import datasets

    bad = np.full((1797, 64), 255.0)
    broken = _Bunch(bad, np.zeros(1797, dtype=int), bad.reshape(1797, 8, 8))
    monkeypatch.setattr(datasets, "load_digits", lambda: broken)
    with pytest.raises(DataError, match="pixels outside 0..16; reinstall scikit-learn"):
        digits.load_digits()
