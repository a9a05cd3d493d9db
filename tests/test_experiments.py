"""Tests of mlcourse.experiments: seed sweeps, their summary and plot, streamed training."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mlcourse.experiments import (
    fit_streamed,
    plot_over_seeds,
    repeat_over_seeds,
    summarize_over_seeds,
)


def test_repeat_over_seeds_calls_every_setting_with_every_seed():
    calls = []

    def run(k, seed):
        calls.append((k, seed))
        return 10 * k + seed

    table = repeat_over_seeds(run, [{"k": 1}, {"k": 2}], seeds=[3, 4])
    assert calls == [(1, 3), (1, 4), (2, 3), (2, 4)]
    assert table.columns.tolist() == ["k", "seed", "value"]
    assert table["value"].tolist() == [13.0, 14.0, 23.0, 24.0]


def test_repeat_over_seeds_spreads_a_dict_result_into_columns():
    table = repeat_over_seeds(lambda k, seed: {"acc": k / 10, "loss": seed}, [{"k": 5}], seeds=[0, 1])
    assert table[["acc", "loss"]].to_numpy().tolist() == [[0.5, 0.0], [0.5, 1.0]]


def test_repeat_over_seeds_gives_one_row_per_epoch_for_a_history_dict():
    table = repeat_over_seeds(lambda lr, seed: {"loss": [3.0, 2.0], "val_loss": [3.5, 2.5]}, [{"lr": 0.1}], seeds=[7])
    assert table.columns.tolist() == ["lr", "seed", "epoch", "loss", "val_loss"]
    assert table[["epoch", "loss", "val_loss"]].to_numpy().tolist() == [[1, 3.0, 3.5], [2, 2.0, 2.5]]


def test_repeat_over_seeds_takes_epoch_numbers_from_an_epoch_list():
    table = repeat_over_seeds(lambda seed: {"epoch": [5, 10], "acc": [0.8, 0.9]}, [{}], seeds=[0])
    assert table["epoch"].tolist() == [5, 10] and table["acc"].tolist() == [0.8, 0.9]


def test_repeat_over_seeds_rejects_per_epoch_lists_of_unequal_length():
    with pytest.raises(ValueError, match="different lengths"):
        repeat_over_seeds(lambda seed: {"loss": [1.0, 2.0], "val_loss": [1.0]}, [{}], seeds=[0])


def test_repeat_over_seeds_uses_the_progress_wrapper():
    wrapped = []

    def progress(jobs):
        wrapped.append(len(jobs))
        return jobs

    repeat_over_seeds(lambda seed: 0.0, [{}], seeds=[0, 1, 2], progress=progress)
    assert wrapped == [3]


@pytest.mark.parametrize("seeds, match", [([], "at least one seed"), ([1, 1], "distinct"),
                                          ([-1], "non-negative"), ([0.5], "non-negative")])
def test_repeat_over_seeds_rejects_bad_seeds(seeds, match):
    with pytest.raises(ValueError, match=match):
        repeat_over_seeds(lambda seed: 0.0, [{}], seeds=seeds)


def test_repeat_over_seeds_rejects_a_setting_that_names_seed():
    with pytest.raises(ValueError, match="may not contain 'seed'"):
        repeat_over_seeds(lambda seed: 0.0, [{"seed": 3}], seeds=[0])


def test_repeat_over_seeds_rejects_empty_settings():
    with pytest.raises(ValueError, match="at least one setting"):
        repeat_over_seeds(lambda seed: 0.0, [], seeds=[0])


def test_repeat_over_seeds_rejects_a_non_numeric_result():
    with pytest.raises(ValueError, match="expected a number, a dict of numbers"):
        repeat_over_seeds(lambda seed: "good", [{}], seeds=[0])


def test_summarize_over_seeds_gives_mean_sd_min_max_and_count():
    table = pd.DataFrame({"k": [1, 1, 1, 2], "seed": [0, 1, 2, 0], "value": [0.5, 0.7, 0.9, 0.3]})
    summary = summarize_over_seeds(table, "k")
    assert summary.loc[1, "mean"] == pytest.approx(0.7)
    assert summary.loc[1, "sd"] == pytest.approx(0.2)
    assert (summary.loc[1, "min"], summary.loc[1, "max"], summary.loc[1, "seeds"]) == (0.5, 0.9, 3)
    assert summary.loc[2, "sd"] == 0.0  # one seed: no spread, not NaN


def test_summarize_over_seeds_names_a_missing_column():
    table = pd.DataFrame({"k": [1], "seed": [0], "value": [0.5]})
    with pytest.raises(ValueError, match=r"\['units'\] are not in the table"):
        summarize_over_seeds(table, "units")


def test_plot_over_seeds_draws_every_seed_and_the_reference():
    table = pd.DataFrame({"units": [1, 1, 2, 2], "seed": [0, 1, 0, 1], "value": [0.6, 0.7, 0.8, 0.9]})
    ax = plot_over_seeds(table, "units", reference=0.9, reference_label="Bayes",
                         xlabel="hidden units", ylabel="accuracy")
    assert len(ax.collections[0].get_offsets()) == 4
    assert ax.get_xlabel() == "hidden units" and ax.get_ylabel() == "accuracy"
    assert "Bayes" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title()


def test_plot_over_seeds_rejects_a_missing_column():
    with pytest.raises(ValueError, match="not in the table"):
        plot_over_seeds(pd.DataFrame({"a": [1]}), "units")


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
