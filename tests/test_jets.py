"""The jet loader picks its source correctly without a network, and the stand-in keeps its promises."""

import socket

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mlcourse import plots  # noqa: E402
from mlcourse.data import jets  # noqa: E402
from mlcourse.data.manifest import DataError  # noqa: E402


@pytest.fixture(autouse=True)
def no_network_and_no_env(monkeypatch):
    """No test may reach the network: sockets and scikit-learn's fetch_openml fail at once."""
    monkeypatch.delenv(jets.SOURCE_ENV, raising=False)

    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", refuse)
    yield
    plt.close("all")


def never_called(*args, **kwargs):
    raise AssertionError("this should not have been called")


def real_frame(n=50, drop=()):
    X, y = jets.make_standin_jets(n, seed=3)
    frame = pd.DataFrame(X, columns=jets.FEATURES).drop(columns=list(drop))
    return frame, pd.Series(y, name="class")


def write_small_cache(home, n=40):
    X, y = jets.make_standin_jets(n, seed=5)
    path = jets.cache_path(home)
    jets.write_cache(path, X, y)
    return path, X, y


def test_cached_file_is_used_without_touching_the_network(tmp_path):
    path, X, y = write_small_cache(tmp_path)
    data = jets.load_jets(data_home=tmp_path, online=never_called, fetch=never_called)
    assert not data.standin
    assert "REAL DATA" in data.source and str(path) in data.source
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)


def test_cached_file_is_subsampled_without_replacement(tmp_path):
    write_small_cache(tmp_path, n=40)
    data = jets.load_jets(10, data_home=tmp_path, online=never_called, fetch=never_called)
    assert data.X.shape == (10, 16) and len(np.unique(data.X, axis=0)) == 10


def test_corrupt_cache_prints_clear_message_and_uses_standin(tmp_path, capsys):
    path, _, _ = write_small_cache(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])  # truncated download
    data = jets.load_jets(20, data_home=tmp_path, online=never_called, fetch=never_called)
    message = capsys.readouterr().out
    assert data.standin and "STAND-IN" in data.source
    assert str(path) in message and "delete it" in message


def test_corrupt_cache_raises_data_error_when_real_data_is_required(tmp_path):
    path, _, _ = write_small_cache(tmp_path)
    path.write_bytes(b"not an npz file")
    with pytest.raises(DataError, match="hls4ml_lhc_jets_hlf.npz.*delete it"):
        jets.load_jets(data_home=tmp_path, source="openml", online=never_called, fetch=never_called)


def test_missing_column_prints_clear_message_and_uses_standin(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, online=lambda: True,
                          fetch=lambda home, timeout: real_frame(drop=["multiplicity"]))
    message = capsys.readouterr().out
    assert data.standin
    assert "lacks the columns ['multiplicity']" in message
    assert not jets.cache_path(tmp_path).exists()


def test_no_network_and_no_cache_uses_standin_without_fetching(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, online=lambda: False, fetch=never_called)
    assert data.standin and data.X.shape == (20, 16)
    assert "unreachable (no network)" in capsys.readouterr().out


def test_default_fetch_failure_becomes_one_clear_message(tmp_path, monkeypatch):
    calls = []

    def fake_fetch_openml(**kwargs):
        calls.append(kwargs)
        raise TimeoutError("timed out")

    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)
    with pytest.raises(DataError, match=r"downloading hls4ml_lhc_jets_hlf from OpenML failed \(TimeoutError"):
        jets.load_jets(data_home=tmp_path, source="openml", online=lambda: True)
    assert calls[0]["data_id"] == jets.OPENML_ID and calls[0]["n_retries"] == 1


def test_default_connectivity_check_fails_fast_without_network(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, timeout=0.5)  # real openml_reachable, sockets refused
    assert data.standin
    assert "unreachable" in capsys.readouterr().out


def test_download_is_cached_so_the_second_run_is_offline(tmp_path):
    frame, labels = real_frame(30)
    first = jets.load_jets(data_home=tmp_path, online=lambda: True, fetch=lambda home, timeout: (frame, labels))
    second = jets.load_jets(data_home=tmp_path, online=never_called, fetch=never_called)
    assert not first.standin and "downloaded" in first.source
    assert not second.standin and "cached" in second.source
    np.testing.assert_array_equal(first.X, second.X)


def test_unknown_label_in_download_is_a_clear_error():
    frame, labels = real_frame(10)
    labels[:] = "x"
    with pytest.raises(DataError, match=r"unexpected class labels \['x'\]"):
        jets.frame_to_arrays(frame, labels)


def test_standin_source_can_be_forced():
    data = jets.load_jets(15, source="standin", verbose=False, online=never_called, fetch=never_called)
    assert data.standin and "STAND-IN" in data.source


def test_load_jets_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_rows must be a positive integer"):
        jets.load_jets(0, source="standin")
    with pytest.raises(ValueError, match="source must be 'auto', 'openml' or 'standin'"):
        jets.load_jets(10, source="kaggle")


def test_standin_is_deterministic_balanced_and_has_the_schema():
    X1, y1 = jets.make_standin_jets(1000, seed=1)
    X2, y2 = jets.make_standin_jets(1000, seed=1)
    X3, _ = jets.make_standin_jets(1000, seed=2)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape == (1000, 16) and X1.dtype == np.float32 and np.isfinite(X1).all()
    assert {c: int((y1 == c).sum()) for c in jets.CLASSES} == dict.fromkeys(jets.CLASSES, 200)


def test_standin_mass_peaks_and_multiplicity_follow_the_physics():
    X, y = jets.make_standin_jets(20_000, seed=0)
    mass = X[:, jets.FEATURES.index("mass_mmdt")]
    mult = X[:, jets.FEATURES.index("multiplicity")]
    median = {c: np.median(mass[y == c]) for c in jets.CLASSES}
    assert median["q"] < median["g"] < 60 < median["w"] < median["z"] < median["t"]
    assert 75 < median["w"] < 86 and 86 < median["z"] < 97 and 155 < median["t"] < 185
    assert np.median(mult[y == "g"]) > 1.3 * np.median(mult[y == "q"])
    assert X.std(axis=0).max() / X.std(axis=0).min() > 1e3  # features on very different scales


def test_standin_rejects_negative_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        jets.make_standin_jets(10, seed=-1)


def test_plot_roc_reports_auc_per_class_in_the_legend():
    y = np.array([0, 1, 2, 0, 1, 2])
    scores = np.eye(3)[y] * 0.8 + 0.1
    ax = plots.plot_roc(y, scores, labels=["a", "b", "c"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["a (AUC = 1.000)", "b (AUC = 1.000)", "c (AUC = 1.000)"]
    assert ax.get_yscale() == "log"


def test_plot_roc_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"integer labels in 0..1"):
        plots.plot_roc([0, 2], [[0.5, 0.5], [0.5, 0.5]])


def test_weight_stats_and_distributions_per_layer():
    weights = {"fc1": np.array([[1.0, -1.0], [3.0, -3.0]]), "fc2": np.zeros((2, 1))}
    stats = plots.weight_stats(weights)
    assert stats[0] == {"layer": "fc1", "min": -3.0, "max": 3.0, "mean": 0.0, "std": 2.23606797749979, "count": 4}
    axes = plots.plot_weight_distributions(weights, title="w")
    assert [ax.get_title() for ax in axes] == ["fc1: 2x2", "fc2: 2x1"]


def test_plot_weight_distributions_rejects_model_without_weights():
    with pytest.raises(ValueError, match="no layer with weights"):
        plots.plot_weight_distributions({})


def test_predict_rejects_empty_input():
    import keras

    from mlcourse.training import predict

    with pytest.raises(ValueError, match="must not be empty"):
        predict(keras.Sequential([keras.Input(shape=(16,)), keras.layers.Dense(5)]), np.zeros((0, 16), np.float32))
