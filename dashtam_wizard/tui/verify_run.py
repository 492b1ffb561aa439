"""The Verify job, run in a worker thread: connect, build, check, stream events to the UI.

Every build line also goes to `.dashtam-wizard/logs/verify-<stage>.log`, so the screen can
cap what it keeps in memory and still point at the whole log.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..core.statedir import LOGS, STATE_DIR
from ..events import (
    BuildFinished,
    BuildStarted,
    CacheHit,
    Output,
    StepFailed,
    StepStarted,
    TestOutput,
)
from .docker_probe import describe_version

if TYPE_CHECKING:
    from ..docker.report import VerifyReport

LOG_DIR = f"{STATE_DIR}/{LOGS}"


LINE_EVENTS = (Output, TestOutput, CacheHit, StepStarted)


class Batcher:
    """Collects progress objects in the worker thread and hands them over in batches.

    A build can print thousands of lines a second; one message per line floods the app's
    queue (memory grows, key presses wait behind it). Lines are grouped for up to
    `interval` seconds; anything else (a stage starting or finishing, a check result)
    flushes at once, so the order is kept.
    """

    def __init__(self, post: Callable[[list[Any]], object], interval: float = 0.05) -> None:
        self.post = post
        self.interval = interval
        self.pending: list[Any] = []
        self.last = time.monotonic()

    def __call__(self, obj: Any) -> None:
        self.pending.append(obj)
        now = time.monotonic()
        if not isinstance(obj, LINE_EVENTS) or now - self.last >= self.interval:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            self.post(batch)
        self.last = time.monotonic() if now is None else now


class Unavailable(Exception):
    """Verify cannot run (no Docker module, no daemon, nothing to build); str() says why."""


class Stopped(Exception):
    """The user quit (or re-ran) while a build was streaming."""


def log_path(target: str | None) -> str:
    return f"{LOG_DIR}/verify-{re.sub(r'[^A-Za-z0-9._-]+', '-', target or 'default')}.log"


class LogFiles:
    """One full log file per built stage (0600 in the 0700 state folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fh: IO[str] | None = None

    def open(self, target: str | None) -> None:
        from ..apply.fsio import make_private_dir
        from ..apply.state import State

        self.close()
        State(self.root).ensure()
        make_private_dir(self.root / LOG_DIR)
        path = self.root / log_path(target)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.fh = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, line: str) -> None:
        if self.fh is not None:
            self.fh.write(line + "\n")

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def run(
    root: Path,
    emit: Callable[[Any], None],
    cancelled: Callable[[], bool],
    connected: Callable[[str], object] = lambda _text: None,
) -> VerifyReport:
    """Build and check `root`; every progress object goes to `emit`. Returns the VerifyReport."""
    try:
        from ..docker.buildkit import builder_name
        from ..docker.checks import CheckInterrupted
        from ..docker.client import DaemonLost, DaemonUnreachable, connect
        from ..docker.targets import VerifyError
        from ..docker.verify import verify_repo
    except ImportError as exc:
        raise Unavailable(
            f"the Docker support is not available in this installation ({exc})"
        ) from None
    try:
        client = connect()
    except DaemonUnreachable as exc:
        raise Unavailable(str(exc)) from None
    connected(f"{describe_version(client.version())} · builds with {builder_name()}")
    logs = LogFiles(root)

    def on_progress(obj: Any) -> None:
        if cancelled():
            raise Stopped()
        if isinstance(obj, BuildStarted):
            logs.open(obj.target)
        elif isinstance(obj, StepStarted):
            logs.write(
                f"Step {obj.n}/{obj.total}{' ' + obj.stage if obj.stage else ''} : {obj.text}"
            )
        elif isinstance(obj, Output | TestOutput):
            logs.write(obj.line)
        elif isinstance(obj, StepFailed):
            logs.write(f"FAILED at step {obj.step}: {obj.error}")
        elif isinstance(obj, BuildFinished):
            logs.close()
        emit(obj)

    try:
        return verify_repo(client, root, emit=on_progress)
    except (VerifyError, DaemonLost, CheckInterrupted) as exc:
        # The daemon died mid-run or a check container was killed: the same one line as
        # the CLI's, on the Verify screen, not an "Internal error" with a traceback file.
        raise Unavailable(str(exc)) from None
    finally:
        logs.close()
        client.close()
