"""Figures the notebooks share.

Every function takes an optional ``ax`` (or ``axes``) and returns what it drew
on, gives its figure a title and labelled axes, and validates its inputs with a
``ValueError`` that says what was expected and what was given.

New plotting helpers are appended at the end of this file, each with a
NumPy-style docstring and a test in ``tests/test_plots.py`` (or the notebook's
own test file).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _history_dict(history) -> Mapping[str, Sequence[float]]:
    """Accept a Keras ``History`` or its ``.history`` dict."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"expected a keras History or a non-empty dict of metric lists, got {type(history).__name__}")
    return data


def plot_history(history, metrics: Sequence[str] = ("loss", "accuracy"), *, axes=None,
                 title: str | None = None, logy: Sequence[str] = ()):
    """Plot training and validation curves, one panel per metric.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returned, or its ``.history``.
    metrics : sequence of str
        Metrics to show; ``val_<metric>`` is drawn beside each when present.
    axes : sequence of matplotlib Axes, optional
        One per metric; created when omitted.
    title : str, optional
        Figure title (suptitle).
    logy : sequence of str
        Metrics drawn on a log y axis (useful for losses spanning decades).

    Returns
    -------
    list of matplotlib Axes

    Raises
    ------
    ValueError
        If a metric is not in the history.

    Example
    -------
    >>> axes = plot_history({"loss": [1, .5], "val_loss": [1.1, .7]}, metrics=["loss"])
    """
    data = _history_dict(history)
    metrics = list(metrics)
    missing = [m for m in metrics if m not in data]
    if missing:
        raise ValueError(f"metrics {missing} are not in the history; it has {sorted(data)}")
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
        axes = list(axes[0])
    elif len(axes) != len(metrics):
        raise ValueError(f"got {len(axes)} axes for {len(metrics)} metrics")
    for ax, metric in zip(axes, metrics):
        train = np.asarray(data[metric], dtype=float)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, label="training")
        if f"val_{metric}" in data:
            ax.plot(epochs, np.asarray(data[f"val_{metric}"], dtype=float), label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(metric.replace("_", " ") + " per epoch")
        if metric in logy:
            ax.set_yscale("log")
        ax.legend()
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X, y, *, ax=None,
                           grid: int = 300, padding: float = 0.5, title: str | None = None,
                           class_names: Sequence[str] | None = None, max_points: int = 2000):
    """Shade the plane by predicted class, draw the boundary, and scatter the data.

    Parameters
    ----------
    predict : callable
        Maps an ``(m, 2)`` array of points to ``(m,)`` class labels.
    X : array-like of shape (n, 2)
    y : array-like of shape (n,)
        Integer class labels of the points.
    ax : matplotlib Axes, optional
    grid : int
        Grid points per axis.
    padding : float
        Margin around the data.
    max_points : int
        At most this many points are scattered (a random, seeded subset), for legibility.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``X`` is not ``(n, 2)``, lengths differ, or ``predict`` returns the wrong shape.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2) to draw a plane, got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) to match X, got {y.shape}")
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    points = np.column_stack([xx.ravel(), yy.ravel()])
    zz = np.asarray(predict(points))
    if zz.shape != (len(points),):
        raise ValueError(f"predict must return one label per point, shape ({len(points)},), got {zz.shape}")
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    classes = np.unique(np.concatenate([np.unique(y), np.unique(zz)]))
    cmap = plt.get_cmap("coolwarm", max(2, len(classes)))
    ax.contourf(xx, yy, zz.reshape(xx.shape), levels=np.arange(len(classes) + 1) - 0.5,
                cmap=cmap, alpha=0.25)
    ax.contour(xx, yy, zz.reshape(xx.shape), levels=np.arange(len(classes)) + 0.5,
               colors="k", linewidths=1.2)
    show = np.arange(len(X))
    if len(X) > max_points:
        show = np.random.default_rng(0).choice(len(X), max_points, replace=False)
    for k, cls in enumerate(np.unique(y)):
        sel = show[y[show] == cls]
        name = class_names[k] if class_names is not None else f"class {cls}"
        ax.scatter(X[sel, 0], X[sel, 1], s=8, color=cmap(k), edgecolors="none", label=name)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "decision boundary (black) and data")
    ax.set_aspect("equal")
    # below the axes, so that it never covers points or the boundary
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(np.unique(y)), markerscale=2,
              frameon=False)
    ax.grid(False)
    return ax


def plot_image_grid(images, titles: Sequence[str] | None = None, *, ncols: int = 5, cmap: str = "gray_r",
                    suptitle: str | None = None, axes=None, vmin=None, vmax=None):
    """Show images in a grid, each with an optional title.

    Parameters
    ----------
    images : array-like of shape (n, h, w)
    titles : sequence of str, optional
        One per image.
    ncols : int
    cmap : str
    suptitle : str, optional
    axes : array of Axes, optional

    Returns
    -------
    ndarray of matplotlib Axes

    Raises
    ------
    ValueError
        If ``images`` is not 3-D or the titles do not match.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    plt = _plt()
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    if axes is None:
        _, axes = plt.subplots(nrows, ncols, figsize=(1.7 * ncols, 1.9 * nrows), squeeze=False)
    axes = np.asarray(axes).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=10)
    if suptitle:
        axes[0].figure.suptitle(suptitle)
    axes[0].figure.tight_layout()
    return axes


# --- notebook 07: lasso paths and bias-variance curves -----------------------------------

def plot_lasso_path(alphas, coefs, *, ax=None, title: str | None = None, highlight=None,
                    mark_alpha: float | None = None, ylabel: str = "coefficient"):
    """Draw lasso regularization paths, one line per coefficient, penalty on a log axis.

    Parameters
    ----------
    alphas : array-like of shape (L,)
        Penalties (``alpha`` in scikit-learn, lambda in the notes), all > 0.
    coefs : array-like of shape (p, L)
        Coefficients along the path, as returned by ``sklearn.linear_model.lasso_path``.
    ax : matplotlib Axes, optional
    title : str, optional
    highlight : sequence of int, optional
        Coefficients drawn in colour and named in the legend; the others are grey.
        By default the five that enter the path first (largest penalty) are highlighted.
    mark_alpha : float, optional
        A chosen penalty, drawn as a dashed vertical line.
    ylabel : str
        Label of the coefficient axis (say which units).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If the shapes disagree or a penalty is not positive.

    Example
    -------
    >>> ax = plot_lasso_path([1.0, 0.1], [[0.0, 1.0], [0.0, 0.5]])
    """
    alphas = np.asarray(alphas, dtype=float)
    coefs = np.asarray(coefs, dtype=float)
    if alphas.ndim != 1 or coefs.ndim != 2 or coefs.shape[1] != len(alphas):
        raise ValueError(f"coefs must have shape (p, {len(alphas)}) for {len(alphas)} penalties, "
                         f"got {coefs.shape}")
    if not np.all(alphas > 0):
        raise ValueError("penalties must be positive to be drawn on a log axis")
    if highlight is None:
        order = np.argsort(alphas)[::-1]
        entered = [np.argmax(np.abs(coefs[j, order]) > 0) if np.any(coefs[j] != 0) else len(alphas)
                   for j in range(len(coefs))]
        highlight = list(np.argsort(entered, kind="stable")[:5])
    highlight = [int(j) for j in highlight]
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots()
    for j in range(len(coefs)):
        if j not in highlight:
            ax.plot(alphas, coefs[j], color="0.75", linewidth=0.8)
    for j in highlight:
        ax.plot(alphas, coefs[j], linewidth=1.8, label=f"$\\beta_{{{j}}}$")
    if mark_alpha is not None:
        ax.axvline(mark_alpha, color="k", linestyle="--", linewidth=1, label=f"chosen $\\lambda$ = {mark_alpha:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("penalty $\\lambda$ (scikit-learn alpha, log scale)")
    ax.set_ylabel(ylabel)
    ax.set_title(title or "lasso regularization paths")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_bias_variance(lams, sq_bias, variance, *, ax=None, title: str | None = None,
                       chosen: float | None = None, logy: bool = True):
    """Squared bias, variance and their sum (the risk) against the penalty.

    Parameters
    ----------
    lams : array-like of shape (L,)
        Penalties, > 0 (log x axis).
    sq_bias, variance : array-like of shape (L,)
    ax : matplotlib Axes, optional
    title : str, optional
    chosen : float, optional
        Penalty to mark with a dashed line (e.g. the one with the smallest risk).
    logy : bool
        Log y axis (the three curves often span decades).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If the arrays differ in length or a penalty is not positive.

    Example
    -------
    >>> ax = plot_bias_variance([0.1, 1.0], [0.01, 0.1], [0.1, 0.01])
    """
    lams = np.asarray(lams, dtype=float)
    sq_bias = np.asarray(sq_bias, dtype=float)
    variance = np.asarray(variance, dtype=float)
    if lams.ndim != 1 or sq_bias.shape != lams.shape or variance.shape != lams.shape:
        raise ValueError(f"lams, sq_bias and variance must be 1-D of one length, got shapes "
                         f"{lams.shape}, {sq_bias.shape}, {variance.shape}")
    if not np.all(lams > 0):
        raise ValueError("penalties must be positive to be drawn on a log axis")
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(lams, sq_bias, "o-", label="squared bias")
    ax.plot(lams, variance, "s-", label="variance")
    ax.plot(lams, sq_bias + variance, "k^-", linewidth=2, label="risk = bias$^2$ + variance")
    if chosen is not None:
        ax.axvline(chosen, color="k", linestyle="--", linewidth=1, label=f"chosen $\\lambda$ = {chosen:.3g}")
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("penalty $\\lambda$ (log scale)")
    ax.set_ylabel("mean over x of squared error")
    ax.set_title(title or "bias-variance trade-off")
    ax.legend(fontsize=8)
    return ax


def plot_predictions(X, y_true, y_pred, *, rows: Sequence[int] | None = None, axes=None,
                     title: str | None = None, pred_label: str = "rebuilt from predicted"):
    """Draw sampled curves beside the curves rebuilt from predicted (a, b, c, d).

    For each chosen row the panel shows the curve the network was given and the
    curve a*sin(b*x) + c*cos(d*x) built from the network's four outputs; the
    legend, outside the panel on the right so that it covers no curve, lists the
    true and the predicted parameter values. Panels made here share one y scale,
    so that rows compare at a glance.

    Parameters
    ----------
    X : array-like of shape (n, n_points)
        Curves sampled on [0, 10*pi] (as in :mod:`mlcourse.data.sine_waves`).
    y_true, y_pred : array-like of shape (n, 4)
        True and predicted (a, b, c, d) for each row of ``X``.
    rows : sequence of int, optional
        Which rows to draw; default the first five (all of them if ``n < 5``).
    axes : sequence of matplotlib Axes, optional
        One per row drawn; created (stacked vertically, shared x and y, in a
        constrained layout) when omitted.
    title : str, optional
        Figure title (suptitle).
    pred_label : str
        Legend label of the rebuilt curve, before its parameter values (e.g.
        ``"least-squares refit"`` when ``y_pred`` holds refitted parameters).

    Returns
    -------
    list of matplotlib Axes

    Raises
    ------
    ValueError
        If the shapes disagree, a row index is out of range, or the number of
        axes differs from the number of rows.

    Example
    -------
    >>> y = np.array([[1.0, 0.5, 0.0, 0.0]])
    >>> from mlcourse.data.sine_waves import sine_curves
    >>> axes = plot_predictions(sine_curves(y), y, y * 1.1)
    """
    from mlcourse.data.sine_waves import sample_points, sine_curves

    X = np.asarray(X, dtype=float)
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"X must have shape (n, n_points) with n_points >= 2, got {X.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.shape != (X.shape[0], 4):
            raise ValueError(f"{name} must have shape ({X.shape[0]}, 4) to match X, got {y.shape}")
    rows = list(range(min(5, X.shape[0]))) if rows is None else [int(r) for r in rows]
    bad = [r for r in rows if not 0 <= r < X.shape[0]]
    if not rows or bad:
        raise ValueError(f"rows must be a non-empty list of indices in [0, {X.shape[0]}), got {rows}")
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(len(rows), 1, figsize=(11, 2.4 * len(rows)), squeeze=False, sharex=True,
                                 sharey=True, layout="constrained")
        axes = list(axes[:, 0])
    elif len(axes) != len(rows):
        raise ValueError(f"got {len(axes)} axes for {len(rows)} rows")
    x = sample_points(X.shape[1])
    rebuilt = sine_curves(y_pred[rows], n_points=X.shape[1])

    def fmt(params):
        return "(" + ", ".join(f"{v:.3f}" for v in params) + ")"

    for ax, r, curve in zip(axes, rows, rebuilt):
        ax.plot(x, X[r], linewidth=2, label=f"true curve, (a, b, c, d) =\n{fmt(y_true[r])}")
        ax.plot(x, curve, linestyle="--", label=f"{pred_label}\n{fmt(y_pred[r])}")
        ax.set_ylabel("f(x)")
        ax.set_title(f"row {r}: a sin(bx) + c cos(dx)", fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    axes[-1].set_xlabel("x (radians)")
    fig = axes[0].figure
    if title:
        fig.suptitle(title)
    if fig.get_layout_engine() is None:  # a constrained layout already makes room for suptitle and legends
        fig.tight_layout()
    return axes



# --- jet tagging (notebook 06): ROC curves and weight distributions ---------------------

def plot_roc(y_true, y_score, *, labels: Sequence[str] | None = None, ax=None,
             title: str | None = None, min_background: float = 1e-4):
    """One-vs-rest ROC curves with the AUC of each class, in the particle-physics style.

    Each class in turn is the signal and all others the background. The x axis is
    the signal efficiency (true-positive rate) and the y axis the background
    efficiency (false-positive rate) on a log scale, so the low-mistag region
    that matters for a tagger is readable. Curves and AUCs come from
    ``sklearn.metrics.roc_curve`` and ``sklearn.metrics.auc``.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, k)
        Integer class labels 0..k-1, or their one-hot encoding.
    y_score : array-like of shape (n, k)
        Predicted class probabilities (e.g. softmax outputs).
    labels : sequence of str, optional
        Class names in label order; default ``class 0``, ``class 1``, ...
    ax : matplotlib Axes, optional
    title : str, optional
    min_background : float
        Lower limit of the y axis (background efficiencies below it are clipped from view).

    Returns
    -------
    matplotlib Axes
        The legend lists each class with its AUC.

    Raises
    ------
    ValueError
        If ``y_score`` is not 2-D, the shapes disagree, labels are out of range,
        or a class has no positive (or no negative) example.

    Example
    -------
    >>> ax = plot_roc([0, 1, 1, 0], [[.8, .2], [.3, .7], [.4, .6], [.6, .4]], labels=["a", "b"])
    """
    from sklearn.metrics import auc, roc_curve

    y_score = np.asarray(y_score, dtype=float)
    if y_score.ndim != 2 or y_score.shape[1] < 2:
        raise ValueError(f"y_score must have shape (n, n_classes) with n_classes >= 2, got {y_score.shape}")
    y_true = np.asarray(y_true)
    k = y_score.shape[1]
    if y_true.ndim == 2:
        if y_true.shape != y_score.shape:
            raise ValueError(f"one-hot y_true has shape {y_true.shape} but y_score has {y_score.shape}")
        y_true = y_true.argmax(axis=1)
    if y_true.ndim != 1 or len(y_true) != len(y_score):
        raise ValueError(f"y_true must hold {len(y_score)} labels (1-D) or one-hot rows, got shape {y_true.shape}")
    if not np.issubdtype(y_true.dtype, np.integer) or y_true.min() < 0 or y_true.max() >= k:
        raise ValueError(f"y_true must be integer labels in 0..{k - 1}, got values from "
                         f"{y_true.min()!r} to {y_true.max()!r} (dtype {y_true.dtype})")
    if labels is not None and len(labels) != k:
        raise ValueError(f"got {len(labels)} labels for {k} classes")
    names = list(labels) if labels is not None else [f"class {i}" for i in range(k)]
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    for cls, name in enumerate(names):
        positive = y_true == cls
        if positive.all() or not positive.any():
            raise ValueError(f"class {name!r} needs both positive and negative examples for a ROC curve")
        fpr, tpr, _ = roc_curve(positive, y_score[:, cls])
        ax.plot(tpr, fpr, label=f"{name} (AUC = {auc(fpr, tpr):.3f})")
    # A random guess tags signal and background alike: background efficiency = signal efficiency.
    # Drawn through many points, so that on the log axis it shows as the curve it is (two points
    # would be joined by a straight, here vertical, segment).
    chance = np.logspace(np.log10(min_background), 0.0, 200)
    ax.plot(chance, chance, color="gray", linestyle=":", label="random guess (background = signal efficiency)")
    ax.set_yscale("log")
    ax.set_ylim(min_background, 1.0)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("signal efficiency (true-positive rate)")
    ax.set_ylabel("background efficiency (false-positive rate, log)")
    ax.set_title(title or "one-vs-rest ROC curves")
    ax.legend(loc="lower right", fontsize=9)
    return ax


def _layer_kernels(model) -> list[tuple[str, np.ndarray]]:
    """``(name, kernel)`` of every layer with weights (the first weight array: the kernel)."""
    if isinstance(model, Mapping):
        items = [(str(name), np.asarray(w, dtype=float)) for name, w in model.items()]
    else:
        layers = getattr(model, "layers", None)
        if layers is None:
            raise ValueError(f"expected a Keras model or a dict of weight arrays, got {type(model).__name__}")
        items = [(layer.name, np.asarray(layer.get_weights()[0], dtype=float))
                 for layer in layers if layer.get_weights()]
    if not items:
        raise ValueError("the model has no layer with weights to show")
    return items


def weight_stats(model) -> list[dict]:
    """Min, max, mean and standard deviation of each layer's kernel (not the biases).

    Parameters
    ----------
    model : keras.Model or dict of str to array
        A model (every layer with weights is used) or ``{layer name: weight array}``.

    Returns
    -------
    list of dict
        One ``{"layer", "min", "max", "mean", "std", "count"}`` per layer, in order;
        ``pandas.DataFrame(weight_stats(model))`` makes it a table.

    Raises
    ------
    ValueError
        If ``model`` has no layer with weights.

    Example
    -------
    >>> weight_stats({"fc1": [[1.0, -1.0]]})[0]["std"]
    1.0
    """
    rows = []
    for name, w in _layer_kernels(model):
        rows.append({"layer": name, "min": float(w.min()), "max": float(w.max()),
                     "mean": float(w.mean()), "std": float(w.std()), "count": int(w.size)})
    return rows


def plot_weight_distributions(model, *, axes=None, bins: int = 60, title: str | None = None,
                              logy: bool = True, label: str | None = None,
                              value_range: tuple[float, float] | None = None):
    """Histogram each layer's kernel weights; several models can share the panels.

    Parameters
    ----------
    model : keras.Model or dict of str to array
        As in :func:`weight_stats`.
    axes : sequence of matplotlib Axes, optional
        One per layer with weights; created (one row) when omitted. Pass the
        axes a first call returned to draw a second model on the same panels,
        so that both share their ranges.
    bins : int
        Histogram bins (over ``value_range`` when given).
    title : str, optional
        Figure title (suptitle).
    logy : bool
        Log count axis, so that a few large weights stay visible beside many small ones.
    label : str, optional
        Name of the model in each panel's legend; the legend entry also gives
        the layer's standard deviation and largest absolute weight. Without a
        label these numbers go in the panel title. Nothing is written over the bars.
    value_range : (float, float), optional
        Weight range of every histogram (the same for all panels and models),
        e.g. ``(-1, 1)``; default: each layer's own minimum and maximum.

    Returns
    -------
    list of matplotlib Axes

    Raises
    ------
    ValueError
        If the model has no weights, the number of axes does not match the
        layers, or ``value_range`` is not an increasing pair.

    Example
    -------
    >>> axes = plot_weight_distributions({"fc1": np.ones((3, 2)), "fc2": np.zeros((2, 1))}, label="a")
    >>> axes = plot_weight_distributions({"fc1": np.zeros((3, 2)), "fc2": np.ones((2, 1))}, axes=axes, label="b")
    """
    kernels = _layer_kernels(model)
    if value_range is not None:
        lo, hi = (float(v) for v in value_range)
        if not lo < hi:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range!r}")
    plt = _plt()
    if axes is None:
        _, axes = plt.subplots(1, len(kernels), figsize=(3.2 * len(kernels), 3.2), squeeze=False)
        axes = list(axes[0])
    elif len(axes) != len(kernels):
        raise ValueError(f"got {len(axes)} axes for {len(kernels)} layers with weights")
    for ax, (name, w), stats in zip(axes, kernels, weight_stats(dict(kernels))):
        summary = f"std {stats['std']:.3g}, max |w| {max(abs(stats['min']), abs(stats['max'])):.3g}"
        ax.hist(w.ravel(), bins=bins, range=value_range, histtype="step", linewidth=1.5,
                label=f"{label}: {summary}" if label else None)
        if logy:
            ax.set_yscale("log")
        shape = f"{w.shape[0]}x{w.shape[1]}" if w.ndim == 2 else "x".join(map(str, w.shape))
        ax.set_title(f"{name}: {shape}" + ("" if label else f"\n{summary}"), fontsize=10)
        ax.set_xlabel("weight value")
        ax.set_ylabel("count" + (" (log)" if logy else ""))
        if label:
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def plot_over_seeds(table, x: str, value: str = "value", *, ax=None, reference: float | None = None,
                    reference_label: str = "reference", xlabel: str | None = None,
                    ylabel: str | None = None, title: str | None = None):
    """Draw each seed's result as a dot and the mean +/- sd per setting as an error bar.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`mlcourse.training.repeat_over_seeds` returned.
    x : str
        The setting column on the horizontal axis (numeric).
    value : str
        The measured column on the vertical axis.
    ax : matplotlib Axes, optional
    reference : float, optional
        Draw a dashed horizontal line here (e.g. the Bayes accuracy).
    reference_label, xlabel, ylabel, title : str, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If a named column is missing.
    """
    import matplotlib.pyplot as plt

    from .training import summarize_over_seeds

    summary = summarize_over_seeds(table, x, value)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(table))
    ax.scatter(table[x].to_numpy(dtype=float) + jitter, table[value], s=14, alpha=0.45,
               color="tab:gray", label="one seed")
    ax.errorbar(summary.index.to_numpy(dtype=float), summary["mean"], yerr=summary["sd"], fmt="o-",
                color="tab:blue", capsize=4, label=f"mean ± sd over {int(summary['seeds'].max())} seeds")
    if reference is not None:
        ax.axhline(reference, color="tab:red", linestyle="--", label=reference_label)
    ax.set_xticks(summary.index.to_numpy(dtype=float))
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or value)
    ax.set_title(title or f"{ylabel or value} against {xlabel or x}")
    ax.legend()
    return ax
