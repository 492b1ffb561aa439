"""Connecting to the Docker daemon the way the docker CLI does (DOCKER_HOST, contexts)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

import docker
from docker.errors import DockerException

# Every image and container the wizard creates carries this label.
LABEL = "dashtam-wizard"
LABELS = {LABEL: "1"}

DEFAULT_HOST = "unix:///var/run/docker.sock"


class DaemonUnreachable(Exception):
    """No Docker daemon answered; `str()` is the one line shown to the user."""


class DaemonLost(Exception):
    """The daemon answered at the start but stopped answering mid-run (killed, crashed,
    restarted); `str()` is the one line shown to the user. Verify raises it instead of
    reporting every later step as a failure of the repo."""


def endpoint() -> tuple[str, str]:
    """(daemon address, how it was chosen), as the docker CLI picks it: DOCKER_HOST, else
    the current context (DOCKER_CONTEXT, else `docker context use`'s choice in the CLI's
    config.json: Docker Desktop, colima, OrbStack, rootless), else the default socket."""
    if host := os.environ.get("DOCKER_HOST"):
        return host, "DOCKER_HOST"
    try:
        from docker.context import ContextAPI

        ctx = ContextAPI.get_context(os.environ.get("DOCKER_CONTEXT"))
        if ctx is not None and ctx.Host and ctx.Name != "default":
            return str(ctx.Host), f"context {ctx.Name}"
    except Exception:  # noqa: BLE001 - an unreadable CLI config: the CLI's own default then
        pass
    return DEFAULT_HOST, "default socket"


def configured_host() -> str:
    """The daemon address verify talks to (see `endpoint`)."""
    return endpoint()[0]


def endpoint_label() -> str:
    """`unix:///…/docker.sock (context colima)`: the address and why that one."""
    host, how = endpoint()
    return f"{host} ({how})"


def compose_env() -> dict[str, str]:
    """What a Compose subprocess needs to reach the same daemon, whatever HOME it is given."""
    host, how = endpoint()
    env = {k: v for k, v in os.environ.items() if k.startswith("DOCKER_")}
    if how.startswith("context "):
        env["DOCKER_CONTEXT"] = how.removeprefix("context ")
        env.setdefault("DOCKER_CONFIG", os.path.join(os.path.expanduser("~"), ".docker"))
    elif how == "default socket":
        env["DOCKER_HOST"] = host
    return env


def unreachable_message(host: str, reason: str = "") -> str:
    why = f" ({reason})" if reason else ""
    how = endpoint()[1] if host == configured_host() else ""
    chosen = f", chosen by {how}" if how and how != "DOCKER_HOST" else ""
    return (
        f"cannot reach a Docker daemon at {host}{chosen}{why}: start Docker (dockerd or Docker Desktop), "
        "or set DOCKER_HOST to a running daemon (unix://, tcp:// or ssh://)"
    )


def lost_message(host: str, during: str, reason: str = "") -> str:
    why = f" ({reason})" if reason else ""
    return (
        f"the Docker daemon at {host} stopped answering{why} during {during}; nothing in the "
        "repository was changed: start the daemon again and re-run verify"
    )


def ping_error(client: docker.DockerClient, timeout: float = 5) -> str | None:
    """None when the daemon answers a ping within `timeout` s, else the short reason.

    Used after a stream broke or a request failed, to tell "the daemon is gone" from an
    error of the build or check itself. A short timeout of its own: the client's (600 s)
    is sized for silent build steps, not for a ping to a hung daemon.
    """
    try:
        res = client.api.get(f"{client.api.base_url}/_ping", timeout=timeout)
        res.raise_for_status()
    except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
        return _short_reason(exc)
    return None


def _short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for marker in (
        "No such file or directory",
        "Connection refused",
        "Permission denied",
        "timed out",
        "Name or service not known",
    ):
        if marker in text:
            return marker.lower()
    return text[:120]


def connect(timeout: int = 600) -> docker.DockerClient:
    """A client for the daemon DOCKER_HOST (unix://, tcp://, ssh://) or the CLI context names.

    `timeout` is the per-request read timeout; builds stream, so it bounds the silence
    between two build messages, not the build. Raises DaemonUnreachable (never a raw
    SDK/requests error) when nothing answers.
    """
    host = configured_host()
    if host.startswith("ssh://"):
        try:
            import paramiko  # noqa: F401 - the SDK's ssh transport imports it, ssh binary or not
        except ImportError:
            raise DaemonUnreachable(
                f"cannot reach a Docker daemon at {host}: ssh:// needs the ssh extra "
                "(uv tool install 'dashtam-wizard[ssh]', or pip install paramiko), or set "
                "DOCKER_HOST to a unix:// or tcp:// daemon"
            ) from None
    try:
        # the SDK dials through the system ssh binary: the user's ~/.ssh/config and agent apply
        client = docker.from_env(timeout=timeout, use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except (DockerException, OSError, ValueError) as exc:
        raise DaemonUnreachable(unreachable_message(host, _short_reason(exc))) from None
    except Exception as exc:  # requests' ConnectionError & co. surface unwrapped from ping()
        raise DaemonUnreachable(unreachable_message(host, _short_reason(exc))) from None
    return client


def is_local(client: docker.DockerClient) -> bool:
    """True when bind-mount sources name paths on this machine (unix socket or localhost tcp)."""
    base = client.api.base_url
    if base == "http+docker://ssh":
        return False
    if base.startswith("http+docker://"):  # unix socket / named pipe
        return True
    host = urlparse(base).hostname or ""
    return host in {"localhost", "127.0.0.1", "::1"}


def image_attrs(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    """`docker image inspect` of `ref` (the SDK's low-level call, which its stubs leave
    untyped: the one place that says what it returns)."""
    attrs: dict[str, Any] = client.api.inspect_image(ref)  # type: ignore[no-untyped-call]
    return attrs
