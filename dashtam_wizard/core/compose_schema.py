"""The shape checks a compose file must pass before it is rewritten.

Compose itself rejects these files; checking first turns what would be a confusing
failure deep in the rewrite into one line naming the file and line.
"""

from __future__ import annotations

from typing import Any

from .errors import BadInput


def _line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _is_map(v: Any) -> bool:
    return hasattr(v, "items")


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


SERVICE_SHAPES: dict[str, tuple[str, ...]] = {
    "environment": ("map", "list"),
    "volumes": ("list",),
    "env_file": ("str", "list"),
    "build": ("str", "map"),
    "ports": ("list",),
    "depends_on": ("list", "map"),
    "extends": ("str", "map"),
}


def _ok(value: Any, shapes: tuple[str, ...]) -> bool:
    return any(
        (s == "map" and _is_map(value))
        or (s == "list" and _is_list(value))
        or (s == "str" and isinstance(value, str))
        for s in shapes
    )


def validate(doc: Any, path: str) -> None:
    services = doc.get("services")
    if services is None:
        return
    if not _is_map(services):
        raise BadInput(
            path, "`services` must be a mapping of service names", _line(doc, "services")
        )
    for name, svc in services.items():
        if svc is None:
            continue
        if not _is_map(svc):
            raise BadInput(path, f"service `{name}` must be a mapping", _line(services, name))
        for key, shapes in SERVICE_SHAPES.items():
            if key in svc and svc[key] is not None and not _ok(svc[key], shapes):
                raise BadInput(
                    path,
                    f"service `{name}`: `{key}` must be a {' or '.join(shapes)}",
                    _line(svc, key),
                )
        env = svc.get("environment")
        if _is_list(env):
            for i, item in enumerate(env):
                if not isinstance(item, str):
                    raise BadInput(
                        path,
                        f"service `{name}`: environment item {i + 1} is not `KEY=value`",
                        _line(svc, "environment"),
                    )
        for i, vol in enumerate(svc.get("volumes") or []):
            if not (isinstance(vol, str) or _is_map(vol)):
                raise BadInput(
                    path,
                    f"service `{name}`: volume {i + 1} is neither a string nor a mapping",
                    _line(svc, "volumes"),
                )
