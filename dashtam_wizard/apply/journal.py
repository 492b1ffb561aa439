"""Append-only journal: one checksummed JSON object per line, fsynced before acting.

A line only counts when it is complete (ends in a newline) and its CRC matches, so a line
torn by a crash mid-write is simply not there; the next append first terminates a torn tail
so it cannot swallow the following line.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

from .faults import point
from .fsio import PRIVATE_FILE, fsync_dir


def _encode(event: dict[str, Any]) -> bytes:
    body = json.dumps(event, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(body.encode()):08x} {body}\n".encode()


def append(path: Path, event: dict[str, Any]) -> None:
    """Durably append one event. Two journal points: half a line written, line durable."""
    line = _encode(event)
    created = not path.exists()
    fd = os.open(
        path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, PRIVATE_FILE
    )
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")
        half = len(line) // 2
        os.write(fd, line[:half])
        point()
        os.write(fd, line[half:])
        os.fsync(fd)
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
    point()


def read(path: Path) -> list[dict[str, Any]]:
    """Every complete, intact event in order (torn or corrupt lines are skipped)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    events: list[dict[str, Any]] = []
    for line in raw.split(b"\n")[:-1]:
        crc, _, body = line.partition(b" ")
        try:
            if int(crc, 16) != zlib.crc32(body):
                continue
            event = json.loads(body)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events
