"""One file's definitions in the shapes the model merges and compares: paths as the gate
writes them (`<repo>/…`, `<home>/…`), mounts keyed by target, env lists as mappings.

Apart so that one command's merged files (project.py) and phase 4's view of one document
(services.py) normalise a service by the same rules; `Unmodelled` lives here, the lowest
module, because every other one raises it (`REPO`, the repo's folder as every resolved
path spells it, is the gate's: one spelling for the model, the judge and docker/).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ..compose import env_items, split_short_volume
from ..gate import REPO  # the repo's folder, as the gate writes resolved paths
from ..interpolate import InterpolationError, resolve


class Unmodelled(Exception):
    """A feature the own model does not resolve: the command is left to the real Compose."""


def abs_path(folder: str, path: str) -> str:
    """`path` as the gate writes resolved paths: `<repo>/…` for a relative one."""
    if path.startswith("/"):
        return path  # as written: Compose cleans only the paths it joins
    if path.startswith("~"):  # the gate runs Compose with its own HOME: `<home>` both sides
        return "<home>" + _clean(path[1:] or "/").rstrip("/") if path[:2] in ("~", "~/") else path
    joined = posixpath.normpath(posixpath.join(folder or ".", path))
    return REPO if joined == "." else f"{REPO}/{joined}"


def _clean(path: str) -> str:
    """As Go's path.Clean (Compose cleans mount targets): no trailing `/`, no `.` or `..`
    segments."""
    out = posixpath.normpath(path)
    return "/" + out.lstrip("/") if out.startswith("//") else out


def plain(node: Any) -> Any:
    """A loaded YAML node as plain dicts and lists (merge keys `<<:` already applied)."""
    if hasattr(node, "items"):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def interpolate(node: Any, env: Mapping[str, str], lenient: bool = False) -> Any:
    """`lenient`: a string that cannot interpolate stays as written (where Compose would
    refuse the file, phase 4 still compares both sides alike)."""
    if isinstance(node, dict):
        return {k: interpolate(v, env, lenient) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env, lenient) for v in node]
    if isinstance(node, str):
        try:
            return resolve(node, env).value
        except InterpolationError:
            if lenient:
                return node
            raise
    return node


def _env_dict(value: Any) -> dict[str, str | None]:
    return dict(env_items(value))


def _volume(spec: Any, folder: str) -> dict[str, Any]:
    if isinstance(spec, str):
        src, dst, mode = split_short_volume(spec)
        if dst is None:
            return {"type": "volume", "target": _clean(src)}
        modes = (mode or "").split(",")
        out: dict[str, Any] = {"target": _clean(dst)}
        if src.startswith((".", "/", "~")):
            out |= {"type": "bind", "source": abs_path(folder, src)}
        else:
            out |= {"type": "volume", "source": src}
        if "ro" in modes:
            out["read_only"] = True
        return out
    if not isinstance(spec, dict):
        raise Unmodelled(f"a volume written as {type(spec).__name__}")
    out = dict(spec)
    if isinstance(out.get("target"), str):
        out["target"] = _clean(out["target"])
    if out.get("type", "volume") == "bind" and isinstance(out.get("source"), str):
        out["source"] = abs_path(folder, out["source"])
    if not out.get("read_only"):
        out.pop("read_only", None)
    return out


def service(svc: Any, folder: str) -> dict[str, Any]:
    """One file's definition of a service, in the shapes merging and comparing need."""
    if not isinstance(svc, dict):
        return {}
    if "extends" in svc:
        raise Unmodelled("`extends`")
    out = dict(svc)
    if "environment" in out:
        out["environment"] = _env_dict(out["environment"])
    if "env_file" in out:
        value = out["env_file"]
        entries = [value] if isinstance(value, str) else list(value or [])
        paths: dict[str, bool] = {}  # a file named twice is read once (the first naming)
        for e in entries:
            path, required = (
                (str(e.get("path")), bool(e.get("required", True)))
                if isinstance(e, dict)
                else (str(e), True)
            )
            paths.setdefault(abs_path(folder, path), required)
        out["env_file"] = list(paths.items())
    if "volumes" in out:
        out["volumes"] = {
            (v := _volume(spec, folder))["target"]: v for spec in out["volumes"] or []
        }
    if "build" in out:
        build = out["build"]
        build = {"context": build} if isinstance(build, str) else dict(build or {})
        context = str(build.get("context", "."))
        if "://" not in context and not context.startswith("git@"):
            build["context"] = abs_path(folder, context)
        if "args" in build:
            build["args"] = _env_dict(build["args"])
        out["build"] = build
    if isinstance(out.get("networks"), list):
        out["networks"] = {str(n): None for n in out["networks"]}
    if isinstance(out.get("depends_on"), list):
        out["depends_on"] = {
            str(n): {"condition": "service_started", "required": True} for n in out["depends_on"]
        }
    return out


def rel_path(path: str) -> str | None:
    if path == REPO:
        return ""
    return path[len(REPO) + 1 :] if path.startswith(REPO + "/") else None
