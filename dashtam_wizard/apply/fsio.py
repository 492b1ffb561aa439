"""Durable file primitives: atomic replace, fsynced directories, private state files.

Every helper fsyncs what it changed (file and parent directory) before returning, so a
journal line written after it is never ahead of the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from .faults import point

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quiet(path: Path) -> bool:
    """Remove a file if present; True when something was removed (parent dir fsynced)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


def write_atomic(
    path: Path, data: bytes, mode: int, tmp: Path | None = None, *, points: bool = True
) -> None:
    """Replace `path` with `data`: temp file in the same dir, fsync, chmod, rename, fsync dir.

    The temp file is created 0600 and only gets `mode` right before the rename, so a secret
    is never briefly world-readable. `tmp` lets the caller pick a name it can clean up after
    a crash. Two journal points: temp durable, rename durable.
    """
    tmp = tmp or path.with_name(f".{path.name}.dwtmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE
    )
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if points:
            point()
        os.rename(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # os.write knows no name: the error names the file written
        raise
    fsync_dir(path.parent)
    if points:
        point()


def make_private_dir(path: Path) -> None:
    """mkdir -p with 0700 on every level created (state folders hold secrets)."""
    if path.is_dir() and not path.is_symlink():
        return
    make_private_dir(path.parent)
    try:
        os.mkdir(path, PRIVATE_DIR)
    except FileExistsError:
        if not path.is_dir() or path.is_symlink():
            raise
        return
    os.chmod(path, PRIVATE_DIR)
    fsync_dir(path.parent)


def write_private(path: Path, data: bytes) -> None:
    """Atomically write a 0600 state file (its folders created 0700)."""
    make_private_dir(path.parent)
    write_atomic(path, data, PRIVATE_FILE)


def file_mode(st: os.stat_result) -> int:
    return stat.S_IMODE(st.st_mode)
