"""Tests of the lasso data (mlcourse.data.lasso), a user's own data file, notebook 07 on it, and the lasso-path plot."""

import json
import os
import shutil

import numpy as np
import pytest
from faults import deny_read

from mlcourse import config
from mlcourse.data import lasso
from mlcourse.data.manifest import DataError, read_manifest, sha256_file


@pytest.fixture(autouse=True)
def no_user_data(monkeypatch):
    """Every test starts without MLCOURSE_LASSO_DATA, whatever the shell that runs pytest has set."""
    monkeypatch.delenv(lasso.DATA_ENV, raising=False)


def truth_of_generated():
    return lasso.load_lasso_truth(lasso.load_lasso())


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
    data = lasso.load_lasso()
    assert data.X.shape == (100, 50) and data.y.shape == (100,)
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.source.startswith("generated") and data.generated
    assert data.sha256 == read_manifest()[lasso.DATA_FILE]


def test_lasso_truth_has_five_strong_and_four_weak_coefficients():
    truth = truth_of_generated()
    assert truth.strong.sum() == 5 and truth.weak.sum() == 4
    assert len(truth.support) == 9
    assert np.all(np.abs(truth.effect[truth.strong]) >= 1.0)
    assert np.all(np.abs(truth.effect[truth.weak]) <= 0.25)
    assert truth.sigma == pytest.approx(0.4)


def test_lasso_columns_have_unequal_scale():
    X = lasso.load_lasso().X
    spread = X.std(axis=0)
    assert spread.max() / spread.min() > 50


def test_lasso_response_matches_truth_up_to_noise():
    X, y = lasso.load_lasso()[:2]
    truth = truth_of_generated()
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
    truth = truth_of_generated()
    assert truth.prediction_risk(truth.beta) == pytest.approx(0.16)
    assert truth.prediction_risk(np.zeros(50)) > 0.16


def test_prediction_risk_rejects_wrong_length():
    with pytest.raises(ValueError, match="coef must have shape"):
        truth_of_generated().prediction_risk(np.zeros(3))


def test_load_lasso_rejects_corrupt_generated_file(data_copy):
    bad = data_copy / lasso.DATA_FILE
    raw = bytearray(bad.read_bytes())
    raw[-100] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"does not match its sha256.*make_lasso_data"):
        lasso.load_lasso()


def test_load_lasso_reports_missing_generated_file(data_copy):
    (data_copy / lasso.DATA_FILE).unlink()
    with pytest.raises(DataError, match=r"lasso\.npz is missing.*git checkout"):
        lasso.load_lasso()


def test_load_lasso_truth_rejects_inconsistent_masks(data_copy):
    _, truth = lasso.generate_lasso()
    truth["weak"] = truth["weak"].copy()
    truth["weak"][truth["strong"]] = True
    path = lasso.write_npz(data_copy / lasso.TRUTH_FILE, truth)
    _set_manifest_line(data_copy, lasso.TRUTH_FILE, path)  # the hash matches: the content check must catch it
    with pytest.raises(DataError, match="strong/weak masks"):
        lasso.load_lasso_truth(data_copy / lasso.DATA_FILE)


def test_load_lasso_truth_at_another_path_is_checked_against_its_line(tmp_path):
    _, truth = lasso.generate_lasso()
    truth["sigma"] = np.array([0.5])
    path = lasso.write_npz(tmp_path / "other_truth.npz", truth)
    with pytest.raises(DataError, match=r"other_truth\.npz does not match its sha256.*lasso_truth\.npz"):
        lasso.load_lasso_truth(lasso.load_lasso(), path)


def _truth_of_copy():
    return lasso.load_lasso_truth(config.data_dir() / lasso.DATA_FILE)


@pytest.mark.parametrize("loader", [lasso.load_lasso, _truth_of_copy])
@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_loaders_refuse_to_skip_the_hash_check_without_a_manifest(data_copy, loader, damage):
    if damage == "delete":
        (data_copy / "MANIFEST").unlink()
    else:
        (data_copy / "MANIFEST").write_text("")
    with pytest.raises(DataError, match=r"MANIFEST (is missing|lists no files).*`git checkout data/MANIFEST`"):
        loader()


@pytest.mark.parametrize("loader, name", [(lasso.load_lasso, lasso.DATA_FILE),
                                          (_truth_of_copy, lasso.TRUTH_FILE)])
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
        _truth_of_copy()


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


# --------------------------------------------------------------------------- your own data


def _user_file(path, n=40, p=6, seed=0, **arrays):
    """An .npz shaped like a user's data: X (n, p), y (n,), with any array replaced by ``arrays``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    contents = {"X": X, "y": X[:, 0] - 2 * X[:, 1] + rng.standard_normal(n)}
    contents.update(arrays)
    np.savez(path, **contents)
    return path


def test_user_file_from_the_environment_loads_with_its_own_source(tmp_path, monkeypatch):
    path = _user_file(tmp_path / "mine.npz")
    monkeypatch.setenv(lasso.DATA_ENV, str(path))
    data = lasso.load_lasso()
    assert data.X.shape == (40, 6) and data.y.shape == (40,) and data.X.dtype == np.float64
    assert data.path == path and not data.generated
    assert data.source.startswith(f"your data: {path} (from {lasso.DATA_ENV})")
    assert "no truth file describes it" in data.source and "generated" not in data.source.split(";")[0]
    assert data.sha256 == sha256_file(path)


def test_user_file_has_no_truth(tmp_path):
    data = lasso.load_lasso(_user_file(tmp_path / "mine.npz"))
    assert lasso.load_lasso_truth(data) is None
    assert lasso.load_lasso_truth(data.path) is None


def test_explicit_path_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(lasso.DATA_ENV, str(tmp_path / "absent.npz"))
    data = lasso.load_lasso(_user_file(tmp_path / "mine.npz"))
    assert data.path.name == "mine.npz" and "from MLCOURSE_LASSO_DATA" not in data.source


def test_environment_pointing_at_the_generated_file_is_the_generated_data(monkeypatch):
    monkeypatch.setenv(lasso.DATA_ENV, str(config.data_dir() / lasso.DATA_FILE))
    data = lasso.load_lasso()
    assert data.generated and data.source == lasso.SOURCE


def test_truth_records_the_hash_of_the_generated_data():
    truth = truth_of_generated()
    assert truth.data_sha256 == read_manifest()[lasso.DATA_FILE] == sha256_file(config.data_dir() / lasso.DATA_FILE)


def test_truth_refuses_a_changed_copy_of_the_generated_data(tmp_path):
    data, _ = lasso.generate_lasso()
    data["y"] = data["y"] + 1e-9          # same shape, same look: another file all the same
    path = lasso.write_npz(tmp_path / "lasso.npz", data)   # even under the generated file's name
    changed = lasso.load_lasso(path)
    assert not changed.generated and changed.source.startswith("your data:")
    assert lasso.load_lasso_truth(changed) is None


def test_truth_attaches_to_an_exact_copy_by_hash(tmp_path):
    copy = tmp_path / "renamed.npz"
    shutil.copy(config.data_dir() / lasso.DATA_FILE, copy)
    data = lasso.load_lasso(copy)
    assert data.generated and "identical to the generated data/lasso.npz" in data.source
    assert np.array_equal(lasso.load_lasso_truth(data).beta, truth_of_generated().beta)


def test_load_lasso_truth_rejects_other_arguments():
    with pytest.raises(TypeError, match="load_lasso"):
        lasso.load_lasso_truth(np.zeros((100, 50)))


@pytest.mark.parametrize("arrays, message", [
    ({"X": np.zeros(40)}, r"array 'X' in .*mine\.npz has shape \(40,\); it must be 2-D, \(n, p\)"),
    ({"y": np.zeros((40, 1))}, r"array 'y' in .*mine\.npz has shape \(40, 1\); it must be 1-D, \(n,\) \(save y\.ravel\(\)\)"),
    ({"y": np.arange(39.0)}, r"mine\.npz: X has 40 rows but y has 39 values"),
    ({"X": np.where(np.eye(40, 6) > 0, np.nan, 1.0) + np.arange(40)[:, None]},
     r"array 'X' in .*mine\.npz holds 6 non-finite value\(s\) \(NaN or inf\), first at index \(0, 0\)"),
    ({"y": np.r_[np.inf, np.arange(39.0)]}, r"array 'y' in .*mine\.npz holds 1 non-finite"),
    ({"y": np.array(["a"] * 40)}, r"array 'y' in .*mine\.npz has dtype <U1; the lasso needs real numbers"),
    ({"X": np.random.default_rng(1).standard_normal((10, 6)), "y": np.arange(10.0)},
     r"mine\.npz has X of shape \(10, 6\); notebook 07 needs at least 20 rows"),
    ({"X": np.c_[np.ones(40), np.random.default_rng(1).standard_normal((40, 3))]},
     r"mine\.npz: column\(s\) \[0\] of X are constant; drop them"),
    ({"y": np.full(40, 3.0)}, r"mine\.npz: y is constant"),
])
def test_bad_user_file_is_a_data_error_naming_file_and_fix(tmp_path, arrays, message):
    path = _user_file(tmp_path / "mine.npz", **arrays)
    with pytest.raises(DataError, match=message) as err:
        lasso.load_lasso(path)
    assert f"unset {lasso.DATA_ENV}" in str(err.value) and "numpy.savez" in str(err.value)


def test_user_file_without_y_is_named(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, X=np.random.default_rng(0).standard_normal((40, 5)), target=np.zeros(40))
    with pytest.raises(DataError, match=r"mine\.npz has no array 'y' \(it has \['X', 'target'\]\)"):
        lasso.load_lasso(path)


@pytest.mark.parametrize("make, message", [
    (lambda p: None, r"data file .*mine\.npz is missing; save your data"),
    (lambda p: p.mkdir(), r"mine\.npz is not a file \(a directory\?\)"),
    (lambda p: p.write_text("X,y\n1,2\n"), r"mine\.npz cannot be read as \.npz"),
])
def test_missing_or_unreadable_user_file(tmp_path, monkeypatch, make, message):
    path = tmp_path / "mine.npz"
    make(path)
    monkeypatch.setenv(lasso.DATA_ENV, str(path))
    with pytest.raises(DataError, match=message):
        lasso.load_lasso()


def test_user_file_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, X=np.zeros((40, 3)), y=np.array([{}] * 40, dtype=object))
    with pytest.raises(DataError, match=r"cannot be read as \.npz"):
        lasso.load_lasso(path)


def test_notebook_07_runs_on_a_user_file_without_truth_and_skips_the_grading(tmp_path):
    """The notebook end to end (fast mode) on scikit-learn's diabetes data (n=442, p=10), which has no truth."""
    import nbformat
    from sklearn.datasets import load_diabetes

    from mlcourse import runner

    diabetes = load_diabetes()
    path = tmp_path / "diabetes.npz"
    np.savez(path, X=diabetes.data, y=diabetes.target)
    records = tmp_path / "records.json"
    env = runner.kernel_environment("07_lasso_kernels", True, records, threads=1)
    env[lasso.DATA_ENV] = str(path)
    notebook = config.project_root() / "notebooks" / "07_lasso_kernels.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    client = runner.notebook_client(nb, cwd=notebook.parent, prefix=tmp_path / "kernel", timeout=120)
    client.execute(env=env)  # raises CellExecutionError on any error
    text = "\n".join(out.get("text", "") + out.get("data", {}).get("text/markdown", "")
                     for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)
    assert f"your data: {path} (from {lasso.DATA_ENV}), X 442 x 10" in text
    assert text.count("not graded: this bar was set on the generated data") == 2
    assert text.count("no truth for this data: skipped") == 3
    assert f"**No truth to grade against.** This run uses {path}" in text
    metrics = {r["metric"] for r in json.loads(records.read_text()) if r.get("kind") != "claim"}
    assert metrics and not metrics & {"cv_mse_refit_1se", "cv_mse_lasso", "strong_support_recall",
                                      "support_precision_1se", "true_risk_refit_1se"}
    assert "kernel_ridge_max_abs_diff" in metrics
