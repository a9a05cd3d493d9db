"""scikit-learn's 8x8 handwritten digits (ships with scikit-learn, no download)."""

from __future__ import annotations

import numpy as np

from .manifest import DataError, check_array

SOURCE = ("scikit-learn load_digits(): 1,797 8x8 digit images (UCI optical recognition "
          "of handwritten digits test set), bundled with scikit-learn")


def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Load the digits as flat features, labels and images.

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
        Pixel intensities 0..16, one row per image.
    y : ndarray of shape (1797,), int64
        The digit 0..9.
    images : ndarray of shape (1797, 8, 8)
        The same pixels as images.
    source : str
        Where the data comes from.

    Raises
    ------
    DataError
        If the bundled file does not have the documented shape (a broken install).
    """
    from sklearn import datasets

    bunch = datasets.load_digits()
    X = check_array("data", np.asarray(bunch.data, dtype=np.float64), shape=(1797, 64),
                    where="sklearn load_digits")
    y = check_array("target", np.asarray(bunch.target, dtype=np.int64), shape=(1797,))
    images = check_array("images", np.asarray(bunch.images), shape=(1797, 8, 8))
    if X.min() < 0 or X.max() > 16:
        raise DataError("sklearn load_digits returned pixels outside 0..16; reinstall "
                        "scikit-learn (`make clean-venv && make setup`)")
    return X, y, images, SOURCE
