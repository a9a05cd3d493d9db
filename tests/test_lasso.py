"""Tests of the lasso data (mlcourse.data.lasso) and the lasso-path plot."""

import shutil

import numpy as np
import pytest

from mlcourse import config
from mlcourse.data import lasso
from mlcourse.data.manifest import DataError, read_manifest, sha256_file


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


def test_load_lasso_truth_rejects_inconsistent_masks(tmp_path):
    _, truth = lasso.generate_lasso()
    truth["weak"] = truth["weak"].copy()
    truth["weak"][truth["strong"]] = True
    path = lasso.write_npz(tmp_path / "other_truth.npz", truth)  # not in MANIFEST: no hash check
    with pytest.raises(DataError, match="strong/weak masks"):
        lasso.load_lasso_truth(path)


def test_write_npz_refuses_object_arrays(tmp_path):
    with pytest.raises(ValueError, match="dtype object"):
        lasso.write_npz(tmp_path / "x.npz", {"a": np.array([{}, 1], dtype=object)})


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
