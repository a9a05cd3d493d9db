"""Datasets: one module per dataset, each with a ``load_<name>()`` returning arrays and a source.

A module may also define ``prepare(verbose=True)``, which generates or checks
its files under ``data/``, and ``VENDORED_FILES``, the committed files whose
sha256 must be in ``data/MANIFEST``. :func:`prepare_all` (``make data``,
``python -m mlcourse data``) checks the manifest for every vendored file first,
then calls every ``prepare`` it finds, so adding a dataset needs no
registration here. Modules whose names start with ``_`` and ``manifest`` are
helpers, not datasets.
"""

from __future__ import annotations

import importlib
import pkgutil

from .manifest import DataError, check_manifest, verify  # noqa: F401  (re-exported)


def dataset_modules() -> list[str]:
    """Names of the dataset modules in this package (all but ``manifest`` and private ``_`` helpers)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if m.name != "manifest" and not m.name.startswith("_"))


def prepare_all(verbose: bool = True) -> list[str]:
    """Check ``data/MANIFEST``, then run ``prepare()`` of every dataset module that has one.

    A missing or empty manifest, or one without a line for a module's
    ``VENDORED_FILES``, stops it before anything is generated. When every file
    is already in place and intact, nothing is written, so ``make data`` works
    in a read-only checkout.

    Returns
    -------
    list of str
        The names of the modules prepared.

    Raises
    ------
    DataError
        From the manifest check, or from the first dataset whose files cannot
        be made or verified; the message names the file and the fix.

    Example
    -------
    >>> prepare_all(verbose=False)               # doctest: +SKIP
    ['calcium', 'lasso', 'mnist', 'sine_waves']
    """
    modules = {name: importlib.import_module(f"{__name__}.{name}") for name in dataset_modules()}
    check_manifest(name for module in modules.values() for name in getattr(module, "VENDORED_FILES", ()))
    done = []
    for name, module in modules.items():
        prepare = getattr(module, "prepare", None)
        if callable(prepare):
            prepare(verbose=verbose)
            done.append(name)
    return done
