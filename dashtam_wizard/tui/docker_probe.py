"""Is a Docker daemon reachable, and which version? Called from a worker thread only.

The Docker SDK is imported here, inside the call, so starting the TUI never loads it.
"""

from __future__ import annotations

from typing import Any

STATUS_DOT = {True: "🟢", False: "🔴", None: "⚪"}  # reachable / not / not checked yet


def describe_version(info: dict[str, Any]) -> str:
    return f"reachable — Docker {info.get('Version', '?')} (API {info.get('ApiVersion', '?')})"


def probe(timeout: int = 3) -> tuple[bool, str]:
    try:
        from ..docker.client import DaemonUnreachable, connect
    except ImportError as exc:  # the SDK (or our adapter) is missing from this installation
        return False, f"Docker support not available ({exc})"
    try:
        client = connect(timeout=timeout)
    except DaemonUnreachable as exc:
        return False, str(exc)
    try:
        return True, describe_version(client.version())
    except Exception as exc:  # noqa: BLE001 - any failure here means "not usable", said in one line
        return False, " ".join(str(exc).split())[:200] or type(exc).__name__
    finally:
        client.close()
