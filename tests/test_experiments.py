"""Tests of mlcourse.experiments.fit_streamed (to be removed with the module once 04 and 05 use mlcourse.training)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mlcourse.experiments import fit_streamed


@pytest.fixture(scope="module")
def keras():
    import mlcourse.config

    mlcourse.config.start(seed=0, quiet=True)
    import keras

    return keras


def _linear_model(keras):
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def test_fit_streamed_trains_a_model(keras):
    X = np.linspace(-1, 1, 32).reshape(-1, 1)
    y = 3 * X + 1
    model = _linear_model(keras)
    history = fit_streamed(model, X, y, epochs=40, batch_size=8, seed=0)
    w, b = model.get_weights()
    assert w.item() == pytest.approx(3.0, abs=0.05) and b.item() == pytest.approx(1.0, abs=0.05)
    assert len(history.history["loss"]) == 1


def test_fit_streamed_is_reproducible_for_a_seed(keras):
    X = np.linspace(-1, 1, 16).reshape(-1, 1)
    y = np.sin(3 * X)
    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(1)
        model = _linear_model(keras)
        fit_streamed(model, X, y, epochs=3, batch_size=4, seed=5)
        weights.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    np.testing.assert_array_equal(weights[0], weights[1])


def test_fit_streamed_rejects_an_uncompiled_model(keras):
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="not compiled"):
        fit_streamed(model, np.zeros((4, 1)), np.zeros((4, 1)), epochs=1, batch_size=2, seed=0)


def test_fit_streamed_rejects_mismatched_lengths(keras):
    with pytest.raises(ValueError, match="equal length, got 4 and 3"):
        fit_streamed(_linear_model(keras), np.zeros((4, 1)), np.zeros((3, 1)), epochs=1, batch_size=2, seed=0)


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"batch_size": 2.5}])
def test_fit_streamed_rejects_non_positive_counts(keras, kwargs):
    args = {"epochs": 1, "batch_size": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match="must be a positive integer"):
        fit_streamed(_linear_model(keras), np.zeros((4, 1)), np.zeros((4, 1)), **args)
