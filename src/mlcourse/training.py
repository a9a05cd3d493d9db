"""Train a small compiled Keras model for many epochs inside one TensorFlow graph.

``model.fit`` pays a fixed cost every epoch (callbacks, iterators, a separate
validation pass), which for a tiny network on a few hundred samples is far more
than the arithmetic: on a busy 2-core machine a 1,000-epoch fit of a
100-100-100 MLP on 400 images takes several minutes. :func:`train_in_graph` runs
the same mini-batch loop -- reshuffle every epoch, batches of ``batch_size``
(the last one smaller), one optimizer step per batch, validation at the end of
every epoch, optional early stopping -- as a single ``tf.function``, so the whole
run costs about as much as its arithmetic.

It uses the model's own compiled ``optimizer`` and ``loss``, calls the model with
``training=True`` (so dropout and ``keras.layers.Random*`` augmentation layers
are active) and adds the model's regularization penalties to the loss, exactly
as ``fit`` does. The model stays an ordinary Keras model: ``predict``,
``evaluate`` and ``save`` work as usual afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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

    Tracing the loop costs about a second; :func:`train_over_seeds` traces it once
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
            curves = [tf.TensorArray(tf.float32, size=0, dynamic_size=True) for _ in range(4)]
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


def train_over_seeds(build, x, y, *, seeds, x_test, y_test, **train_kwargs) -> list[Trial]:
    """Train one setting once per seed: reseed, build a fresh model, train, score.

    Parameters
    ----------
    build : callable
        ``build()`` returns a new compiled model; it is called right after
        ``keras.utils.set_random_seed(seed)``, so initial weights, dropout masks
        and augmentations all follow the seed.
    x, y : array-like
        Training data (and, with ``validation_split``, the validation data).
    seeds : sequence of int
        One run per seed.
    x_test, y_test : array-like
        Held-out test data, only scored.
    **train_kwargs
        Passed to :func:`train_in_graph` (``epochs``, ``validation_split``, ``patience``...).

    Returns
    -------
    list of Trial

    Raises
    ------
    ValueError
        If ``seeds`` is empty, or from :func:`train_in_graph`.

    Example
    -------
    >>> trials = train_over_seeds(make_model, X, Y, seeds=[0, 1, 2], x_test=Xt, y_test=Yt,
    ...                           epochs=300, validation_split=0.5, patience=20)  # doctest: +SKIP
    >>> [t.test_accuracy for t in trials]                                     # doctest: +SKIP
    [0.984, 0.987, 0.985]
    """
    import keras

    seeds = [_check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if "seed" in train_kwargs:
        raise ValueError("give seeds=[...], not seed=")
    trials, runner, host = [], None, None
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = build()
        # The training loop is traced once, on a twin model (the host) that belongs to no
        # trial: every seed copies its fresh initial state into the host, trains there and
        # copies the result back, so each trial's model keeps its own trained weights.
        if runner is None:
            host = build()
            runner = _GraphRunner(host, x, y, **{**_TRAIN_DEFAULTS, **train_kwargs})
        _copy_state(model, host)
        history = runner(seed)
        _copy_state(host, model)
        kept = (history.best_epoch or history.epochs_run) - 1
        val = history.history["val_accuracy"][kept] if "val_accuracy" in history.history else float("nan")
        trials.append(Trial(seed=seed, model=model, history=history, val_accuracy=float(val),
                            test_accuracy=accuracy(model, x_test, y_test)))
    return trials
