"""mlcourse.config: fast-mode helpers, paths, and reproducible training."""

import gc
import os
import subprocess
import sys

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
    assert gc.get_threshold()[0] >= config.GC_THRESHOLD and gc.get_freeze_count() > 0   # TensorFlow's modules


# --------------------------------------------------------------------------- where the project is


def test_project_root_is_the_checkout_and_mlcourse_root_overrides_it(monkeypatch, tmp_path):
    monkeypatch.delenv("MLCOURSE_ROOT", raising=False)
    root = config.project_root()
    assert (root / "pyproject.toml").is_file() and (root / "data" / "MANIFEST").is_file()
    monkeypatch.setenv("MLCOURSE_ROOT", str(tmp_path))
    assert config.project_root() == tmp_path.resolve()


def test_project_root_never_falls_back_to_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("MLCOURSE_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "_is_project", lambda folder: False)
    monkeypatch.setattr(config, "_installed_from", lambda: None)
    with pytest.raises(config.ProjectNotFound, match="set MLCOURSE_ROOT=/path/to/mlcourse"):
        config.project_root()


def test_non_editable_install_finds_the_checkout_it_was_installed_from(tmp_path):
    """`pip install /path/to/mlcourse` (not -e), run from another folder: data still comes from the checkout."""
    import os
    import subprocess
    import sys

    root = config.project_root()
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                           str(target), str(root)], capture_output=True, text=True)
    if proc.returncode and "Could not find a version" in proc.stderr:
        pytest.skip("the package index is unreachable: the build backend cannot be installed")
    assert proc.returncode == 0, proc.stderr[-2000:]
    elsewhere = tmp_path / "notebooks-elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLCOURSE_ROOT"}
    env["PYTHONPATH"] = str(target)
    probe = ("import mlcourse, mlcourse.config as c; print(mlcourse.__file__); print(c.project_root()); "
             "print(c.data_dir())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    package, found, data = out.stdout.split()
    assert package.startswith(str(target)), "the probe should import the non-editable copy"
    assert found == str(root) and data == str(root / "data")


def test_start_without_tensorflow_seeds_numpy_and_random_and_never_loads_tensorflow(tmp_path):
    code = ("import gc, random, sys\nimport numpy as np\nimport mlcourse.config as c\n"
            "cfg = c.start(seed=5, tensorflow=False, notebook='demo')\n"
            "print('tensorflow' in sys.modules, random.random(), np.random.rand(), cfg.seed)\n"
            "print(gc.get_threshold()[0], gc.get_freeze_count())\n"
            "random.seed(5); np.random.seed(5); print(random.random(), np.random.rand())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={**os.environ, "MLCOURSE_SEED": ""})
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if not line.startswith("mlcourse:")]
    loaded, r1, n1, seed = lines[0].split()
    assert loaded == "False" and seed == "5"
    assert lines[2].split() == [r1, n1]
    assert lines[1].split() == [str(config.GC_THRESHOLD), "0"]   # collects less often, freezes nothing


def test_garbage_collector_runs_less_often_and_freezes_the_imports_only_once(tmp_path):
    code = ("import gc\nimport mlcourse.config as c\n"
            "c.collect_garbage_less_often()\nprint(gc.get_threshold()[0], gc.get_freeze_count())\n"
            "c.collect_garbage_less_often(freeze=True)\nfrozen = gc.get_freeze_count()\n"
            "student = [[i] for i in range(1000)]\nc.collect_garbage_less_often(freeze=True)\n"
            "print(frozen, gc.get_freeze_count(), gc.get_threshold()[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    threshold, before = map(int, out.stdout.split()[:2])
    frozen, after, still = map(int, out.stdout.split()[2:])
    assert threshold == still == config.GC_THRESHOLD and before == 0
    assert frozen > 0 and after == frozen   # a second call leaves the student's objects collectable
