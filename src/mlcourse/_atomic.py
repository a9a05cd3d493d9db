"""Write a file so that readers see the old one or the new one, never half of it.

The one implementation behind :func:`mlcourse.results.atomic_write_text` (results
files, the README) and :func:`mlcourse.data._io.atomic_write` (data files): the
content goes to a temporary file beside the target (``.<name>.<random>.tmp``),
is flushed to disk, gets the mode the target had (or the usual ``0o666`` less
the umask), and replaces the target with ``os.replace``. On any error -- or
Ctrl-C -- the temporary file is removed and the target is unchanged.
Portable: no ``fcntl``, works on Windows.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def file_mode(path: Path) -> int:
    """The mode a new file gets (0o666 less the umask), or the mode of the file it replaces."""
    with contextlib.suppress(OSError):
        return Path(path).stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def replace_atomically(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` through ``write(handle)`` (a binary handle), atomically.

    Raises
    ------
    OSError
        If the folder cannot be made or written; the target is then unchanged
        and no temporary file is left.
    Exception
        Whatever ``write`` raises, after the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0o600; keep the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
