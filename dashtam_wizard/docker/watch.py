"""Telling a daemon that went away from a failing build or check, and saying when it went.

A lost daemon says nothing about the repository, so verify stops with one line naming what
was running rather than failing the checks that followed.
"""

from __future__ import annotations

from collections.abc import Callable

import docker
from docker.errors import DockerException
from requests.exceptions import RequestException
from urllib3.exceptions import HTTPError as TransportError

from ..events import BuildFinished, BuildStarted, Progress, StepStarted, TestOutput
from .client import DaemonLost, configured_host, lost_message, ping_error

# Errors that can mean "the daemon went away": checked with a ping before they are believed.
TRANSPORT = (DockerException, RequestException, TransportError, OSError)


class Watch:
    """Passes progress on to `emit` and remembers what verify is doing, so a daemon that
    stops answering is reported as "during the build of stage X (step n/N)".

    A killed daemon ends a build stream much like a failing step does, so after a failed
    build the daemon is pinged: if it is gone, DaemonLost, not a build failure blamed on
    the Dockerfile (and not one failure per remaining stage).
    """

    def __init__(self, client: docker.DockerClient, emit: Callable[[Progress], None] | None):
        self.client = client
        self.emit = emit
        self.stage = "default"
        self.during = "the start of verify"

    def __call__(self, obj: Progress) -> None:
        if isinstance(obj, BuildStarted):
            self.stage = obj.target or "default"
            self.during = f"the build of stage {self.stage}"
        elif isinstance(obj, StepStarted):
            self.during = f"the build of stage {self.stage} (step {obj.n}/{obj.total})"
        elif isinstance(obj, BuildFinished):
            if not obj.result.ok and (lost := self.lost()) is not None:
                raise lost
            self.during = f"the checks after building stage {self.stage}"
        elif isinstance(obj, TestOutput):
            self.during = "the test run"
        if self.emit is not None:
            self.emit(obj)

    def lost(self) -> DaemonLost | None:
        """DaemonLost (naming what was running) if the daemon no longer answers a ping."""
        reason = ping_error(self.client)
        if reason is None:
            return None
        return DaemonLost(lost_message(configured_host(), self.during, reason))
