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
