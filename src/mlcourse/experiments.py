"""Repeat a small experiment over seeds, summarise it, and train without per-epoch overhead.

Comparisons between settings (hidden-layer sizes, input scalings, optimizers)
are only honest when each setting is run with several seeds: one run can be
lucky. The helpers here keep that loop out of the notebooks:

* :func:`repeat_over_seeds` calls a function once per (setting, seed) and
  collects the numbers in a tidy :class:`pandas.DataFrame`, one row per run;
* :func:`summarize_over_seeds` reduces it to mean, sd, min, max and count;
* :func:`plot_over_seeds` draws every run and the mean +/- sd per setting;
* :func:`restart_training` puts a compiled model back to the start of
  training with fresh seeded weights, keeping its traced training function:
  re-tracing (what building and compiling a new model costs on its first
  ``fit``) takes longer than training a small net, so a sweep compiles one
  model per architecture and restarts it for each seed;
* :func:`fit_streamed` trains a compiled Keras model for a number of epochs as
  one continuous shuffled stream. It takes the same gradient steps as
  ``model.fit(..., epochs=n)`` but pays Keras's per-epoch set-up cost once,
  which dominates when the model is tiny (an XOR net, a single-layer
  perceptron) and many of them are trained in a sweep.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np


def _check_seeds(seeds) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none")
    for s in seeds:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise ValueError(f"seeds must be non-negative integers, got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct (a repeated seed repeats a run), got {seeds}")
    return [int(s) for s in seeds]


def repeat_over_seeds(run: Callable[..., Any], settings: Iterable[Mapping[str, Any]], seeds: Iterable[int],
                      *, progress: Callable[[Iterable], Iterable] | None = None):
    """Call ``run(**setting, seed=seed)`` for every setting and seed; one row per call.

    Parameters
    ----------
    run : callable
        Takes the setting's keyword arguments plus ``seed`` and returns a number,
        a dict of named numbers (several metrics of one run), or a dict of
        equal-length per-epoch lists such as ``history.history`` (or the
        ``History`` itself), which gives one row per epoch and an ``epoch``
        column counted from 1 (or taken from an ``"epoch"`` list in the dict,
        for results recorded at chosen epochs only).
    settings : iterable of mappings
        E.g. ``[{"units": 1}, {"units": 2}]``; keys become columns.
    seeds : iterable of int
        Distinct non-negative seeds, the same for every setting.
    progress : callable, optional
        Wraps the list of runs, e.g. ``cfg.progress``, to show a progress bar.

    Returns
    -------
    pandas.DataFrame
        The setting's columns, ``seed`` (and ``epoch`` for per-epoch results),
        and ``value`` or one column per key of the dict ``run`` returned.

    Raises
    ------
    ValueError
        If there are no settings, a setting is not a mapping or uses the key
        ``seed``, the seeds are empty, negative or repeated, or ``run`` returns
        something that is not a number or a dict of numbers.

    Example
    -------
    >>> table = repeat_over_seeds(lambda k, seed: k * seed, [{"k": 1}, {"k": 2}], seeds=[1, 2])
    >>> table["value"].tolist()
    [1.0, 2.0, 2.0, 4.0]
    """
    import pandas as pd

    settings = [dict(s) if isinstance(s, Mapping) else s for s in settings]
    if not settings:
        raise ValueError("settings must hold at least one setting, e.g. [{'units': 2}]")
    for s in settings:
        if not isinstance(s, dict):
            raise ValueError(f"each setting must be a mapping of keyword arguments, got {s!r}")
        if "seed" in s:
            raise ValueError(f"a setting may not contain 'seed' (seeds are given separately), got {s!r}")
    seeds = _check_seeds(seeds)
    jobs = [(setting, seed) for setting in settings for seed in seeds]
    rows = []
    for setting, seed in (progress(jobs) if progress is not None else jobs):
        result = run(**setting, seed=seed)
        rows.extend(_rows_of(result, {**setting, "seed": seed}))
    return pd.DataFrame(rows)


def _rows_of(result, key: dict) -> list[dict]:
    """One row for a number or a dict of numbers; one row per epoch for a dict of sequences."""
    result = getattr(result, "history", result)  # a keras History: use its dict
    metrics = result if isinstance(result, Mapping) else {"value": result}
    lengths = {name: len(v) for name, v in metrics.items() if isinstance(v, (list, tuple, np.ndarray))}
    if lengths and (len(lengths) != len(metrics) or len(set(lengths.values())) != 1):
        raise ValueError(f"run({key}) returned a dict mixing numbers and sequences, or sequences of "
                         f"different lengths {lengths}; return numbers, or equal-length per-epoch lists")
    epochs = next(iter(lengths.values())) if lengths else None
    rows = []
    for i in range(epochs if epochs is not None else 1):
        row = dict(key)
        if epochs is not None:
            row["epoch"] = int(metrics["epoch"][i]) if "epoch" in metrics else i + 1
        for name, value in metrics.items():
            if epochs is not None and name == "epoch":
                continue
            number = value[i] if epochs is not None else value
            try:
                row[name] = float(number)
            except (TypeError, ValueError):
                raise ValueError(f"run({key}) returned {name}={number!r}; expected a number, a dict "
                                 "of numbers, or a dict of per-epoch lists (a keras History)") from None
        rows.append(row)
    return rows


def summarize_over_seeds(table, by: str | Sequence[str], value: str = "value"):
    """Mean, standard deviation, min, max and number of seeds of ``value`` per setting.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`repeat_over_seeds` returned.
    by : str or sequence of str
        The setting column(s) to group by.
    value : str
        The measured column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, columns ``mean``, ``sd`` (sample sd, ddof=1; 0 for a
        single seed), ``min``, ``max``, ``seeds``.

    Raises
    ------
    ValueError
        If a named column is missing.

    Example
    -------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": [1, 1], "seed": [0, 1], "value": [0.5, 0.7]})
    >>> float(summarize_over_seeds(t, "k").loc[1, "mean"].round(3))
    0.6
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, value] if c not in table.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the table; it has {list(table.columns)}")
    grouped = table.groupby(by)[value]
    summary = grouped.agg(mean="mean", sd="std", min="min", max="max", seeds="count")
    summary["sd"] = summary["sd"].fillna(0.0)
    return summary


def plot_over_seeds(table, x: str, value: str = "value", *, ax=None, reference: float | None = None,
                    reference_label: str = "reference", xlabel: str | None = None,
                    ylabel: str | None = None, title: str | None = None):
    """Draw each seed's result as a dot and the mean +/- sd per setting as an error bar.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`repeat_over_seeds` returned.
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


def fit_streamed(model, X, y, *, epochs: int, batch_size: int, seed: int) -> Any:
    """Train a compiled Keras model for ``epochs`` passes over ``(X, y)`` as one shuffled stream.

    The data are reshuffled every pass (seeded) and cut into batches of
    ``batch_size``, exactly the gradient steps of ``model.fit(X, y, epochs=epochs)``
    except that a batch may straddle two passes. Keras runs it as a single
    epoch, so its per-epoch set-up (iterators, callbacks) is paid once; for tiny
    models that set-up costs more than the arithmetic. Nothing per epoch is
    recorded: use ``model.fit`` when you want training curves. Compile with
    ``steps_per_execution`` > 1 for a further speed-up.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    X : array-like of shape (n, ...)
    y : array-like of shape (n, ...)
    epochs : int
        Passes over the data (>= 1).
    batch_size : int
        Examples per gradient step (>= 1).
    seed : int
        Seed of the shuffling.

    Returns
    -------
    keras.callbacks.History
        Holds the single "epoch": the loss averaged over all steps.

    Raises
    ------
    ValueError
        If the model is not compiled, ``X`` and ``y`` differ in length or are
        empty, or a count is not a positive integer.
    """
    import tensorflow as tf

    for name, number in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(number, (int, np.integer)) or isinstance(number, bool) or number < 1:
            raise ValueError(f"{name} must be a positive integer, got {number!r}")
    _check_seeds([seed])
    if not getattr(model, "compiled", False):
        raise ValueError("the model is not compiled; call model.compile(optimizer=..., loss=...) first")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if len(X) == 0 or len(X) != len(y):
        raise ValueError(f"X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    stream = (tf.data.Dataset.from_tensor_slices((X, y))
              .shuffle(len(X), seed=int(seed), reshuffle_each_iteration=True)
              .repeat(int(epochs))
              .batch(int(batch_size)))
    return model.fit(stream, epochs=1, verbose=0, shuffle=False)


def restart_training(model, seed: int) -> None:
    """Reset a compiled model to the start of training, with initial weights drawn for ``seed``.

    The weights are re-drawn from each layer's initializers, as for a freshly
    built copy of the model after ``keras.utils.set_random_seed(seed)``; the
    optimizer's state (step count, moment estimates) is zeroed and its learning
    rate kept. The model keeps its compiled training function, so the next
    ``fit`` does not re-trace it: for small models that tracing costs more than
    the training itself. A restarted model then trains exactly like a newly
    compiled one with the same initial weights.

    Parameters
    ----------
    model : keras.Model
        A compiled model (optionally already trained).
    seed : int
        Seed for the new initial weights (and for Keras's global random state).

    Raises
    ------
    ValueError
        If the model is not compiled or the seed is not a non-negative integer.
    """
    import keras

    _check_seeds([seed])
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError("the model is not compiled; call model.compile(optimizer=..., loss=...) first")
    keras.utils.set_random_seed(int(seed))
    model.set_weights(keras.models.clone_model(model).get_weights())
    for variable in model.optimizer.variables:
        if variable.name != "learning_rate":
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
