"""Keras model builders the notebooks share.

Each builder returns an uncompiled ``keras.Sequential`` that starts with
``keras.Input``, so ``model.summary()`` shows parameter counts before training.
Compile in the notebook, where the choice of loss and optimizer is the lesson.
New builders are appended at the end of this file.
"""

from __future__ import annotations

from typing import Sequence


def _check_positive(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def build_mlp(n_inputs: int, hidden: Sequence[int], n_outputs: int, *, activation: str = "relu",
              output_activation: str = "softmax", name: str = "mlp"):
    """A fully connected network: ``hidden`` Dense layers, then ``n_outputs`` units.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : sequence of int
        Units in each hidden layer; empty gives a single-layer perceptron.
    n_outputs : int
        Output units (classes for softmax).
    activation : str
        Hidden-layer activation.
    output_activation : str
        Output activation (``"softmax"``, ``"sigmoid"``, ``"linear"``...).
    name : str
        Model name shown by ``summary()``.

    Returns
    -------
    keras.Sequential

    Raises
    ------
    ValueError
        If a size is not a positive integer.

    Example
    -------
    >>> model = build_mlp(2, [6], 2)        # doctest: +SKIP
    >>> model.count_params()                # doctest: +SKIP
    32
    """
    import keras

    _check_positive("n_inputs", n_inputs)
    _check_positive("n_outputs", n_outputs)
    for units in hidden:
        _check_positive("hidden layer size", units)
    layers = [keras.Input(shape=(n_inputs,), name="inputs")]
    for i, units in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output"))
    return keras.Sequential(layers, name=name)


def image_augmentation(*, rotation: float = 0.0, translation: float = 0.0, zoom: float = 0.0,
                       fill_value: float = 0.0) -> list:
    """Random rotation, shift and zoom layers for small grey images, active only in training.

    Keras's ``Random*`` preprocessing layers transform every training batch
    afresh and pass inputs through unchanged at inference (``training=False``:
    ``predict``, ``evaluate``). They hold no weights. Empty space uncovered by a
    transform is filled with ``fill_value`` (0, the MNIST background), not
    Keras's default reflection, which would copy strokes into the margin.

    Parameters
    ----------
    rotation : float
        Largest rotation as a fraction of a full turn (0.05 is 18 degrees); 0 skips it.
    translation : float
        Largest shift as a fraction of height and width (0.1 is 2.8 pixels of 28); 0 skips it.
    zoom : float
        Largest zoom in or out as a fraction (0.1 is +-10%); 0 skips it.
    fill_value : float
        Pixel value for uncovered areas.

    Returns
    -------
    list of keras layers
        Possibly empty; pass it to :func:`build_regularized_mlp` as ``augmentation``.

    Raises
    ------
    ValueError
        If a strength is negative or 1 or more.

    Example
    -------
    >>> layers = image_augmentation(rotation=0.05, translation=0.1)  # doctest: +SKIP
    >>> [type(layer).__name__ for layer in layers]                   # doctest: +SKIP
    ['RandomRotation', 'RandomTranslation']
    """
    import keras

    for name, value in (("rotation", rotation), ("translation", translation), ("zoom", zoom)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    fill = dict(fill_mode="constant", fill_value=fill_value)
    layers = []
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, **fill, name="random_rotation"))
    if translation:
        layers.append(keras.layers.RandomTranslation(translation, translation, **fill,
                                                     name="random_translation"))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, **fill, name="random_zoom"))
    return layers


def build_regularized_mlp(n_inputs: int, hidden: Sequence[int], n_outputs: int, *,
                          activation: str = "relu", output_activation: str = "softmax",
                          l1: float = 0.0, l2: float = 0.0, dropout: float = 0.0,
                          augmentation: Sequence = (), image_shape: Sequence[int] | None = None,
                          name: str = "regularized_mlp"):
    """The network of :func:`build_mlp`, regularized without changing its architecture.

    The Dense layers, their units and activations are exactly those of
    ``build_mlp(n_inputs, hidden, n_outputs, ...)``, and so is the parameter
    count. What is added holds no weights and only acts in training:

    * ``l1``, ``l2``: a penalty ``l1 * sum|w| + l2 * sum w^2`` on every Dense kernel, added to the loss;
    * ``dropout``: a ``Dropout`` layer after each hidden layer;
    * ``augmentation``: preprocessing layers (e.g. from :func:`image_augmentation`)
      applied to the input reshaped to ``image_shape``, then flattened back.

    Parameters
    ----------
    n_inputs, hidden, n_outputs, activation, output_activation
        As in :func:`build_mlp`.
    l1, l2 : float
        Penalty strengths (>= 0); 0 adds no penalty.
    dropout : float
        Fraction of hidden units dropped per training step, in [0, 1).
    augmentation : sequence of keras layers
        Layers that take and return images of ``image_shape``.
    image_shape : sequence of int, optional
        Shape of one input as an image, e.g. ``(28, 28, 1)``; needed with ``augmentation``.
    name : str
        Model name.

    Returns
    -------
    keras.Sequential
        Uncompiled.

    Raises
    ------
    ValueError
        If a size or strength is out of range, or ``image_shape`` does not hold ``n_inputs`` values.

    Example
    -------
    >>> model = build_regularized_mlp(784, [100, 100, 100], 2, dropout=0.2,
    ...                               output_activation="sigmoid")       # doctest: +SKIP
    >>> model.count_params()                                             # doctest: +SKIP
    98902
    """
    import math

    import keras

    _check_positive("n_inputs", n_inputs)
    _check_positive("n_outputs", n_outputs)
    for units in hidden:
        _check_positive("hidden layer size", units)
    for label, value, top in (("l1", l1, None), ("l2", l2, None), ("dropout", dropout, 1.0)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 \
                or (top is not None and value >= top):
            raise ValueError(f"{label} must be a number >= 0{' and < 1' if top else ''}, got {value!r}")
    augmentation = list(augmentation)
    layers = [keras.Input(shape=(n_inputs,), name="inputs")]
    if augmentation:
        if image_shape is None or math.prod(image_shape) != n_inputs:
            raise ValueError(f"augmentation needs image_shape with {n_inputs} values in all, got {image_shape!r}")
        layers.append(keras.layers.Reshape(tuple(image_shape), name="as_image"))
        layers.extend(augmentation)
        layers.append(keras.layers.Flatten(name="as_vector"))
    penalty = keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None
    for i, units in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(units, activation=activation, kernel_regularizer=penalty,
                                         name=f"hidden_{i}"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation,
                                     kernel_regularizer=penalty, name="output"))
    return keras.Sequential(layers, name=name)


def build_calcium_baseline(*, name: str = "calcium_baseline"):
    """The calcium exercise's baseline CNN: Conv2D(32, 5x5, ReLU), MaxPool 4x4, Flatten, Dense(2) logits.

    Input: one 128x128 single-channel frame. 62,338 parameters, 61,506 of them in the dense layer.

    Returns
    -------
    keras.Sequential
        Uncompiled; outputs two logits (real, fake).

    Example
    -------
    >>> build_calcium_baseline().count_params()   # doctest: +SKIP
    62338
    """
    import keras

    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(128, 128, 1), name="frame"),
        L.Conv2D(32, (5, 5), activation="relu", name="conv5x5"),
        L.MaxPooling2D((4, 4), name="pool4x4"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="logits"),
    ], name=name)


def build_calcium_robust(filters: Sequence[int] = (8, 16, 32), *, dropout: float = 0.2,
                         standardize: bool = True, head: str = "global_avg",
                         name: str = "calcium_robust"):
    """A small CNN for 128x128 frames built to ignore session shifts.

    Per-frame standardization (``LayerNormalization`` over all pixels, no learned
    scale or centre) removes gain and brightness offsets; 3x3 convolutions with
    2x2 pooling detect local texture; global average pooling makes the output
    independent of where the pattern sits; dropout, then two logits.

    Parameters
    ----------
    filters : sequence of int
        Filters of each 3x3 convolution (pooling between them).
    dropout : float
        Dropout rate before the output layer, in [0, 1).
    standardize : bool
        Start with the per-frame standardization (``False`` for the ablation
        that shows what it is for).
    head : {"global_avg", "flatten"}
        How the last feature maps reach the output: averaged over the frame
        (position-free, the default) or flattened (every position weighed
        separately, as in the baseline).

    Returns
    -------
    keras.Sequential
        Uncompiled; outputs two logits (real, fake).

    Raises
    ------
    ValueError
        If a filter count is not a positive integer, dropout is outside [0, 1)
        or ``head`` is unknown.
    """
    import keras

    for f in filters:
        _check_positive("filters", f)
    if not filters:
        raise ValueError("filters must name at least one convolution")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if head not in ("global_avg", "flatten"):
        raise ValueError(f"head must be 'global_avg' or 'flatten', got {head!r}")
    L = keras.layers
    layers = [keras.Input(shape=(128, 128, 1), name="frame")]
    if standardize:
        layers.append(L.LayerNormalization(axis=(1, 2, 3), center=False, scale=False, name="standardize"))
    for i, f in enumerate(filters, start=1):
        if i > 1:
            layers.append(L.MaxPooling2D((2, 2), name=f"pool_{i - 1}"))
        layers.append(L.Conv2D(f, (3, 3), padding="same", activation="relu", name=f"conv_{i}"))
    layers.append(L.GlobalAveragePooling2D(name="global_avg") if head == "global_avg" else L.Flatten(name="flatten"))
    layers += [L.Dropout(dropout, name="dropout"), L.Dense(2, name="logits")]
    return keras.Sequential(layers, name=name)
