"""Shared plotting helpers: they draw what they promise and reject bad input clearly."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlcourse import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_history_draws_training_and_validation_per_metric():
    axes = plots.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(axes) == 2
    assert [l.get_label() for l in axes[0].get_lines()] == ["training", "validation"]
    assert axes[0].get_xlabel() == "epoch" and axes[0].get_title()


def test_plot_history_names_missing_metric():
    with pytest.raises(ValueError, match=r"\['auc'\] are not in the history"):
        plots.plot_history({"loss": [1.0]}, metrics=["auc"])


def test_plot_decision_boundary_rejects_non_planar_input():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plots.plot_decision_boundary(lambda p: p[:, 0] > 0, np.zeros((5, 3)), np.zeros(5))


def test_plot_decision_boundary_checks_predict_output():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="one label per point"):
        plots.plot_decision_boundary(lambda p: np.zeros((len(p), 2)), X, np.zeros(20, int), grid=10)


def test_plot_decision_boundary_draws_points_and_labels_axes():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    ax = plots.plot_decision_boundary(lambda p: (p[:, 0] > 0).astype(int), X, y, grid=20)
    assert ax.get_xlabel() == "$x_1$" and len(ax.collections) >= 2


def test_plot_image_grid_rejects_flat_images():
    with pytest.raises(ValueError, match=r"shape \(n, height, width\)"):
        plots.plot_image_grid(np.zeros((4, 64)))


def test_plot_image_grid_titles_each_image():
    axes = plots.plot_image_grid(np.zeros((3, 8, 8)), ["0", "1", "2"], ncols=3)
    assert [ax.get_title() for ax in axes] == ["0", "1", "2"]


def test_no_plot_helper_is_defined_twice():
    """plots.py grows by appending; a second definition would silently shadow the first."""
    import ast
    import collections
    import inspect

    tree = ast.parse(inspect.getsource(plots))
    names = collections.Counter(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
    assert not [name for name, count in names.items() if count > 1]
