"""The jet loader: real data through scikit-learn's own fetch_openml (network faked below it), the stand-in's promises.

The network is faked at ``sklearn.datasets._openml.urlopen``, below ``fetch_openml``: every call goes through
scikit-learn's parameter validation, its cache layout and its md5 check of the data file, exactly as for a user.
The served files are ``tests/fixtures/openml_jets/``, OpenML's format with 50 synthetic rows (see its README).
"""

import gzip
import hashlib
import io
import json
import shutil
import socket
from email.message import Message
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import sklearn.datasets._openml as sklearn_openml  # noqa: E402

from mlcourse import plots  # noqa: E402
from mlcourse.data import jets  # noqa: E402
from mlcourse.data.manifest import DataError  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "openml_jets"
FIXTURE_CACHE = FIXTURE / "openml"  # a scikit-learn data_home: openml/openml.org/<url path>.gz


@pytest.fixture(autouse=True)
def no_network_and_no_env(monkeypatch):
    """No test may reach the network: sockets and scikit-learn's URL opener (below fetch_openml) fail at once."""
    monkeypatch.delenv(jets.SOURCE_ENV, raising=False)

    def refuse(*args, **kwargs):
        raise URLError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(sklearn_openml, "urlopen", refuse)
    monkeypatch.setattr(sklearn_openml.time, "sleep", lambda seconds: None)  # scikit-learn's pause between retries
    yield
    plt.close("all")


class FakeResponse(io.BytesIO):
    """What urlopen returns: the bytes, gzip-encoded as OpenML serves them."""

    def __init__(self, payload: bytes):
        super().__init__(payload)
        self.headers = Message()
        self.headers["Content-Encoding"] = "gzip"

    def info(self):
        return self.headers


def serve(monkeypatch, files: Path = FIXTURE_CACHE, tamper=None):
    """Fake OpenML: answer each URL with the fixture file of its path; return the list of URLs asked for."""
    asked = []

    def fake_urlopen(request, *args, **kwargs):
        url = getattr(request, "full_url", request)
        asked.append(url)
        path = files / "openml.org" / (urlparse(url).path.lstrip("/") + ".gz")
        if not path.is_file():
            raise URLError(f"404 {url}")
        payload = path.read_bytes()
        if tamper is not None and path.name.endswith(".arff.gz"):
            payload = gzip.compress(tamper(gzip.decompress(payload)), mtime=0)
        return FakeResponse(payload)

    monkeypatch.setattr(sklearn_openml, "urlopen", fake_urlopen)
    return asked


def cache_fixture(tmp_path) -> Path:
    """A data/openml folder whose scikit-learn cache holds the fixture, as after a download."""
    shutil.copytree(FIXTURE_CACHE, tmp_path / "sklearn" / "openml")
    return tmp_path


def never_called(*args, **kwargs):
    raise AssertionError("this should not have been called")


def flip_a_digit(data: bytes) -> bytes:
    head, rows = data.split(b"@DATA\n", 1)
    i = next(k for k, ch in enumerate(rows) if ch in b"123456789")
    return head + b"@DATA\n" + rows[:i] + (b"2" if rows[i:i + 1] != b"2" else b"3") + rows[i + 1:]


def real_frame(n=50, drop=()):
    X, y = jets.make_standin_jets(n, seed=3)
    frame = pd.DataFrame(X, columns=jets.FEATURES).drop(columns=list(drop))
    return frame, pd.Series(y, name="class")


# --------------------------------------------------------------------------- the real-data path, end to end

def test_fixture_is_in_openml_format_with_the_md5_its_description_publishes():
    description = json.loads(gzip.decompress((FIXTURE / jets.DESCRIPTION_CACHE).read_bytes()))
    data_file = jets.cached_data_file(FIXTURE)
    assert data_file is not None
    assert hashlib.md5(gzip.decompress(data_file.read_bytes())).hexdigest() == \
        description["data_set_description"]["md5_checksum"]


def test_download_passes_sklearn_validation_and_gives_16_features_and_5_classes(tmp_path, monkeypatch):
    asked = serve(monkeypatch)
    data = jets.load_jets(data_home=tmp_path, source="openml", online=lambda: True)
    assert not data.standin and "REAL DATA" in data.source and "downloaded from OpenML" in data.source
    assert data.X.shape == (50, 16) and data.X.dtype == np.float32
    assert sorted(set(data.y.tolist())) == list(jets.CLASSES)
    assert any(url.endswith(f"/{jets.OPENML_NAME}.arff") for url in asked)
    assert jets.cached_data_file(tmp_path / "sklearn") is not None


def test_sklearn_rejects_a_zero_delay_before_any_network_access(tmp_path, monkeypatch):
    """The old call (delay=0.0) could never download: scikit-learn's validation refuses it first."""
    from sklearn.datasets import fetch_openml
    from sklearn.utils._param_validation import InvalidParameterError

    asked = serve(monkeypatch)
    with pytest.raises(InvalidParameterError, match="delay"):
        fetch_openml(data_id=jets.OPENML_ID, data_home=str(tmp_path), delay=0.0, n_retries=1)
    assert asked == []


def test_cached_real_data_is_used_without_touching_the_network(tmp_path):
    home = cache_fixture(tmp_path)
    data = jets.load_jets(data_home=home, online=never_called, fetch=None)
    assert not data.standin
    assert "read from scikit-learn's cache" in data.source and "md5" in data.source
    assert data.X.shape == (50, 16)


def test_download_is_cached_so_the_second_run_is_offline(tmp_path, monkeypatch):
    serve(monkeypatch)
    first = jets.load_jets(data_home=tmp_path, online=lambda: True)
    monkeypatch.setattr(sklearn_openml, "urlopen", never_called)
    second = jets.load_jets(data_home=tmp_path, online=never_called)
    assert not first.standin and not second.standin
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)


def test_real_data_is_subsampled_without_replacement(tmp_path):
    data = jets.load_jets(10, data_home=cache_fixture(tmp_path), online=never_called)
    assert data.X.shape == (10, 16) and len(np.unique(data.X, axis=0)) == 10


def test_cached_file_failing_openmls_md5_is_an_error_even_in_auto_mode(tmp_path):
    home = cache_fixture(tmp_path)
    cached = jets.cached_data_file(home / "sklearn")
    cached.write_bytes(gzip.compress(flip_a_digit(gzip.decompress(cached.read_bytes())), mtime=0))
    with pytest.raises(DataError, match=r"md5 checksum.*delete data/openml/sklearn/"):
        jets.load_jets(data_home=home, online=never_called)  # auto: no silent stand-in


def test_corrupt_download_is_refused_by_the_md5_check(tmp_path, monkeypatch):
    serve(monkeypatch, tamper=flip_a_digit)
    with pytest.raises(DataError, match=r"could not be used \(ValueError: The md5 checksum"):
        jets.load_jets(data_home=tmp_path, online=lambda: True)


def test_network_error_is_one_clear_message_when_real_data_are_required(tmp_path):
    with pytest.raises(DataError, match=r"could not reach www.openml.org \(URLError: network disabled in tests\)"):
        jets.load_jets(data_home=tmp_path, source="openml", online=lambda: True)


def test_network_error_falls_back_to_the_standin_and_says_why(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, online=lambda: True)
    message = capsys.readouterr().out
    assert data.standin and "STAND-IN" in data.source
    assert "could not reach www.openml.org" in message and "check the network" in message


def test_no_network_and_no_cache_uses_standin_without_fetching(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, online=lambda: False, fetch=never_called)
    assert data.standin and data.X.shape == (20, 16)
    assert "not cached" in capsys.readouterr().out and "unreachable (no network)" in data.source


def test_default_connectivity_check_fails_fast_without_network(tmp_path, capsys):
    data = jets.load_jets(20, data_home=tmp_path, timeout=0.5)  # real openml_reachable, sockets refused
    assert data.standin
    assert "unreachable" in capsys.readouterr().out


def test_schema_failure_of_real_data_is_an_error_not_a_standin(tmp_path):
    with pytest.raises(DataError, match=r"lacks the columns \['multiplicity'\]"):
        jets.load_jets(20, data_home=tmp_path, online=lambda: True,
                       fetch=lambda home, timeout: real_frame(drop=["multiplicity"]))


def test_unknown_or_missing_class_in_real_data_is_a_clear_error():
    frame, labels = real_frame(10)
    labels[:] = "x"
    with pytest.raises(DataError, match=r"unexpected class labels \['x'\]"):
        jets.frame_to_arrays(frame, labels)
    frame, labels = real_frame(10)
    labels[:] = "g"
    with pytest.raises(DataError, match=r"no jets of the classes \['q', 't', 'w', 'z'\]"):
        jets.frame_to_arrays(frame, labels)


def test_non_finite_feature_in_real_data_is_a_clear_error():
    frame, labels = real_frame(10)
    frame.iloc[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN or infinite"):
        jets.frame_to_arrays(frame, labels)


def test_standin_source_can_be_forced():
    data = jets.load_jets(15, source="standin", verbose=False, online=never_called, fetch=never_called)
    assert data.standin and "STAND-IN" in data.source


def test_load_jets_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_rows must be a positive integer"):
        jets.load_jets(0, source="standin")
    with pytest.raises(ValueError, match="source must be 'auto', 'openml' or 'standin'"):
        jets.load_jets(10, source="kaggle")


# --------------------------------------------------------------------------- the stand-in

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
    assert np.median(mult[y == "g"]) > 1.2 * np.median(mult[y == "q"])
    light = np.isin(y, ["q", "g"])
    assert np.mean((mass[light] > 60) & (mass[light] < 200)) > 0.15  # light jets reach the heavy classes' masses
    assert X.std(axis=0).max() / X.std(axis=0).min() > 1e3  # features on very different scales


def test_standin_quark_gluon_is_the_hardest_pair_and_quarks_the_least_distinct_class():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import confusion_matrix, roc_auc_score

    X, y = jets.make_standin_jets(40_000, seed=0)
    model = HistGradientBoostingClassifier(max_iter=60, early_stopping=False, random_state=0).fit(X[:30_000], y[:30_000])
    proba, truth = model.predict_proba(X[30_000:]), y[30_000:]
    cm = confusion_matrix(truth, model.classes_[proba.argmax(axis=1)], labels=list(jets.CLASSES), normalize="true")
    confused = cm - np.diag(np.diag(cm))
    confused = np.triu(confused + confused.T, 1)
    i, j = np.unravel_index(np.argmax(confused), confused.shape)
    assert {jets.CLASSES[i], jets.CLASSES[j]} == {"g", "q"}
    auc = {c: roc_auc_score(truth == c, proba[:, k]) for k, c in enumerate(model.classes_)}
    assert min(auc, key=auc.get) == "q", auc


def test_standin_rejects_negative_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        jets.make_standin_jets(10, seed=-1)


# --------------------------------------------------------------------------- the notebook's figures

def test_plot_roc_reports_auc_per_class_in_the_legend():
    y = np.array([0, 1, 2, 0, 1, 2])
    scores = np.eye(3)[y] * 0.8 + 0.1
    ax = plots.plot_roc(y, scores, labels=["a", "b", "c"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["a (AUC = 1.000)", "b (AUC = 1.000)", "c (AUC = 1.000)"]
    assert ax.get_yscale() == "log"


def test_plot_roc_draws_the_chance_line_as_the_diagonal_on_the_log_axis():
    ax = plots.plot_roc([0, 1, 1, 0], [[.8, .2], [.3, .7], [.4, .6], [.6, .4]], min_background=1e-3)
    chance = next(line for line in ax.get_lines() if line.get_label().startswith("random guess"))
    x, y = np.asarray(chance.get_xdata()), np.asarray(chance.get_ydata())
    np.testing.assert_allclose(x, y)             # background efficiency = signal efficiency
    assert len(x) > 50 and x.min() == pytest.approx(1e-3) and x.max() == pytest.approx(1.0)
    assert np.ptp(x) > 0.9                        # spread over the whole axis, not a vertical segment


def test_plot_roc_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"integer labels in 0..1"):
        plots.plot_roc([0, 2], [[0.5, 0.5], [0.5, 0.5]])


def test_weight_stats_and_distributions_per_layer():
    weights = {"fc1": np.array([[1.0, -1.0], [3.0, -3.0]]), "fc2": np.zeros((2, 1))}
    stats = plots.weight_stats(weights)
    assert stats[0] == {"layer": "fc1", "min": -3.0, "max": 3.0, "mean": 0.0, "std": 2.23606797749979, "count": 4}
    axes = plots.plot_weight_distributions(weights, title="w")
    assert [ax.get_title().splitlines()[0] for ax in axes] == ["fc1: 2x2", "fc2: 2x1"]
    assert all(len(ax.texts) == 0 for ax in axes)  # no text box over the bars


def test_two_models_share_the_weight_panels_and_their_bins():
    a = {"fc1": np.linspace(-1, 1, 40).reshape(20, 2)}
    b = {"fc1": np.linspace(-0.1, 0.1, 40).reshape(20, 2)}
    axes = plots.plot_weight_distributions(a, label="a", value_range=(-1, 1), bins=10)
    plots.plot_weight_distributions(b, axes=axes, label="b", value_range=(-1, 1), bins=10)
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend[0].startswith("a: std") and legend[1].startswith("b: std")
    edges = [patch.get_path().vertices[:, 0] for patch in axes[0].patches]
    assert np.isclose(min(e.min() for e in edges), -1) and np.isclose(max(e.max() for e in edges), 1)


def test_plot_weight_distributions_rejects_bad_input():
    with pytest.raises(ValueError, match="no layer with weights"):
        plots.plot_weight_distributions({})
    with pytest.raises(ValueError, match="value_range must be"):
        plots.plot_weight_distributions({"fc1": np.ones((2, 2))}, value_range=(1, -1))


def test_predict_rejects_empty_input():
    import keras

    from mlcourse.training import predict

    with pytest.raises(ValueError, match="must not be empty"):
        predict(keras.Sequential([keras.Input(shape=(16,)), keras.layers.Dense(5)]), np.zeros((0, 16), np.float32))
