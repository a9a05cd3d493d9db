"""Verify data files against ``data/MANIFEST`` and load arrays safely.

``data/MANIFEST`` has the format of ``sha256sum`` output, one file per line,
paths relative to ``data/``::

    3f1c...e9  mnist_49.npz

so ``cd data && sha256sum -c MANIFEST`` checks it by hand. Every loader calls
:func:`verify` before it reads a file, and opens arrays with
``allow_pickle=False``: data never runs code.

Errors are :class:`DataError` (a ``ValueError``) and always name the file, what
was wrong, and how to fix it.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from .. import config


class DataError(ValueError):
    """A data file is missing, corrupt, truncated or has the wrong shape."""


def manifest_path() -> Path:
    """The path of ``data/MANIFEST``."""
    return config.data_dir() / "MANIFEST"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: str | Path | None = None) -> dict[str, str]:
    """Parse a manifest into ``{relative path: sha256}``.

    Raises
    ------
    DataError
        If a line is not ``<64 hex digits><two spaces><path>``.
    """
    path = Path(path) if path is not None else manifest_path()
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0]):
            raise DataError(f"{path}:{number}: expected '<sha256>  <path>', got {line!r}; "
                            "restore the file with `git checkout data/MANIFEST`")
        entries[parts[1].strip().lstrip("*")] = parts[0]
    return entries


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(config.data_dir().resolve()).as_posix()
    except ValueError:
        return path.name


def verify(path: str | Path, *, fix: str, expected_sha256: str | None = None) -> Path:
    """Check that ``path`` exists and matches its sha256.

    Parameters
    ----------
    path : path-like
        The file to check.
    fix : str
        What the user should do when the check fails (shown in the error),
        e.g. ``"run `make data`"``.
    expected_sha256 : str, optional
        The hash to compare with; by default the file's entry in ``data/MANIFEST``.
        A file with no entry and no expected hash is only checked for existence.

    Returns
    -------
    pathlib.Path
        The path, for chaining.

    Raises
    ------
    DataError
        If the file is missing or its hash differs.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {path} is missing; {fix}")
    expected = expected_sha256 or read_manifest().get(_relative(path))
    if expected is not None:
        actual = sha256_file(path)
        if actual != expected:
            raise DataError(
                f"data file {path} does not match its sha256 (expected {expected[:12]}..., "
                f"found {actual[:12]}...): it is corrupt, truncated or was changed; {fix}")
    return path


def check_array(name: str, array: np.ndarray, *, shape: Iterable[int | None] | None = None,
                dtype: str | np.dtype | None = None, where: str = "") -> np.ndarray:
    """Raise :class:`DataError` unless ``array`` has the promised shape and dtype.

    ``None`` in ``shape`` matches any length on that axis.
    """
    place = f" in {where}" if where else ""
    if shape is not None:
        shape = tuple(shape)
        if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise DataError(f"array '{name}'{place} has shape {array.shape}, expected {want}")
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise DataError(f"array '{name}'{place} has dtype {array.dtype}, expected {np.dtype(dtype)}")
    return array


def load_npz(path: str | Path, *, fix: str,
             arrays: Mapping[str, tuple[Iterable[int | None] | None, str | None]] | None = None,
             expected_sha256: str | None = None) -> dict[str, np.ndarray]:
    """Verify and load an ``.npz`` file without pickles.

    Parameters
    ----------
    path : path-like
        The file.
    fix : str
        How to repair a bad file (shown in every error).
    arrays : mapping, optional
        ``{name: (shape, dtype)}`` the file must contain; ``None`` skips a check.

    Returns
    -------
    dict of numpy.ndarray

    Raises
    ------
    DataError
        Missing, hash mismatch, not a readable npz, a missing array, or a wrong shape/dtype.
    """
    path = verify(path, fix=fix, expected_sha256=expected_sha256)
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise DataError(f"data file {path} cannot be read as .npz ({err}); {fix}") from None
    for key, (shape, dtype) in (arrays or {}).items():
        if key not in data:
            raise DataError(f"data file {path} has no array '{key}' (it has {sorted(data)}); {fix}")
        check_array(key, data[key], shape=shape, dtype=dtype, where=str(path))
    return data


def load_npy(path: str | Path, *, fix: str, shape: Iterable[int | None] | None = None,
             dtype: str | None = None, expected_sha256: str | None = None) -> np.ndarray:
    """Verify and load one ``.npy`` array without pickles; same errors as :func:`load_npz`."""
    path = verify(path, fix=fix, expected_sha256=expected_sha256)
    try:
        array = np.load(path, allow_pickle=False)
    except (EOFError, OSError, ValueError) as err:
        raise DataError(f"data file {path} cannot be read as .npy ({err}): it is corrupt or "
                        f"truncated; {fix}") from None
    return check_array(path.name, array, shape=shape, dtype=dtype, where=str(path))
