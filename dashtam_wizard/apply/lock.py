"""One wizard per repo: `.dashtam-wizard/lock` holds the owner's pid and start time.

The truth is an flock on that file (the kernel drops it when the owner dies, even on
SIGKILL); the pid and start time are there to name the owner in the refusal and to catch a
live owner on a file system without flock. A lock left by a dead process is taken over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.statedir import LOCK, STATE_DIR
from .fsio import PRIVATE_FILE
from .records import ApplyError


def _proc_start(pid: int) -> str | None:
    """Kernel start time of `pid` (tells a live owner from a recycled pid), None if unknown."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RepoLock:
    """Context manager holding the repo lock; `took_over` describes a stale lock replaced."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK
        self.fd: int | None = None
        self.took_over: str | None = None

    def __enter__(self) -> RepoLock:
        while True:
            fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, PRIVATE_FILE
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = self._describe(self._read(fd))
                os.close(fd)
                raise ApplyError(
                    f"{STATE_DIR}/{LOCK}: another dashtam-wizard is working on this repo ({owner}); "
                    "wait for it to finish",
                    f"{STATE_DIR}/{LOCK}",
                ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:  # else: the previous owner unlinked it between our open and flock
                break
            os.close(fd)
        self.fd = fd
        prev = self._read(fd)
        if prev:
            pid = prev.get("pid")
            if (
                isinstance(pid, int)
                and pid != os.getpid()
                and prev.get("host") == socket.gethostname()
                and _alive(pid)
                and prev.get("proc_start") is not None
                and prev.get("proc_start") == _proc_start(pid)
            ):
                os.close(fd)
                self.fd = None
                raise ApplyError(
                    f"{STATE_DIR}/{LOCK}: another dashtam-wizard is working on this repo "
                    f"({self._describe(prev)}); wait for it to finish",
                    f"{STATE_DIR}/{LOCK}",
                )
            self.took_over = f"took over a stale lock ({self._describe(prev)})"
        me = {
            "pid": os.getpid(),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
            "proc_start": _proc_start(os.getpid()),
            "host": socket.gethostname(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode() + b"\n", 0)
        os.fsync(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self.fd)
            self.fd = None

    @staticmethod
    def _read(fd: int) -> dict[str, Any]:
        try:
            data = os.pread(fd, 4096, 0)
            value = json.loads(data) if data.strip() else {}
        except (OSError, ValueError):
            return {"pid": None}
        return value if isinstance(value, dict) else {"pid": None}

    @staticmethod
    def _describe(info: dict[str, Any]) -> str:
        return f"pid {info.get('pid', '?')}, started {info.get('started', '?')}"
