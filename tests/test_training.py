"""mlcourse.training: the one training loop (train_in_graph), the Trainer that reuses it across seeds,
the one sweep (repeat_over_seeds) and its summary; plots.plot_over_seeds draws a sweep."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mlcourse import config
from mlcourse.plots import plot_over_seeds
from mlcourse.training import repeat_over_seeds, summarize_over_seeds


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
    config.start(seed=0, quiet=True)
    import keras

    return keras


def _mlp(keras, n_inputs, units, *, output_activation="softmax", dropout=0.0, rotation=0.0):
    """A small Dense network (optionally with dropout and, on 4 x 4 images, random rotation)."""
    layers = [keras.Input(shape=(n_inputs,))]
    if rotation:
        layers += [keras.layers.Reshape((4, 4, 1)), keras.layers.RandomRotation(rotation), keras.layers.Flatten()]
    layers.append(keras.layers.Dense(units, activation="relu"))
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(2, activation=output_activation))
    return keras.Sequential(layers)


def _tiny_problem(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype("float32")
    y = keras.utils.to_categorical(x[:, 0] + x[:, 1] > 0, 2)
    return x, y


def test_train_in_graph_records_every_epoch_and_learns(keras):
    from mlcourse.training import accuracy, train_in_graph

    x, y = _tiny_problem(keras)
    keras.utils.set_random_seed(0)
    model = _mlp(keras, 4, 8, output_activation="sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    hist = train_in_graph(model, x, y, epochs=30, batch_size=16, validation_split=0.5)
    assert hist.epochs_run == 30 and hist.best_epoch is None
    assert sorted(hist.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 30 for v in hist.history.values())
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert accuracy(model, x[30:], y[30:]) == pytest.approx(hist.history["val_accuracy"][-1])


def test_early_stopping_stops_and_restores_the_best_epoch(keras):
    from mlcourse.training import accuracy, train_in_graph

    x, y = _tiny_problem(keras)
    keras.utils.set_random_seed(0)
    model = _mlp(keras, 4, 64, output_activation="sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    hist = train_in_graph(model, x[:40], y[:40], epochs=500, batch_size=8,
                          validation_data=(x[40:], y[40:]), patience=5)
    val_loss = hist.history["val_loss"]
    assert hist.epochs_run == hist.best_epoch + 5 < 500
    assert hist.best_epoch == int(np.argmin(val_loss)) + 1
    assert accuracy(model, x[40:], y[40:]) == pytest.approx(hist.history["val_accuracy"][hist.best_epoch - 1])


def test_train_in_graph_rejects_bad_input(keras):
    from mlcourse.training import train_in_graph

    x, y = _tiny_problem(keras)
    model = _mlp(keras, 4, 8)
    with pytest.raises(ValueError, match="compile the model first"):
        train_in_graph(model, x, y, epochs=1)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="needs validation_split or validation_data"):
        train_in_graph(model, x, y, epochs=1, patience=3)
    with pytest.raises(ValueError, match=r"validation_split must be in \(0, 1\)"):
        train_in_graph(model, x, y, epochs=1, validation_split=1.5)
    with pytest.raises(ValueError, match="same length"):
        train_in_graph(model, x, y[:10], epochs=1)


def test_trainer_reusing_one_graph_matches_fresh_runs_with_dropout_and_augmentation(keras):
    from mlcourse.training import Trainer, train_in_graph

    x, y = _tiny_problem(keras)
    x = np.resize(x, (60, 16))

    def build():
        model = _mlp(keras, 16, 8, output_activation="sigmoid", dropout=0.3, rotation=0.1)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    fit = dict(epochs=6, batch_size=16, validation_split=0.5)
    trainer = Trainer(build, x, y, x_test=x, y_test=y, **fit)
    trials = [trainer(0), trainer(1)]
    keras.utils.set_random_seed(1)
    fresh = build()
    history = train_in_graph(fresh, x, y, seed=1, **fit)
    assert trials[1].history.history == history.history
    assert all(np.array_equal(a, b) for a, b in zip(trials[1].model.get_weights(), fresh.get_weights()))
    assert trials[0].history.history != trials[1].history.history
    keras.utils.set_random_seed(0)
    fresh0 = build()
    train_in_graph(fresh0, x, y, seed=0, **fit)
    # the first trial keeps its own weights after later seeds have trained
    assert all(np.array_equal(a, b) for a, b in zip(trials[0].model.get_weights(), fresh0.get_weights()))


def test_a_trial_in_a_sweep_gives_its_scores_as_columns_and_itself_as_trial(keras):
    from mlcourse.training import Trainer

    x, y = _tiny_problem(keras)

    def build(units):
        model = _mlp(keras, 4, units, output_activation="sigmoid")
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
        return model

    trainers = {u: Trainer(lambda u=u: build(u), x, y, x_test=x, y_test=y, epochs=3, validation_split=0.5)
                for u in (2, 4)}
    table = repeat_over_seeds(lambda units, seed: trainers[units](seed), [{"units": 2}, {"units": 4}], seeds=[0, 1])
    assert table[["units", "seed"]].to_numpy().tolist() == [[2, 0], [2, 1], [4, 0], [4, 1]]
    assert {"val_accuracy", "test_accuracy", "epochs_run", "trial"} <= set(table.columns)
    assert all(row.trial.seed == row.seed for row in table.itertuples())
    assert table["epochs_run"].tolist() == [3, 3, 3, 3]


def test_trainer_without_test_data_scores_nan_and_checks_its_arguments(keras):
    from mlcourse.training import Trainer

    x, y = _tiny_problem(keras)

    def build():
        model = _mlp(keras, 4, 2, output_activation="sigmoid")
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        return model

    trial = Trainer(build, x, y, epochs=1)(3)
    assert trial.seed == 3 and np.isnan(trial.test_accuracy) and np.isnan(trial.val_accuracy)
    with pytest.raises(ValueError, match="give epochs"):
        Trainer(build, x, y)
    with pytest.raises(ValueError, match="unknown training arguments"):
        Trainer(build, x, y, epochs=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="both x_test and y_test"):
        Trainer(build, x, y, epochs=1, x_test=x)
    with pytest.raises(ValueError, match="give the seed when calling"):
        Trainer(build, x, y, epochs=1, seed=0)
