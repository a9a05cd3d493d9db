"""Training helpers for seed studies beyond the exercises: one loop, one sweep.

The code an exercise asks for (building, compiling, ``model.fit``) stays in the
notebooks. What is here only makes the many extra runs of a seed study cheap
and tidy:

* :func:`train_in_graph` -- the one training loop. ``model.fit`` pays a fixed
  cost every epoch (callbacks, iterators, a separate validation pass), which
  for a tiny network on a few hundred samples is far more than the arithmetic.
  ``train_in_graph`` runs the same mini-batch loop -- reshuffle every epoch,
  batches of ``batch_size`` (the last one smaller), one optimizer step per
  batch, validation at the end of every epoch, optional early stopping with the
  best weights restored -- as a single ``tf.function``. It uses the model's own
  compiled ``optimizer`` and ``loss``, calls the model with ``training=True``
  (so dropout and ``keras.layers.Random*`` layers are active) and adds the
  model's regularization penalties, exactly as ``fit`` does.
* :class:`Trainer` -- that loop traced once for an architecture and data set,
  then reused for every seed: each seed builds a *fresh* model (so initial
  weights, dropout masks and augmentations follow the seed exactly as in a new
  notebook) and trains it in the traced loop. Tracing costs more than training
  a small net, so this is what makes 5-seed studies affordable.
* :func:`repeat_over_seeds` -- the one sweep: calls a function for every
  (setting, seed) and returns a tidy table, one row per run (or per epoch);
  a :class:`Trial` result gives its scores as columns and itself in ``trial``.
* :func:`summarize_over_seeds` -- mean, sd, min, max, count per setting.
  (:func:`mlcourse.plots.plot_over_seeds` draws such a table.)
* :func:`predict`, :func:`accuracy` -- batched inference without per-model tracing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

_MONITORS = ("val_loss", "val_accuracy")
_TRAIN_DEFAULTS = dict(batch_size=128, validation_split=None, validation_data=None, patience=None,
                       monitor="val_loss")


@dataclass
class TrainingHistory:
    """What :func:`train_in_graph` returns; ``plot_history`` accepts it like a Keras ``History``.

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (means over the epoch's batches, as
        ``fit`` reports them) and, with validation data, ``val_loss`` and
        ``val_accuracy`` (at the end of each epoch).
    epochs_run : int
        Epochs actually trained (fewer than asked when early stopping fired).
    best_epoch : int or None
        With early stopping: the 1-based epoch whose weights were restored.
    """

    history: dict = field(default_factory=dict)
    epochs_run: int = 0
    best_epoch: int | None = None


def _check_int(name: str, value, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_arrays(name: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{name}: x and y must be non-empty with the same length, got {len(x)} and {len(y)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x contains NaN or infinite values")
    return x, y


def train_in_graph(model, x, y, *, epochs: int, batch_size: int = 128,
                   validation_split: float | None = None, validation_data=None,
                   patience: int | None = None, monitor: str = "val_loss",
                   seed: int = 0) -> TrainingHistory:
    """Mini-batch training like ``model.fit(..., shuffle=True)``, run as one compiled graph.

    Parameters
    ----------
    model : keras.Model
        A compiled model (``model.compile(optimizer=..., loss=...)``).
    x, y : array-like
        Training inputs and targets (one-hot or 0/1 targets for accuracy).
    epochs : int
        Maximum number of passes over the training data.
    batch_size : int
        Samples per optimizer step; the last batch of an epoch holds the rest.
    validation_split : float, optional
        Fraction in (0, 1) of ``x``, ``y`` held out for validation, taken from
        the end of the arrays before any shuffling, as ``fit`` does.
    validation_data : tuple (x_val, y_val), optional
        Explicit validation set (instead of ``validation_split``).
    patience : int, optional
        Early stopping: stop once ``monitor`` has not improved for ``patience``
        epochs and restore the weights of the best epoch (like
        ``keras.callbacks.EarlyStopping(patience=..., restore_best_weights=True)``).
        Needs validation data. ``None`` trains all ``epochs``.
    monitor : {"val_loss", "val_accuracy"}
        What early stopping watches (lower loss, higher accuracy is better).
    seed : int
        Seed of the per-epoch shuffling (weight initialisation, dropout and
        augmentation follow Keras's own seeding: ``keras.utils.set_random_seed``).

    Returns
    -------
    TrainingHistory
        Per-epoch curves, the number of epochs run and the restored epoch.

    Raises
    ------
    ValueError
        If the model is not compiled, sizes are invalid, both or neither of the
        validation options are misused, or ``patience`` is given without validation data.

    Notes
    -----
    Accuracy is the fraction of samples whose largest output is the true class
    (for one-hot targets), or whose output rounds to the 0/1 target (one output).

    Example
    -------
    >>> hist = train_in_graph(model, X, Y, epochs=1000, validation_split=0.5)  # doctest: +SKIP
    >>> hist.history["val_accuracy"][-1]                                      # doctest: +SKIP
    0.955
    """
    return _GraphRunner(model, x, y, epochs=epochs, batch_size=batch_size,
                        validation_split=validation_split, validation_data=validation_data,
                        patience=patience, monitor=monitor)(_check_int("seed", seed, 0))


class _GraphRunner:
    """The compiled training loop of one model and data set, callable once per seed.

    Tracing the loop costs about a second; :class:`Trainer` traces it once
    per setting and reuses it for every seed (see :func:`_copy_state`).
    """

    def __init__(self, model, x, y, *, epochs, batch_size, validation_split, validation_data,
                 patience, monitor):
        import keras
        import tensorflow as tf

        if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
            raise ValueError("compile the model first: model.compile(optimizer=..., loss=...)")
        epochs = _check_int("epochs", epochs, 1)
        batch_size = _check_int("batch_size", batch_size, 1)
        if monitor not in _MONITORS:
            raise ValueError(f"monitor must be one of {_MONITORS}, got {monitor!r}")
        x, y = _as_arrays("training data", x, y)
        if validation_split is not None and validation_data is not None:
            raise ValueError("give validation_split or validation_data, not both")
        if validation_split is not None:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
            split_at = int(math.ceil(len(x) * (1 - validation_split)))
            if not 0 < split_at < len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples")
            x_val, y_val = x[split_at:], y[split_at:]
            x, y = x[:split_at], y[:split_at]
        elif validation_data is not None:
            x_val, y_val = _as_arrays("validation data", *validation_data)
        else:
            x_val = y_val = None
        if patience is not None:
            patience = _check_int("patience", patience, 1)
            if x_val is None:
                raise ValueError("early stopping (patience=...) needs validation_split or validation_data")

        loss_fn = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
        optimizer = model.optimizer
        weights = model.trainable_variables
        optimizer.build(weights)
        best = [tf.Variable(w, trainable=False) for w in weights]
        n, n_batches = len(x), int(math.ceil(len(x) / batch_size))
        xs, ys = tf.constant(x), tf.constant(y)
        has_val = x_val is not None
        xv = tf.constant(x_val if has_val else x[:1])
        yv = tf.constant(y_val if has_val else y[:1])
        sign = 1.0 if monitor == "val_loss" else -1.0
        limit = patience if patience is not None else epochs + 1

        def correct(target, pred):
            if pred.shape[-1] == 1 or len(target.shape) == 1:
                hits = tf.equal(tf.round(tf.reshape(pred, [-1])), tf.reshape(target, [-1]))
            else:
                hits = tf.equal(tf.argmax(pred, axis=-1), tf.argmax(target, axis=-1))
            return tf.reduce_sum(tf.cast(hits, tf.float32))

        def penalty():
            return tf.add_n([tf.cast(l, tf.float32) for l in model.losses]) if model.losses else 0.0

        def run(seed):
            curves = [tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[]) for _ in range(4)]
            best_score, best_epoch, wait, done = tf.constant(np.inf), tf.constant(-1), tf.constant(0), tf.constant(0)
            for epoch in tf.range(epochs):
                order = tf.argsort(tf.random.stateless_uniform([n], seed=tf.stack([seed, epoch])))
                loss_sum, hit_sum = tf.constant(0.0), tf.constant(0.0)
                for b in tf.range(n_batches):
                    idx = order[b * batch_size: tf.minimum((b + 1) * batch_size, n)]
                    xb, yb = tf.gather(xs, idx), tf.gather(ys, idx)
                    with tf.GradientTape() as tape:
                        pred = model(xb, training=True)
                        loss = tf.reduce_mean(tf.cast(loss_fn(yb, pred), tf.float32)) + penalty()
                    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
                    size = tf.cast(tf.shape(idx)[0], tf.float32)
                    loss_sum += loss * size
                    hit_sum += correct(yb, pred)
                curves[0] = curves[0].write(epoch, loss_sum / n)
                curves[1] = curves[1].write(epoch, hit_sum / n)
                done = epoch + 1
                if has_val:
                    pred_v = model(xv, training=False)
                    val_loss = tf.reduce_mean(tf.cast(loss_fn(yv, pred_v), tf.float32)) + penalty()
                    val_acc = correct(yv, pred_v) / tf.cast(tf.shape(xv)[0], tf.float32)
                    curves[2] = curves[2].write(epoch, val_loss)
                    curves[3] = curves[3].write(epoch, val_acc)
                    score = sign * (val_loss if monitor == "val_loss" else val_acc)
                    if score < best_score:
                        best_score, best_epoch, wait = score, epoch, 0
                        for keep, w in zip(best, weights):
                            keep.assign(w)
                    else:
                        wait += 1
                    if wait >= limit:
                        break
            return [c.stack() for c in curves], done, best_epoch

        # Calling the concrete function directly traces once and keeps TensorFlow's
        # "frequent retracing" warning (meant for accidental retraces) quiet.
        self._run = tf.function(run).get_concrete_function(tf.TensorSpec([], tf.int32))
        self._best, self._weights, self._has_val, self._patience = best, weights, has_val, patience

    def __call__(self, seed: int) -> TrainingHistory:
        import tensorflow as tf

        curves, done, best_epoch = self._run(tf.constant(seed, tf.int32))
        names = ["loss", "accuracy", "val_loss", "val_accuracy"]
        history = {name: [float(v) for v in c.numpy()] for name, c in zip(names, curves)
                   if self._has_val or not name.startswith("val_")}
        restored = None
        if self._patience is not None:
            for keep, w in zip(self._best, self._weights):
                w.assign(keep)
            restored = int(best_epoch) + 1
        return TrainingHistory(history=history, epochs_run=int(done), best_epoch=restored)


def _copy_state(source, target) -> None:
    """Copy all variables of a compiled model (weights, random-layer seeds, optimizer state) into a twin."""
    for model in (source, target):
        model.optimizer.build(model.trainable_variables)
    pairs = list(zip(source.variables, target.variables)) + \
        list(zip(source.optimizer.variables, target.optimizer.variables))
    if len(source.variables) != len(target.variables) or \
            len(source.optimizer.variables) != len(target.optimizer.variables) or \
            any(tuple(a.shape) != tuple(b.shape) for a, b in pairs):
        raise ValueError("build() must return models of identical structure and optimizer every time")
    for a, b in pairs:
        b.assign(a)


def predict(model, x, *, batch_size: int = 4096) -> np.ndarray:
    """A trained model's outputs at inference (``training=False``), computed in batches.

    Calls the model directly (no ``predict`` tracing per model). Dropout and
    ``Random*`` augmentation layers are inactive, as in ``model.predict``.

    Raises
    ------
    ValueError
        If ``x`` is empty or ``batch_size`` is not a positive integer.
    """
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        raise ValueError("predict: x must not be empty")
    batch_size = _check_int("batch_size", batch_size, 1)
    return np.concatenate([np.asarray(model(x[i:i + batch_size], training=False))
                           for i in range(0, len(x), batch_size)])


def accuracy(model, x, y, *, batch_size: int = 4096) -> float:
    """Fraction of samples a trained model classifies correctly, at inference (``training=False``).

    Calls the model directly (no ``predict`` tracing per model), in batches.
    Dropout and ``Random*`` augmentation layers are inactive, as in ``predict``.

    Parameters
    ----------
    model : keras.Model
    x : array-like
        Inputs.
    y : array-like
        One-hot targets (compared by argmax), or 0/1 targets for a single output.
    batch_size : int
        Samples per call.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in length or are empty.

    Example
    -------
    >>> accuracy(model, X_test, Y_test)   # doctest: +SKIP
    0.9853
    """
    x, y = _as_arrays("accuracy", x, y)
    pred = predict(model, x, batch_size=batch_size)
    if pred.shape[-1] == 1 or y.ndim == 1:
        hits = np.round(pred.reshape(-1)) == y.reshape(-1)
    else:
        hits = pred.argmax(axis=-1) == y.argmax(axis=-1)
    return float(hits.mean())


@dataclass
class Trial:
    """One training run of one setting: the trained model, its curves and its scores.

    Attributes
    ----------
    seed : int
    model : keras.Model
        Trained (with early stopping: the restored best weights).
    history : TrainingHistory
    val_accuracy : float
        Validation accuracy of the weights kept (best epoch with early stopping, else the last).
    test_accuracy : float
        Accuracy on the test set, which plays no part in training or early stopping.
    """

    seed: int
    model: object = field(repr=False)
    history: TrainingHistory = field(repr=False)
    val_accuracy: float
    test_accuracy: float

    def as_row(self, **labels) -> dict:
        """The scores as a flat dict (for a ``pandas.DataFrame``), with extra ``labels`` first."""
        return {**labels, "seed": self.seed, "epochs_run": self.history.epochs_run,
                "best_epoch": self.history.best_epoch, "val_accuracy": self.val_accuracy,
                "test_accuracy": self.test_accuracy}


class Trainer:
    """One architecture's training, traced once and run for any seed: ``Trainer(...)(seed)`` gives a :class:`Trial`.

    Parameters
    ----------
    build : callable
        ``build()`` returns a new compiled model. It is called right after
        ``keras.utils.set_random_seed(seed)``, so initial weights, dropout masks
        and augmentations all follow the seed, as in a fresh notebook.
    x, y : array-like
        Training data (and, with ``validation_split``, the validation data).
    x_test, y_test : array-like, optional
        Held-out data, only scored (``Trial.test_accuracy``; NaN without them).
    **train_kwargs
        As for :func:`train_in_graph`: ``epochs``, ``batch_size``,
        ``validation_split`` or ``validation_data``, ``patience``, ``monitor``.

    Notes
    -----
    The loop is traced on a twin model (the host) that belongs to no trial:
    every seed builds a fresh model, copies all its variables (weights, the
    seed states of dropout and ``Random*`` layers, the optimizer's state) into
    the host, trains there and copies the result back. A trial therefore ends
    exactly where :func:`train_in_graph` on a freshly built model would.

    Example
    -------
    >>> trainer = Trainer(make_model, X, Y, x_test=Xt, y_test=Yt, epochs=300,
    ...                   validation_split=0.5, patience=20)              # doctest: +SKIP
    >>> table = repeat_over_seeds(trainer, [{}], seeds=[0, 1, 2])          # doctest: +SKIP
    >>> table["test_accuracy"].round(3).tolist()                            # doctest: +SKIP
    [0.984, 0.987, 0.985]
    """

    def __init__(self, build, x, y, *, x_test=None, y_test=None, **train_kwargs):
        if not callable(build):
            raise ValueError(f"build must be a function returning a compiled model, got {build!r}")
        if "seed" in train_kwargs or "seeds" in train_kwargs:
            raise ValueError("give the seed when calling the trainer: trainer(seed)")
        unknown = set(train_kwargs) - {"epochs", *_TRAIN_DEFAULTS}
        if unknown:
            raise ValueError(f"unknown training arguments {sorted(unknown)}; "
                             f"use {sorted({'epochs', *_TRAIN_DEFAULTS})}")
        if "epochs" not in train_kwargs:
            raise ValueError("give epochs=...")
        if (x_test is None) != (y_test is None):
            raise ValueError("give both x_test and y_test, or neither")
        self.build, self.x, self.y = build, x, y
        self.x_test, self.y_test = x_test, y_test
        self.train_kwargs = {**_TRAIN_DEFAULTS, **train_kwargs}
        self._runner = self._host = None

    def __call__(self, seed: int) -> "Trial":
        """Build a fresh model under ``seed``, train it, score it."""
        import keras

        seed = _check_int("seed", seed, 0)
        keras.utils.set_random_seed(seed)
        model = self.build()
        if self._runner is None:
            self._host = self.build()
            self._runner = _GraphRunner(self._host, self.x, self.y, **self.train_kwargs)
        _copy_state(model, self._host)
        history = self._runner(seed)
        _copy_state(self._host, model)
        kept = (history.best_epoch or history.epochs_run) - 1
        val = history.history["val_accuracy"][kept] if "val_accuracy" in history.history else float("nan")
        test = accuracy(model, self.x_test, self.y_test) if self.x_test is not None else float("nan")
        return Trial(seed=seed, model=model, history=history, val_accuracy=float(val), test_accuracy=test)


# --------------------------------------------------------------------------- sweeps


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
        a :class:`Trial` (its :meth:`Trial.as_row` scores become columns, and the
        trial itself -- with its trained model -- the ``trial`` column),
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
    if isinstance(result, Trial):
        return [{**key, **{k: v for k, v in result.as_row().items() if k != "seed"}, "trial": result}]
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
