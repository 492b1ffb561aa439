"""Run a throw-away, labelled container and collect its output; it is always removed."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from .client import LABELS

# Which verify made a check container: "<hostname>:<pid>". Only on containers (an image
# label would change the build cache key), so a later run can tell orphans from the
# containers of a verify still running.
OWNER = "dashtam-wizard.owner"


def labels() -> dict[str, str]:
    return {**LABELS, OWNER: f"{socket.gethostname()}:{os.getpid()}"}


def _owner_gone(owner: str) -> bool:
    """True only for a process of this machine that no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


_ENV_PROJECT = re.compile(r"dashtam-wizard-env-(\d+)-[0-9a-f]+")  # envcheck's Compose projects


def sweep_orphans(client: docker.DockerClient) -> list[str]:
    """Remove the check containers of a verify that is gone, so a retry starts clean.

    A verify removes its containers itself, but not when it is SIGKILLed or its daemon
    dies mid-check (the probe survives a daemon restart, stopped). Containers of a verify
    still running (this machine, pid alive) or of another machine are never touched.
    Returns the names removed.
    """
    removed: list[str] = []
    for c in client.containers.list(all=True, filters={"label": OWNER}, ignore_removed=True):
        if _owner_gone(c.labels.get(OWNER, "")):
            remove(c)
            removed.append(c.name or c.id or "?")
    # networks Compose made for an environment check whose verify died before its `down`
    for n in client.networks.list(filters={"label": "com.docker.compose.project"}):
        m = _ENV_PROJECT.fullmatch(
            (n.attrs.get("Labels") or {}).get("com.docker.compose.project", "")
        )
        if m and _owner_gone(f"{socket.gethostname()}:{m[1]}"):
            with contextlib.suppress(DockerException):
                n.remove()
                removed.append(n.name or "?")
    return removed


class ContainerGone(DockerException):
    """A check container was killed or removed from outside while a check used it
    (`docker kill`, `docker rm -f`, a prune). What it ran says nothing about the image, so
    verify stops with this one line instead of failing a check; `str()` names the container.
    """


def _label(container: Container) -> str:
    return f"{container.name or '?'} ({container.short_id})"


def outside_stop(container: Container) -> str | None:
    """Why `container` stopped under us, or None if it is running or ended on its own.

    Only a SIGKILL from outside (exit 137 without the kernel's OOM killer) or removal
    counts: everything else is an outcome of the check itself.
    """
    try:
        container.reload()
    except NotFound:
        return f"the check container {_label(container)} was removed from outside"
    state = container.attrs.get("State") or {}
    if state.get("Running") or state.get("OOMKilled"):
        return None
    code = state.get("ExitCode")
    if code == 137:
        return f"the check container {_label(container)} was killed from outside (exit 137)"
    if state.get("Status") in ("exited", "dead"):
        return f"the check container {_label(container)} stopped unexpectedly (exit {code})"
    return None


@dataclass
class Ran:
    exit_code: int | None  # None: killed after the timeout
    output: bytes  # stdout and stderr, interleaved

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def remove(container: Container, attempts: int = 4) -> None:
    """Force-remove, retrying briefly: the daemon can report the rootfs busy for a moment."""
    for i in range(attempts):
        try:
            container.remove(force=True)
            return
        except NotFound:
            return
        except DockerException:
            if i == attempts - 1:
                return
            time.sleep(0.25 * (i + 1))


def run_once(
    client: docker.DockerClient,
    image: str,
    script: str,
    *,
    user: str | None = None,
    environment: dict[str, str] | None = None,
    binds: dict[str, dict[str, str]] | None = None,
    network: bool = False,
    timeout: float = 120,
    on_line: Callable[[str], None] | None = None,
    stdout_only: bool = False,
) -> Ran:
    """Run `sh -c script` in `image` (its ENTRYPOINT bypassed) and return exit code and output.

    The container is labelled dashtam-wizard=1, has no network unless asked, and is removed
    whatever happens (Ctrl-C included). `on_line` receives output lines as they come.
    """
    kwargs: dict[str, Any] = dict(
        image=image,
        entrypoint=["sh", "-c"],
        command=[script],
        labels=labels(),
        environment=environment or {},
        volumes=binds or {},
        detach=True,
    )
    if user is not None:
        kwargs["user"] = user
    if not network:
        kwargs["network_mode"] = "none"
    container = client.containers.create(**kwargs)
    try:
        container.start()
        if on_line is not None:
            buf = b""
            for chunk in container.logs(stream=True, follow=True):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    on_line(line.decode("utf-8", errors="replace"))
            if buf:
                on_line(buf.decode("utf-8", errors="replace"))
        try:
            status = container.wait(timeout=timeout)
            code: int | None = int(status.get("StatusCode", -1))
        except (ReadTimeout, RequestsConnectionError):
            container.kill()
            code = None
        # exit 137 without our kill: someone killed it (or the OOM killer; outside_stop
        # tells them apart): not a result of the script.
        if code == 137 and (why := outside_stop(container)):
            raise ContainerGone(why)
        output = container.logs(stdout=True, stderr=not stdout_only)
        return Ran(code, output)
    except NotFound:  # our own container vanished: removed from outside
        raise ContainerGone(
            f"the check container {_label(container)} was removed from outside"
        ) from None
    finally:
        remove(container)


_SENTINEL = "__dashtam_wizard_probe_end__"


class Probe:
    """One idle container of `image` (labelled, no network) to exec several probes in.

    An exec costs ~0.1 s where a container start costs ~0.4 s, so the per-image checks
    share one. `binds` are fixed at creation. Removed on close / leaving the `with`.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        image: str,
        binds: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.image = image
        self.container = client.containers.create(
            image=image,
            entrypoint=["sleep"],
            command=["3600"],
            labels=labels(),
            volumes=binds or {},
            network_mode="none",
            detach=True,
        )
        try:
            self.container.start()
        except BaseException:
            self.close()
            raise

    def run(self, script: str, user: str | None = None, stdout_only: bool = True) -> Ran:
        """`sh -c script` as `user` (None: the image's USER).

        The daemon can lose the output of a short exec under load (attach race), so the
        script's output ends with a sentinel line; without it the exec is run again.
        """
        wrapped = f"sh -c {shlex.quote(script)}; rc=$?; echo {_SENTINEL}; exit $rc"
        for _attempt in range(3):
            try:
                res = self.container.exec_run(["sh", "-c", wrapped], user=user or "", demux=True)
            except DockerException:
                # "container is not running" / "no such container": killed under us?
                if why := outside_stop(self.container):
                    raise ContainerGone(why) from None
                raise
            output: Any = res.output  # exec_run(demux=True, stream=False): (stdout, stderr) bytes
            out, err = output if isinstance(output, tuple) else (output, None)
            out = out or b""
            marker = out.rfind(_SENTINEL.encode())
            if marker >= 0:
                out = out[:marker]
                return Ran(res.exit_code, out if stdout_only else out + (err or b""))
            if why := outside_stop(self.container):  # the exec died with its container
                raise ContainerGone(why)
        return Ran(res.exit_code, out if stdout_only else out + (err or b""))

    def close(self) -> None:
        remove(self.container)

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
