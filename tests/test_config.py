"""mlcourse.config: fast-mode helpers, paths, and reproducible training."""

import numpy as np
import pytest

from mlcourse import config


def make_config(fast: bool) -> config.Config:
    return config.Config(seed=0, fast=fast, root=config.project_root(), data=config.data_dir(),
                         build=config.project_root() / "build", notebook="t", rng=np.random.default_rng(0))


def test_is_fast_reads_environment(monkeypatch):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    assert config.is_fast()
    for off in ("0", "", "false", "No"):
        monkeypatch.setenv("MLCOURSE_FAST", off)
        assert not config.is_fast()


def test_epochs_full_mode_returns_full_value():
    assert make_config(fast=False).epochs(60) == 60


def test_epochs_fast_mode_defaults_to_a_tenth_at_least_one():
    cfg = make_config(fast=True)
    assert cfg.epochs(60) == 6
    assert cfg.epochs(3) == 1
    assert cfg.size(10000, fast=500) == 500


def test_pick_returns_mode_value():
    assert make_config(fast=False).pick("full", "fast") == "full"
    assert make_config(fast=True).pick("full", "fast") == "fast"


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_size_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="positive integer"):
        make_config(fast=False).size(bad)


def test_project_root_holds_pyproject():
    assert (config.project_root() / "pyproject.toml").is_file()


def test_notebook_name_from_runner_environment(monkeypatch):
    monkeypatch.setenv("MLCOURSE_NOTEBOOK", "04_xor_mlp")
    assert config.notebook_name() == "04_xor_mlp"
    monkeypatch.delenv("MLCOURSE_NOTEBOOK")
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/x/notebooks/05_digits_perceptron.ipynb")
    assert config.notebook_name() == "05_digits_perceptron"


def test_seed_everything_rejects_negative_seed():
    with pytest.raises(ValueError, match="non-negative integer"):
        config.seed_everything(-1)


def _train_once(seed: int) -> list[np.ndarray]:
    config.seed_everything(seed)
    import keras

    x = np.random.default_rng(1).normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
    model.fit(x, y, epochs=3, batch_size=32, shuffle=True, verbose=0)
    return model.get_weights()


def test_same_seed_gives_bit_identical_weights():
    first, second = _train_once(7), _train_once(7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_different_seeds_give_different_weights():
    first, second = _train_once(7), _train_once(8)
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))


def test_start_reports_mode_and_returns_config(capsys, monkeypatch):
    monkeypatch.setenv("MLCOURSE_FAST", "1")
    cfg = config.start(seed=3, notebook="demo")
    out = capsys.readouterr().out
    assert "fast mode, seed 3" in out
    assert cfg.fast and cfg.notebook == "demo" and cfg.data.name == "data"
