"""Tests of the lasso data (mlcourse.data.lasso) and the lasso-path plot."""

import os
import shutil

import numpy as np
import pytest
from faults import deny_read

from mlcourse import config
from mlcourse.data import lasso
from mlcourse.data.manifest import DataError, read_manifest, sha256_file


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/MANIFEST and both lasso files, with config.data_dir() pointed at it."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("MANIFEST", lasso.DATA_FILE, lasso.TRUTH_FILE):
        shutil.copy(config.data_dir() / name, folder / name)
    monkeypatch.setattr(config, "data_dir", lambda: folder)
    return folder


def _set_manifest_line(folder, name, path):
    """Point the copy's MANIFEST line for ``name`` at the sha256 of ``path``."""
    lines = [line for line in (folder / "MANIFEST").read_text().splitlines() if not line.endswith(f"  {name}")]
    (folder / "MANIFEST").write_text("\n".join(lines + [f"{sha256_file(path)}  {name}"]) + "\n")


def test_load_lasso_shapes_and_source():
    X, y, source = lasso.load_lasso()
    assert X.shape == (100, 50) and y.shape == (100,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert "generated" in source


def test_lasso_truth_has_five_strong_and_four_weak_coefficients():
    truth = lasso.load_lasso_truth()
    assert truth.strong.sum() == 5 and truth.weak.sum() == 4
    assert len(truth.support) == 9
    assert np.all(np.abs(truth.effect[truth.strong]) >= 1.0)
    assert np.all(np.abs(truth.effect[truth.weak]) <= 0.25)
    assert truth.sigma == pytest.approx(0.4)


def test_lasso_columns_have_unequal_scale():
    X, _, _ = lasso.load_lasso()
    spread = X.std(axis=0)
    assert spread.max() / spread.min() > 50


def test_lasso_response_matches_truth_up_to_noise():
    X, y, _ = lasso.load_lasso()
    truth = lasso.load_lasso_truth()
    residual = y - X @ truth.beta
    assert residual.std() == pytest.approx(0.4, rel=0.2)


def test_make_script_regenerates_committed_bytes(tmp_path):
    data, truth = lasso.generate_lasso(lasso.SEED)
    manifest = read_manifest()
    for name, arrays in ((lasso.DATA_FILE, data), (lasso.TRUTH_FILE, truth)):
        path = lasso.write_npz(tmp_path / name, arrays)
        assert sha256_file(path) == manifest[name]


def test_committed_files_load_without_pickles():
    for name in (lasso.DATA_FILE, lasso.TRUTH_FILE):
        with np.load(config.data_dir() / name, allow_pickle=False) as npz:
            assert all(npz[key].dtype != object for key in npz.files)


def test_prediction_risk_of_true_beta_is_noise_variance():
    truth = lasso.load_lasso_truth()
    assert truth.prediction_risk(truth.beta) == pytest.approx(0.16)
    assert truth.prediction_risk(np.zeros(50)) > 0.16


def test_prediction_risk_rejects_wrong_length():
    with pytest.raises(ValueError, match="coef must have shape"):
        lasso.load_lasso_truth().prediction_risk(np.zeros(3))


def test_load_lasso_rejects_corrupt_file(tmp_path):
    bad = tmp_path / lasso.DATA_FILE
    shutil.copy(config.data_dir() / lasso.DATA_FILE, bad)
    raw = bytearray(bad.read_bytes())
    raw[-100] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"does not match its sha256.*make_lasso_data"):
        lasso.load_lasso(bad)


def test_load_lasso_reports_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"missing.*git checkout"):
        lasso.load_lasso(tmp_path / "lasso.npz")


def test_load_lasso_truth_rejects_inconsistent_masks(data_copy):
    _, truth = lasso.generate_lasso()
    truth["weak"] = truth["weak"].copy()
    truth["weak"][truth["strong"]] = True
    path = lasso.write_npz(data_copy / lasso.TRUTH_FILE, truth)
    _set_manifest_line(data_copy, lasso.TRUTH_FILE, path)  # the hash matches: the content check must catch it
    with pytest.raises(DataError, match="strong/weak masks"):
        lasso.load_lasso_truth()


def test_load_lasso_truth_at_another_path_is_checked_against_its_line(tmp_path):
    _, truth = lasso.generate_lasso()
    truth["sigma"] = np.array([0.5])
    path = lasso.write_npz(tmp_path / "other_truth.npz", truth)
    with pytest.raises(DataError, match=r"other_truth\.npz does not match its sha256.*lasso_truth\.npz"):
        lasso.load_lasso_truth(path)


@pytest.mark.parametrize("loader", [lasso.load_lasso, lasso.load_lasso_truth])
@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_loaders_refuse_to_skip_the_hash_check_without_a_manifest(data_copy, loader, damage):
    if damage == "delete":
        (data_copy / "MANIFEST").unlink()
    else:
        (data_copy / "MANIFEST").write_text("")
    with pytest.raises(DataError, match=r"MANIFEST (is missing|lists no files).*`git checkout data/MANIFEST`"):
        loader()


@pytest.mark.parametrize("loader, name", [(lasso.load_lasso, lasso.DATA_FILE),
                                          (lasso.load_lasso_truth, lasso.TRUTH_FILE)])
def test_loaders_name_a_vendored_file_missing_its_manifest_line(data_copy, loader, name):
    manifest = data_copy / "MANIFEST"
    manifest.write_text("".join(f"{line}\n" for line in manifest.read_text().splitlines()
                                if not line.endswith(f"  {name}")))
    with pytest.raises(DataError, match=rf"no line for {name}.*git checkout data/MANIFEST"):
        loader()


def test_other_data_loaded_silently_before_is_now_refused(data_copy):
    # The audit's case: MANIFEST deleted, both files replaced by other data.
    data, truth = lasso.generate_lasso(seed=1)
    lasso.write_npz(data_copy / lasso.DATA_FILE, data)
    lasso.write_npz(data_copy / lasso.TRUTH_FILE, truth)
    (data_copy / "MANIFEST").unlink()
    with pytest.raises(DataError, match="MANIFEST is missing"):
        lasso.load_lasso()
    with pytest.raises(DataError, match="MANIFEST is missing"):
        lasso.prepare(verbose=False)


@pytest.mark.parametrize("key", ["X", "y"])
def test_load_lasso_rejects_nan_even_with_a_matching_hash(data_copy, key):
    data, _ = lasso.generate_lasso()
    data[key] = data[key].copy()
    data[key][3] = np.nan
    path = lasso.write_npz(data_copy / lasso.DATA_FILE, data)
    _set_manifest_line(data_copy, lasso.DATA_FILE, path)
    with pytest.raises(DataError, match=rf"array '{key}' in .*lasso\.npz holds \d+ non-finite .*git checkout"):
        lasso.load_lasso()


def test_load_lasso_truth_rejects_inf_covariance(data_copy):
    _, truth = lasso.generate_lasso()
    truth["x_cov"] = truth["x_cov"].copy()
    truth["x_cov"][0, 0] = np.inf
    path = lasso.write_npz(data_copy / lasso.TRUTH_FILE, truth)
    _set_manifest_line(data_copy, lasso.TRUTH_FILE, path)
    with pytest.raises(DataError, match=r"array 'x_cov' .* holds 1 non-finite value .*index \(0, 0\)"):
        lasso.load_lasso_truth()


def test_directory_in_place_of_the_file(data_copy):
    (data_copy / lasso.DATA_FILE).unlink()
    (data_copy / lasso.DATA_FILE).mkdir()
    with pytest.raises(DataError, match=r"lasso\.npz is not a file \(a directory\?\); remove it"):
        lasso.load_lasso()
    with pytest.raises(DataError, match=r"lasso\.npz is not a file \(a directory\?\); remove it .*git checkout"):
        lasso.prepare(verbose=False)
    assert sorted(p.name for p in data_copy.iterdir()) == ["MANIFEST", "lasso.npz", "lasso_truth.npz"]


def test_unreadable_file_is_a_data_error(data_copy, monkeypatch):
    target = data_copy / lasso.DATA_FILE
    deny_read(monkeypatch, target)
    for call in (lasso.load_lasso, lambda: lasso.prepare(verbose=False)):
        with pytest.raises(DataError, match=r"lasso\.npz cannot be read \(Permission denied\).*chmod u\+r"):
            call()


def test_prepare_without_manifest_regenerates_nothing(data_copy):
    (data_copy / lasso.TRUTH_FILE).unlink()
    (data_copy / "MANIFEST").unlink()
    with pytest.raises(DataError, match=r"MANIFEST is missing.*git checkout data/MANIFEST"):
        lasso.prepare(verbose=False)
    assert sorted(p.name for p in data_copy.iterdir()) == ["lasso.npz"]


def test_prepare_regenerates_a_missing_file_and_writes_nothing_otherwise(data_copy, monkeypatch):
    (data_copy / lasso.DATA_FILE).unlink()
    lasso.prepare(verbose=False)
    assert sha256_file(data_copy / lasso.DATA_FILE) == read_manifest()[lasso.DATA_FILE]

    def no_writes(*args, **kwargs):
        raise AssertionError("prepare() wrote a file although both were there")

    monkeypatch.setattr(lasso, "atomic_write", no_writes)
    assert [p.name for p in lasso.prepare(verbose=False)] == [lasso.DATA_FILE, lasso.TRUTH_FILE]


def test_write_npz_failure_keeps_old_file_and_leaves_no_tmp(tmp_path, monkeypatch):
    path = tmp_path / "x.npz"
    path.write_bytes(b"old")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(DataError, match=r"cannot write data file .*x\.npz \(No space left on device\)"):
        lasso.write_npz(path, {"a": np.zeros(3)})
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["x.npz"]


def test_write_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match="dtype object"):
        lasso.write_npz(tmp_path / "x.npz", {"a": np.array([{}, 1], dtype=object)})
    assert os.listdir(tmp_path) == []


def test_prepare_verifies_committed_files():
    paths = lasso.prepare(verbose=False)
    assert [p.name for p in paths] == [lasso.DATA_FILE, lasso.TRUTH_FILE]


def test_plot_lasso_path_highlights_and_labels():
    import matplotlib.pyplot as plt

    from mlcourse.plots import plot_lasso_path

    ax = plot_lasso_path([1.0, 0.1, 0.01], [[0, 1, 2], [0, 0, 1], [0, 0, 0]], highlight=[0], mark_alpha=0.1)
    assert ax.get_xscale() == "log"
    assert "lambda" in ax.get_xlabel()
    assert len(ax.get_legend().get_texts()) == 2
    plt.close(ax.figure)


def test_plot_lasso_path_rejects_mismatched_shapes():
    from mlcourse.plots import plot_lasso_path

    with pytest.raises(ValueError, match="coefs must have shape"):
        plot_lasso_path([1.0, 0.1], [[0, 1, 2]])


def test_write_npz_keeps_zero_dimensional_arrays(tmp_path):
    path = lasso.write_npz(tmp_path / "x.npz", {"s": np.float64(0.4), "v": np.arange(3.0)})
    with np.load(path, allow_pickle=False) as npz:
        assert npz["s"].shape == () and npz["s"] == 0.4
        assert npz["v"].tolist() == [0.0, 1.0, 2.0]
