"""Verify data files against ``data/MANIFEST`` and load arrays safely.

``data/MANIFEST`` has the format of ``sha256sum`` output, one file per line,
paths relative to ``data/``::

    3f1c...e9  mnist_49.npz

so ``cd data && sha256sum -c MANIFEST`` checks it by hand. Every loader calls
:func:`verify` before it reads a file, and opens arrays with
``allow_pickle=False``: data never runs code.

A vendored file is always checked against its line (:func:`manifest_sha256`):
a missing, unreadable or empty ``MANIFEST``, or one without the file's line, is
an error, never a reason to skip the check. Generated files that are not in the
manifest are checked by content instead (shape, dtype, finite values).

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
    """A data file is missing, unreadable, corrupt, truncated, has the wrong shape, or cannot be written."""


#: How to repair ``data/MANIFEST`` (shown in every manifest error).
MANIFEST_FIX = "restore it with `git checkout data/MANIFEST`"


def manifest_path() -> Path:
    """The path of ``data/MANIFEST``."""
    return config.data_dir() / "MANIFEST"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks.

    Raises
    ------
    OSError
        If the file cannot be opened or read (:func:`verify` turns this into a
        :class:`DataError`).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: str | Path | None = None) -> dict[str, str]:
    """Parse a manifest into ``{relative path: sha256}``.

    Parameters
    ----------
    path : path-like, optional
        Defaults to ``data/MANIFEST``.

    Returns
    -------
    dict of str to str
        At least one entry.

    Raises
    ------
    DataError
        If the manifest is missing, not a readable text file, has no entries,
        or a line is not ``<64 hex digits><two spaces><path>``.

    Example
    -------
    >>> read_manifest()["lasso.npz"][:12]                  # doctest: +SKIP
    'a6261b92a97c'
    """
    path = Path(path) if path is not None else manifest_path()
    if not path.exists():
        raise DataError(f"{path} is missing, so the vendored data files cannot be verified; "
                        f"{MANIFEST_FIX}")
    if not path.is_file():
        raise DataError(f"{path} is not a file (a directory?); remove it, then {MANIFEST_FIX}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{path} cannot be read ({err.strerror or err}); check its permissions "
                        f"(`chmod u+r {path}`) or {MANIFEST_FIX}") from err
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a text file; {MANIFEST_FIX}") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0]):
            raise DataError(f"{path}:{number}: expected '<sha256>  <path>', got {line!r}; {MANIFEST_FIX}")
        entries[parts[1].strip().lstrip("*")] = parts[0]
    if not entries:
        raise DataError(f"{path} lists no files, so the vendored data files cannot be verified; "
                        f"{MANIFEST_FIX}")
    return entries


def manifest_sha256(name: str, manifest: str | Path | None = None) -> str:
    """The sha256 that ``data/MANIFEST`` records for ``name`` (a path relative to ``data/``).

    Parameters
    ----------
    name : str
        E.g. ``"lasso.npz"``.
    manifest : path-like, optional
        Defaults to ``data/MANIFEST``.

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    DataError
        If the manifest is missing, unreadable or empty (:func:`read_manifest`),
        or has no line for ``name``.
    """
    entries = read_manifest(manifest)
    if name not in entries:
        where = Path(manifest) if manifest is not None else manifest_path()
        raise DataError(f"{where} has no line for {name}, so data/{name} cannot be verified; "
                        f"{MANIFEST_FIX} (or, after rebuilding data/{name} on purpose, add its line: "
                        f"`cd data && sha256sum {name} >> MANIFEST`)")
    return entries[name]


def check_manifest(names: Iterable[str], manifest: str | Path | None = None) -> dict[str, str]:
    """Check that the manifest is there and has a line for each of ``names``.

    ``make data`` calls this before it prepares anything, so a broken manifest
    stops it at once.

    Returns
    -------
    dict of str to str
        ``{name: sha256}`` for ``names``.

    Raises
    ------
    DataError
        As :func:`manifest_sha256`, for the first name without a line.
    """
    return {name: manifest_sha256(name, manifest) for name in names}


def verify(path: str | Path, *, fix: str, expected_sha256: str | None = None,
           manifest_name: str | None = None) -> Path:
    """Check that ``path`` is a readable file and, when a hash is known, that it matches.

    Parameters
    ----------
    path : path-like
        The file to check.
    fix : str
        What the user should do when the check fails (shown in the error),
        e.g. ``"run `make data`"``.
    expected_sha256 : str, optional
        The hash to compare with.
    manifest_name : str, optional
        Compare with the line for this name in ``data/MANIFEST`` instead (for
        vendored files); a missing manifest or line is then an error. With
        neither argument the file is only checked to be a readable file.

    Returns
    -------
    pathlib.Path
        The path, for chaining.

    Raises
    ------
    DataError
        If the file is missing, is a directory, cannot be read, or its hash
        differs; or (with ``manifest_name``) the manifest lacks its line.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {path} is missing; {fix}")
    if not path.is_file():
        raise DataError(f"data file {path} is not a file (a directory?); remove it "
                        f"(`rm -r {path}`), then {fix}")
    if expected_sha256 is None and manifest_name is not None:
        expected_sha256 = manifest_sha256(manifest_name)
    try:
        if expected_sha256 is None:
            with open(path, "rb") as handle:
                handle.read(1)
            return path
        actual = sha256_file(path)
    except OSError as err:
        raise DataError(f"data file {path} cannot be read ({err.strerror or err}); check its "
                        f"permissions (`chmod u+r {path}`), or {fix}") from err
    if actual != expected_sha256:
        raise DataError(
            f"data file {path} does not match its sha256 (expected {expected_sha256[:12]}..., "
            f"found {actual[:12]}...): it is corrupt, truncated or was changed; {fix}")
    return path


def check_array(name: str, array: np.ndarray, *, shape: Iterable[int | None] | None = None,
                dtype: str | np.dtype | None = None, where: str = "", finite: bool = False) -> np.ndarray:
    """Raise :class:`DataError` unless ``array`` has the promised shape and dtype.

    Parameters
    ----------
    name : str
        The array's name in messages.
    array : numpy.ndarray
        The array to check.
    shape : iterable of int or None, optional
        ``None`` in ``shape`` matches any length on that axis.
    dtype : str or numpy.dtype, optional
        The exact dtype required.
    where : str
        The file it came from, for messages.
    finite : bool
        Also require every value of a floating-point array to be finite (no NaN or inf).

    Returns
    -------
    numpy.ndarray
        ``array``, for chaining.

    Raises
    ------
    DataError
        Naming the array, the file, what it has and what was expected.

    Example
    -------
    >>> check_array("x", np.array([1.0, np.nan]), finite=True)
    Traceback (most recent call last):
    ...
    mlcourse.data.manifest.DataError: array 'x' holds 1 non-finite value (NaN or inf), first at index (1,)
    """
    place = f" in {where}" if where else ""
    if shape is not None:
        shape = tuple(shape)
        if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise DataError(f"array '{name}'{place} has shape {array.shape}, expected {want}")
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise DataError(f"array '{name}'{place} has dtype {array.dtype}, expected {np.dtype(dtype)}")
    if finite and array.dtype.kind in "fc":
        bad = ~np.isfinite(array)
        if bad.any():
            count = int(bad.sum())
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"array '{name}'{place} holds {count:,} non-finite "
                            f"value{'s' if count > 1 else ''} (NaN or inf), first at index {first}")
    return array


def _unreadable(path: Path, err: BaseException, fix: str, kind: str) -> DataError:
    """The error for a file that passed :func:`verify` but could not be parsed."""
    if isinstance(err, (PermissionError, IsADirectoryError)):
        return DataError(f"data file {path} cannot be read ({err.strerror or err}); check its "
                         f"permissions (`chmod u+r {path}`), or {fix}")
    return DataError(f"data file {path} cannot be read as {kind} ({err}): it is corrupt or "
                     f"truncated; {fix}")


def _with_fix(err: DataError, fix: str) -> DataError:
    return DataError(f"{err}; {fix}")


def load_npz(path: str | Path, *, fix: str,
             arrays: Mapping[str, tuple[Iterable[int | None] | None, str | None]] | None = None,
             expected_sha256: str | None = None, manifest_name: str | None = None,
             finite: bool = False) -> dict[str, np.ndarray]:
    """Verify and load an ``.npz`` file without pickles.

    Parameters
    ----------
    path : path-like
        The file.
    fix : str
        How to repair a bad file (shown in every error).
    arrays : mapping, optional
        ``{name: (shape, dtype)}`` the file must contain; ``None`` skips a check.
    expected_sha256, manifest_name : str, optional
        The file's hash, or its name in ``data/MANIFEST`` (see :func:`verify`).
    finite : bool
        Require every floating-point array in the file to hold only finite values.

    Returns
    -------
    dict of numpy.ndarray

    Raises
    ------
    DataError
        Missing, unreadable, hash mismatch, not a readable npz, a missing array,
        a wrong shape/dtype, or NaN/inf where ``finite`` asks for none.

    Example
    -------
    >>> load_npz("data/lasso.npz", fix="run `make data`", manifest_name="lasso.npz",
    ...          arrays={"X": ((100, 50), "float64")})["X"].shape      # doctest: +SKIP
    (100, 50)
    """
    path = verify(path, fix=fix, expected_sha256=expected_sha256, manifest_name=manifest_name)
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise _unreadable(path, err, fix, ".npz") from None
    for key, (shape, dtype) in (arrays or {}).items():
        if key not in data:
            raise DataError(f"data file {path} has no array '{key}' (it has {sorted(data)}); {fix}")
    try:
        for key, (shape, dtype) in (arrays or {}).items():
            check_array(key, data[key], shape=shape, dtype=dtype, where=str(path))
        for key in data if finite else ():
            check_array(key, data[key], where=str(path), finite=True)
    except DataError as err:
        raise _with_fix(err, fix) from None
    return data


def load_npy(path: str | Path, *, fix: str, shape: Iterable[int | None] | None = None,
             dtype: str | None = None, expected_sha256: str | None = None,
             manifest_name: str | None = None, finite: bool = False) -> np.ndarray:
    """Verify and load one ``.npy`` array without pickles; same checks and errors as :func:`load_npz`."""
    path = verify(path, fix=fix, expected_sha256=expected_sha256, manifest_name=manifest_name)
    try:
        array = np.load(path, allow_pickle=False)
    except (EOFError, OSError, ValueError) as err:
        raise _unreadable(path, err, fix, ".npy") from None
    try:
        return check_array(path.name, array, shape=shape, dtype=dtype, where=str(path), finite=finite)
    except DataError as err:
        raise _with_fix(err, fix) from None
