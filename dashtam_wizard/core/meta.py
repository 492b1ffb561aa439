"""What every JSON document the commands print starts with (one place for the schema version)."""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1  # of every JSON document the commands print; bumped when a field changes meaning


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dashtam-wizard")
    except PackageNotFoundError:
        return "unknown"


def json_meta(kind: str) -> dict[str, Any]:
    """Which document, which schema, which tool."""
    return {
        "kind": kind,
        "schema_version": SCHEMA_VERSION,
        "tool": "dashtam-wizard",
        "tool_version": tool_version(),
    }
