"""Run a throw-away, labelled container and collect its output; it is always removed."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from .client import LABELS


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
    kwargs: dict = dict(
        image=image,
        entrypoint=["sh", "-c"],
        command=[script],
        labels=dict(LABELS),
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
        output = container.logs(stdout=True, stderr=not stdout_only)
        return Ran(code, output)
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
            labels=dict(LABELS),
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
            res = self.container.exec_run(["sh", "-c", wrapped], user=user or "", demux=True)
            out, err = res.output if isinstance(res.output, tuple) else (res.output, None)
            out = out or b""
            marker = out.rfind(_SENTINEL.encode())
            if marker >= 0:
                out = out[:marker]
                return Ran(res.exit_code, out if stdout_only else out + (err or b""))
        return Ran(res.exit_code, out if stdout_only else out + (err or b""))

    def close(self) -> None:
        remove(self.container)

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
