"""Writing data files: whole or not at all, and only when something changed.

Every file that :mod:`mlcourse.data` generates goes through :func:`atomic_write`:
the bytes go to a hidden temporary file beside the target
(``.<name>.<random>.tmp``), which is renamed over the target only once it is
complete. A reader (another notebook preparing the same data at the same time)
sees the old file or the new one, never half of one, and a failed write leaves
neither a half-written target nor a stray temporary file. Errors are
:class:`~mlcourse.data.manifest.DataError` naming the file and what to do.

:func:`write_text_if_changed` leaves a file alone when it already holds the
text, so ``make data`` writes nothing in a checkout that is up to date (and
works when the checkout is read-only).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import BinaryIO, Callable

from .._atomic import replace_atomically
from .manifest import DataError


def _write_error(path: Path, err: OSError, fix: str) -> DataError:
    reason = err.strerror or str(err)
    return DataError(f"cannot write data file {path} ({reason}); make sure {path.parent} is a writable "
                     f"folder with free space, then {fix}")


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None], *, fix: str) -> Path:
    """Write a file through ``write(handle)`` so that it appears whole or not at all.

    Parameters
    ----------
    path : path-like
        The file to write; its folder is created if needed.
    write : callable
        Called once with a binary file handle open for writing (seekable), e.g.
        ``lambda f: np.save(f, array, allow_pickle=False)``.
    fix : str
        What the user should do after a failed write (shown in the error),
        e.g. ``"run `make data` again"``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataError
        If a directory stands where the file belongs, or the folder cannot be
        written (permissions, disk full). The target is then unchanged and no
        temporary file is left behind.
    Exception
        Whatever ``write`` raises, after the temporary file is removed.

    Example
    -------
    >>> atomic_write("data/x.bin", lambda f: f.write(b"abc"), fix="run `make data`")  # doctest: +SKIP
    PosixPath('data/x.bin')
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a directory where a data file belongs; remove it "
                        f"(`rm -r {path}`), then {fix}")
    try:
        return replace_atomically(path, write)
    except OSError as err:   # the target is unchanged and no temporary file is left
        raise _write_error(path, err, fix) from err


def write_text_if_changed(path: str | Path, text: str, *, fix: str) -> bool:
    """Write ``text`` (UTF-8) atomically unless the file already holds exactly that text.

    Parameters
    ----------
    path : path-like
        The file.
    text : str
        The content it must hold.
    fix : str
        What to do after a failed write (see :func:`atomic_write`).

    Returns
    -------
    bool
        True if the file was written, False if it already held ``text``.

    Raises
    ------
    DataError
        As :func:`atomic_write`, when the file must be written and cannot be.
    """
    path = Path(path)
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.is_file() and path.read_bytes() == data:
            return False
    atomic_write(path, lambda handle: handle.write(data), fix=fix)
    return True
