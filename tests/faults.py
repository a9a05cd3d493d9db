"""Fault injection shared by the data tests: unreadable files, read-only folders, folder snapshots.

Used on temporary copies only (tmp_path), never on the project's data/.
"""

import builtins
import io
import os
from pathlib import Path


def deny_read(monkeypatch, path):
    """Make ``path`` unreadable: chmod 000, or (as root, who reads anything) an open() that refuses it."""
    path = Path(path)
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        path.chmod(0)
        return
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    monkeypatch.setattr(io, "open", refusing_open)


def forbid_writes(monkeypatch, folder):
    """Make every attempt to create, replace, change or delete anything under ``folder`` fail,
    as on a read-only checkout (works as root too, where chmod would not stop a write)."""
    folder = Path(folder).resolve()

    def inside(path):
        return Path(os.fspath(path)).resolve().is_relative_to(folder)

    def refuse(name, real, *path_args):
        def guarded(*args, **kwargs):
            if any(inside(args[i]) for i in path_args if i < len(args)):
                raise PermissionError(13, f"read-only checkout ({name})", os.fspath(args[0]))
            return real(*args, **kwargs)
        return guarded

    real_os_open, real_open = os.open, builtins.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def os_open(path, flags, *args, **kwargs):
        if flags & writing and inside(path):
            raise PermissionError(13, "read-only checkout (os.open)", os.fspath(path))
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and set(mode) & set("wax+") and inside(file):
            raise PermissionError(13, "read-only checkout (open)", os.fspath(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)
    for name, positions in (("replace", (0, 1)), ("rename", (0, 1)), ("unlink", (0,)), ("remove", (0,)),
                            ("mkdir", (0,)), ("rmdir", (0,)), ("chmod", (0,)), ("utime", (0,))):
        monkeypatch.setattr(os, name, refuse(name, getattr(os, name), *positions))


def snapshot(folder):
    """Every file and folder under ``folder`` (hidden ones too) with its inode, size and mtime."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob("*"))}
