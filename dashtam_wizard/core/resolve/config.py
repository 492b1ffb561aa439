"""What `docker compose <args> config --format json` prints, as the own model answers it.

Apart from the merge because this is the gate's shape of the answer: every active service
finished (env files read, mounts as a list), the networks, volumes, secrets and configs a
service uses named as Compose names them, `$` escaped as Compose prints it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ..compose import scalar
from ..snapshot import Tree
from .envfiles import Fails, service_environment
from .project import active, merge_files
from .shapes import abs_path, rel_path


def resolve_call(
    tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str] | None = None
) -> dict[str, Any] | str:
    """The resolved configuration of one command, or the one line Compose would fail with.
    Raises Unmodelled for what only the real Compose can answer. `reads` gathers the
    repo files the answer depends on (which changes can alter it)."""
    try:
        return _resolve(tree, root_name, args, set() if reads is None else reads)
    except Fails as exc:
        return str(exc)


def _resolve(tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str]) -> dict[str, Any]:
    m = merge_files(tree, root_name, args, reads)
    env, model, name, folder = m.env, m.model, m.name, m.folder
    out_services: dict[str, Any] = {}
    for n, s in active(m):
        out_services[n] = _finish(tree, s, env, reads)
    out: dict[str, Any] = {"name": name, "services": out_services}
    networks = {k: v for k, v in (model.get("networks") or {}).items()}
    if any("networks" not in s and "network_mode" not in s for s in out_services.values()):
        networks.setdefault("default", None)
        for s in out_services.values():
            if "networks" not in s and "network_mode" not in s:
                s["networks"] = {"default": None}
    used = _used(out_services)  # Compose prints only what a service of the command uses
    tables = {"networks": networks} | {
        k: model.get(k) or {} for k in ("volumes", "secrets", "configs")
    }
    for section, table in tables.items():
        table = {k: v for k, v in table.items() if k in used[section]}
        if not table:
            continue
        if section in ("networks", "volumes"):
            out[section] = {k: _named(name, k, v) for k, v in table.items()}
        else:
            out[section] = {
                k: (
                    {**_named(name, k, v), "file": abs_path(folder, str(v["file"]))}
                    if isinstance(v, dict) and "file" in v
                    else _named(name, k, v)
                )
                for k, v in table.items()
            }
    escaped: dict[str, Any] = _escaped(out)
    return escaped


def _escaped(node: Any) -> Any:
    """Every `$` doubled, as Compose prints a configuration (so it reads back the same)."""
    if isinstance(node, dict):
        return {k: _escaped(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_escaped(v) for v in node]
    return node.replace("$", "$$") if isinstance(node, str) else node


def _used(services: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {k: set() for k in ("networks", "volumes", "secrets", "configs")}
    for s in services.values():
        used["networks"].update(map(str, s.get("networks") or {}))
        for v in s.get("volumes") or []:
            if v.get("type") == "volume" and v.get("source"):
                used["volumes"].add(str(v["source"]))
        for section in ("secrets", "configs"):
            for e in s.get(section) or []:
                used[section].add(str(e.get("source") if isinstance(e, dict) else e))
    return used


def _named(project: str, key: str, value: Any) -> dict[str, Any]:
    spec = dict(value) if isinstance(value, dict) else {}
    if "name" not in spec:
        spec["name"] = key if spec.get("external") else f"{project}_{key}"
    return spec


def _finish(
    tree: Tree, svc: dict[str, Any], env: Mapping[str, str], reads: set[str]
) -> dict[str, Any]:
    """Environment from env_file then `environment:`, mounts as a list, as Compose prints."""
    out = dict(svc)
    values = service_environment(tree.text, svc, env, reads)
    out.pop("env_file", None)
    if values or "environment" in svc:
        out["environment"] = {k: scalar(v) for k, v in sorted(values.items())}
    if "volumes" in svc:
        out["volumes"] = list(svc["volumes"].values())
    if "build" in svc:
        out["build"] = build = {"dockerfile": "Dockerfile", **svc["build"]}
        context = rel_path(str(build["context"]))
        if context is not None:
            reads.add(posixpath.normpath(posixpath.join(context or ".", str(build["dockerfile"]))))
    return out
