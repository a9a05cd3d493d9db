"""Sine-wave data (generation, checks, loader errors) and the plot_predictions helper."""

import os

from faults import deny_read

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlcourse import plots  # noqa: E402
from mlcourse.data import sine_waves  # noqa: E402
from mlcourse.data.manifest import DataError  # noqa: E402

SMALL = {"train": 20, "test": 6, "extended_test": 9}


@pytest.fixture
def small(monkeypatch, tmp_path):
    """Shrink the splits and point data/sine/ at a temporary folder."""
    monkeypatch.setattr(sine_waves, "SIZES", SMALL)
    monkeypatch.setattr(sine_waves, "data_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_sample_points_span_zero_to_ten_pi_with_ends():
    x = sine_waves.sample_points()
    assert x.shape == (1000,)
    assert x[0] == 0.0 and x[-1] == pytest.approx(10 * np.pi)
    assert np.allclose(np.diff(x), 10 * np.pi / 999)


def test_sine_curves_follow_the_formula():
    a, b, c, d = 0.024, 0.533, 0.018, 0.558
    x = sine_waves.sample_points()
    expected = a * np.sin(b * x) + c * np.cos(d * x)
    assert np.allclose(sine_waves.sine_curves([[a, b, c, d]])[0], expected)


def test_sine_curves_rejects_wrong_parameter_shape():
    with pytest.raises(ValueError, match=r"shape \(n, 4\).*got \(3,\)"):
        sine_waves.sine_curves([1.0, 2.0, 3.0])


def test_sine_curves_rejects_non_finite_parameters():
    with pytest.raises(ValueError, match="finite"):
        sine_waves.sine_curves([[1.0, np.nan, 0.0, 0.0]])


def test_sample_points_rejects_too_few_points():
    with pytest.raises(ValueError, match="n_points must be an integer >= 2"):
        sine_waves.sample_points(1)


def test_random_curves_follow_the_training_rule():
    X, y = sine_waves.random_curves(50, np.random.default_rng(3))
    assert X.shape == (50, 1000) and y.shape == (50, 4)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert y.min() >= 0.0 and y.max() <= 1.0
    assert np.max(np.abs(X - sine_waves.sine_curves(y))) <= sine_waves.TOLERANCE
    assert np.array_equal(X[:, 0], y[:, 2])  # f(0) = c exactly


def test_random_curves_are_fresh_on_each_call_and_reproducible_by_seed():
    rng = np.random.default_rng(0)
    first, second = sine_waves.random_curves(4, rng), sine_waves.random_curves(4, rng)
    assert not np.array_equal(first[1], second[1])
    again = sine_waves.random_curves(4, np.random.default_rng(0))
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_random_curves_rejects_bad_count(n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        sine_waves.random_curves(n, np.random.default_rng(0))


def test_random_curves_rejects_legacy_random_state():
    with pytest.raises(ValueError, match=r"rng must be a numpy.random.Generator.*got RandomState"):
        sine_waves.random_curves(2, np.random.RandomState(0))


def test_generate_gives_promised_shapes_dtype_and_range(small):
    arrays = sine_waves.generate(seed=0)
    for split, rows in SMALL.items():
        assert arrays[f"X_{split}"].shape == (rows, 1000)
        assert arrays[f"y_{split}"].shape == (rows, 4)
        assert arrays[f"X_{split}"].dtype == np.float32
    for split in ("train", "test"):
        y = arrays[f"y_{split}"]
        assert y.min() >= 0.0 and y.max() <= 1.0


def test_generate_is_deterministic_and_seed_dependent(small):
    first, again, other = sine_waves.generate(0), sine_waves.generate(0), sine_waves.generate(1)
    assert np.array_equal(first["y_train"], again["y_train"])
    assert np.array_equal(first["X_test"], again["X_test"])
    assert not np.array_equal(first["y_train"], other["y_train"])


def test_extended_test_parameters_are_the_nine_specified():
    expected = [(0, 0, 0, 0), (1, 1, 0, 0), (0, 0, 1, 1), (-1, 1, 0, 0), (0, 0, -1, 1),
                (2, 1, 0, 0), (1, 2, 0, 0), (0, 0, 2, 1), (0, 0, 1, 2)]
    assert sine_waves.EXTENDED_PARAMS.tolist() == [list(map(float, row)) for row in expected]


def test_prepare_writes_six_loadable_files(small):
    folder = sine_waves.prepare(verbose=False)
    assert sorted(p.name for p in folder.glob("*.npy")) == sorted(
        f"sinewaves_{v}_{s}.npy" for s in SMALL for v in ("X", "y"))
    X_train, y_train, *_, source = sine_waves.load_sine_waves(folder)
    assert np.load(folder / "sinewaves_X_train.npy").shape == (20, 1000)
    assert np.allclose(X_train[0], sine_waves.sine_curves(y_train[:1])[0], atol=1e-5)
    assert "a*sin(b*x) + c*cos(d*x)" in source


def test_prepare_regenerates_a_missing_file_identically(small):
    folder = sine_waves.prepare(verbose=False)
    before = np.load(folder / "sinewaves_y_train.npy")
    (folder / "sinewaves_y_train.npy").unlink()
    sine_waves.prepare(verbose=False)
    assert np.array_equal(np.load(folder / "sinewaves_y_train.npy"), before)


def test_load_reports_truncated_file(small):
    folder = sine_waves.prepare(verbose=False)
    path = folder / "sinewaves_X_test.npy"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match=r"sinewaves_X_test\.npy cannot be read as \.npy.*truncated.*prepare\(\)"):
        sine_waves.load_sine_waves(folder)


def test_load_reports_wrong_shape_with_fix(small):
    folder = sine_waves.prepare(verbose=False)
    np.save(folder / "sinewaves_y_test.npy", np.zeros((6, 3), dtype=np.float32))
    with pytest.raises(DataError, match=r"sinewaves_y_test\.npy.*shape \(6, 3\), expected \(6, 4\).*make data"):
        sine_waves.load_sine_waves(folder)


def test_load_reports_wrong_dtype(small):
    folder = sine_waves.prepare(verbose=False)
    X = np.load(folder / "sinewaves_X_extended_test.npy")
    np.save(folder / "sinewaves_X_extended_test.npy", X.astype(np.float64))
    with pytest.raises(DataError, match=r"sinewaves_X_extended_test\.npy.*dtype float64, expected float32"):
        sine_waves.load_sine_waves(folder)


def test_load_reports_curves_that_do_not_match_parameters(small):
    folder = sine_waves.prepare(verbose=False)
    y = np.load(folder / "sinewaves_y_train.npy")
    np.save(folder / "sinewaves_y_train.npy", (y + 0.1).astype(np.float32))
    with pytest.raises(DataError, match=r"sinewaves_X_train\.npy does not match the parameters"):
        sine_waves.load_sine_waves(folder)


STEMS = [f"{v}_{s}" for s in SMALL for v in ("X", "y")]


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("stem", STEMS)
def test_load_reports_non_finite_value_in_any_array(small, stem, bad):
    folder = sine_waves.prepare(verbose=False)
    path = folder / f"sinewaves_{stem}.npy"
    array = np.load(path)
    array[-1, 2] = bad
    np.save(path, array)
    with pytest.raises(DataError, match=rf"sinewaves_{stem}\.npy holds 1 non-finite value \(NaN or inf\), "
                                        rf"first at index \({array.shape[0] - 1}, 2\).*delete data/sine/.*make data"):
        sine_waves.load_sine_waves(folder)


def test_prepare_reports_nan_instead_of_accepting_it(small):
    folder = sine_waves.prepare(verbose=False)
    X = np.load(folder / "sinewaves_X_train.npy")
    X[0, 0] = np.nan  # max(0.0, nan) is 0.0: this passed the curve check before
    np.save(folder / "sinewaves_X_train.npy", X)
    with pytest.raises(DataError, match=r"sinewaves_X_train\.npy holds 1 non-finite value.*prepare\(\)"):
        sine_waves.prepare(verbose=False)


def test_load_reports_directory_in_place_of_a_file(small):
    folder = sine_waves.prepare(verbose=False)
    (folder / "sinewaves_y_test.npy").unlink()
    (folder / "sinewaves_y_test.npy").mkdir()
    with pytest.raises(DataError, match=r"sinewaves_y_test\.npy is not a file \(a directory\?\); remove it"):
        sine_waves.load_sine_waves(folder)


def test_prepare_with_directory_in_place_of_a_file_writes_nothing(small):
    (small / "sinewaves_X_test.npy").mkdir()
    with pytest.raises(DataError, match=r"sinewaves_X_test\.npy is not a file \(a directory\?\); remove it "
                                        r"\(`rm -r .*`\), then run `make data`"):
        sine_waves.prepare(verbose=False)
    assert _files(small) == ["sinewaves_X_test.npy"]  # no other file, no stray .tmp


def test_load_reports_unreadable_file(small, monkeypatch):
    folder = sine_waves.prepare(verbose=False)
    target = folder / "sinewaves_X_test.npy"
    deny_read(monkeypatch, target)
    with pytest.raises(DataError, match=r"sinewaves_X_test\.npy cannot be read \(Permission denied\).*chmod u\+r"):
        sine_waves.load_sine_waves(folder)


def test_failed_write_leaves_no_file_and_no_tmp(small, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    with pytest.raises(DataError, match=r"cannot write data file .*sinewaves_y_train\.npy \(No space left on device\)"):
        sine_waves.prepare(verbose=False)
    assert _files(small) == []


def test_prepare_writes_only_missing_files_and_nothing_when_complete(small, monkeypatch):
    folder = sine_waves.prepare(verbose=False)
    os.utime(folder / "sinewaves_X_train.npy", ns=(0, 0))
    (folder / "sinewaves_y_test.npy").unlink()
    sine_waves.prepare(verbose=False)
    assert (folder / "sinewaves_X_train.npy").stat().st_mtime_ns == 0  # kept, not rewritten
    assert (folder / "sinewaves_y_test.npy").is_file()

    def no_writes(*args, **kwargs):
        raise AssertionError("prepare() wrote a file although all six were there")

    monkeypatch.setattr(sine_waves, "atomic_write", no_writes)
    assert sine_waves.prepare(verbose=False) == folder
    assert len(_files(folder)) == 6


def test_generated_bytes_are_unchanged(small):
    # sha256 of the files this module wrote before its writer moved to mlcourse.data._io
    import hashlib

    folder = sine_waves.prepare(verbose=False)
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in folder.iterdir()}
    assert digests["sinewaves_y_extended_test.npy"] == "835585cc5ed62398"
    assert digests["sinewaves_X_extended_test.npy"] == "d37163f2f63a889f"
    assert (folder / "sinewaves_y_train.npy").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_load_reports_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"sinewaves_X_train\.npy is missing.*make data"):
        sine_waves.load_sine_waves(tmp_path)


def test_file_path_rejects_unknown_array():
    with pytest.raises(ValueError, match="unknown sine-wave array 'X_valid'"):
        sine_waves.file_path("X_valid")


def test_plot_predictions_draws_true_and_rebuilt_curves_with_values():
    y_true = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.25]])
    y_pred = np.array([[0.9, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.25]])
    X = sine_waves.sine_curves(y_true)
    axes = plots.plot_predictions(X, y_true, y_pred)
    assert len(axes) == 2
    true_line, rebuilt_line = axes[0].get_lines()
    assert np.allclose(true_line.get_ydata(), X[0])
    assert np.allclose(rebuilt_line.get_ydata(), 0.9 * X[0])
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "(1.000, 0.500, 0.000, 0.000)" in labels[0] and "(0.900, 0.500, 0.000, 0.000)" in labels[1]
    assert axes[-1].get_xlabel() == "x (radians)"


def test_plot_predictions_defaults_to_first_five_rows():
    y = np.full((8, 4), 0.5)
    axes = plots.plot_predictions(sine_waves.sine_curves(y), y, y)
    assert len(axes) == 5
    assert axes[4].get_title().startswith("row 4")


def test_plot_predictions_rejects_mismatched_predictions():
    y = np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match=r"y_pred must have shape \(3, 4\) to match X, got \(3, 3\)"):
        plots.plot_predictions(sine_waves.sine_curves(y), y, y[:, :3])


def test_plot_predictions_rejects_rows_out_of_range():
    y = np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match=r"indices in \[0, 3\), got \[0, 7\]"):
        plots.plot_predictions(sine_waves.sine_curves(y), y, y, rows=[0, 7])


def test_plot_predictions_legends_cover_no_curve_and_rows_share_one_y_scale():
    y_true = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.2, 0.25]])
    X = sine_waves.sine_curves(y_true)
    axes = plots.plot_predictions(X, y_true, y_true * 0.9, title="a suptitle")
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    assert axes[0].get_ylim() == axes[1].get_ylim()
    title_box = fig._suptitle.get_window_extent(renderer)
    assert title_box.y0 >= axes[0].title.get_window_extent(renderer).y1  # the suptitle sits above the first panel's title


def test_plot_predictions_labels_the_rebuilt_curve_as_asked():
    y = np.full((1, 4), 0.5)
    axes = plots.plot_predictions(sine_waves.sine_curves(y), y, y, pred_label="least-squares refit")
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels[1].startswith("least-squares refit") and "(0.500, 0.500, 0.500, 0.500)" in labels[1]
