"""Datasets: one module per dataset, each with a ``load_<name>()`` returning arrays and a source.

A module may also define ``prepare(verbose=True)``, which generates or checks
its files under ``data/``; :func:`prepare_all` (``make data``,
``python -m mlcourse data``) calls every one it finds, so adding a dataset
needs no registration here.
"""

from __future__ import annotations

import importlib
import pkgutil

from .manifest import DataError, verify  # noqa: F401  (re-exported)


def dataset_modules() -> list[str]:
    """Names of the dataset modules in this package (everything but ``manifest``)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "manifest")


def prepare_all(verbose: bool = True) -> list[str]:
    """Run ``prepare()`` of every dataset module that has one; return their names.

    Raises
    ------
    DataError
        From the first dataset whose files cannot be made or verified.
    """
    done = []
    for name in dataset_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        prepare = getattr(module, "prepare", None)
        if callable(prepare):
            prepare(verbose=verbose)
            done.append(name)
    return done
