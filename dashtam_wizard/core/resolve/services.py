"""The model's answers about services rather than whole configurations.

`service_views(doc, …)` asks it about one compose document (phase 4 compares a file before
and after its rewrite with it): the same merge, env_file and mount rules, so the phase and
the gate cannot disagree about what a container sees. `resolve_services` gives docker/
each service of one command as it builds, mounts and checks it, from the same model the
gate compares (nothing re-reads compose files).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..compose import scalar
from ..errors import BadInput
from ..snapshot import Tree
from .envfiles import Fails, Reader, service_environment
from .project import active, merge_files
from .shapes import interpolate, plain, rel_path, service


@dataclass
class ServiceView:
    """What phase 4 compares of one service: its environment (unset keys left out), the
    env files it reads and its bind mounts of repo paths (target -> repo-relative source)."""

    env: dict[str, str] = field(default_factory=dict)
    binds: dict[str, str] = field(default_factory=dict)
    env_files: list[str] = field(default_factory=list)


def service_views(
    doc: Any, base_dir: str, project_env: Mapping[str, str], read: Reader
) -> dict[str, ServiceView]:
    """Each service of one compose document (living in `base_dir`) as its container sees it,
    by the rules `resolve_call` uses. Raises BadInput for an env file Compose cannot read."""
    views: dict[str, ServiceView] = {}
    for name, raw in (doc.get("services") or {}).items():
        view = views[str(name)] = ServiceView()
        if not hasattr(raw, "items"):
            continue
        svc = interpolate(plain(raw), project_env, lenient=True)
        svc.pop("extends", None)  # its own keys still compare; the base is another file's
        if isinstance(svc.get("volumes"), list):
            svc["volumes"] = [v for v in svc["volumes"] if isinstance(v, (str, dict))]
        svc = service(svc, base_dir)
        try:
            values = service_environment(read, svc, project_env, set(), strict=False)
        except Fails as exc:
            raise BadInput(base_dir or ".", str(exc)) from None
        view.env = {k: v for k, v in values.items() if v is not None}
        view.env_files = [
            _repo_rel(p) for p, _ in svc.get("env_file") or [] if rel_path(p) is not None
        ]
        for target, vol in (svc.get("volumes") or {}).items():
            source = vol.get("source")
            if (
                vol.get("type") == "bind"
                and isinstance(source, str)
                and rel_path(source) is not None
            ):
                view.binds[target] = _repo_rel(source)
    return views


def _repo_rel(path: str) -> str:
    """`<repo>/a/b` as `a/b` (the repo itself as `.`), as the phases name paths."""
    return rel_path(path) or "."


@dataclass(frozen=True)
class Bind:
    source: str  # repo-relative (`.` the repo), or absolute / `<home>/…` as written
    target: str
    read_only: bool


@dataclass(frozen=True)
class ResolvedService:
    """One service as one command of the repo runs it: what docker/ builds, mounts and
    checks, from the same model the gate compares (nothing re-reads compose files)."""

    name: str
    files: tuple[str, ...]  # the compose files the command merges
    defined_in: str  # the last of them that defines the service (where to fix it)
    project: str
    context: str | None  # repo-relative build context (`.`); None: not built from the repo
    dockerfile: str | None  # relative to the context
    target: str | None
    build_args: dict[str, str | None]
    env_files: tuple[tuple[str, bool], ...]  # (repo-relative path, required)
    declared: dict[str, str | None]  # `environment:` as written, interpolated (None: `K:`)
    environment: dict[str, str | None]  # env files, then `environment:` (None: unset)
    binds: tuple[Bind, ...]


def resolve_services(
    tree: Tree, root_name: str, args: tuple[str, ...]
) -> list[ResolvedService] | str:
    """The services of one command, or the one line Compose would refuse it with. Raises
    Unmodelled for what only the real Compose can answer."""
    reads: set[str] = set()
    try:
        m = merge_files(tree, root_name, args, reads)
        out = []
        for n, s in active(m):
            environment = service_environment(tree.text, s, m.env, reads, strict=False)
            build = s.get("build") if isinstance(s.get("build"), dict) else None
            context = rel_path(str(build["context"])) if build else None
            defined = [f for f in m.files if n in m.defines.get(f, ())]
            binds = tuple(
                Bind(
                    _repo_rel(v["source"]) if rel_path(v["source"]) is not None else v["source"],
                    str(v.get("target")),
                    bool(v.get("read_only")),
                )
                for v in (s.get("volumes") or {}).values()
                if v.get("type") == "bind" and isinstance(v.get("source"), str)
            )
            out.append(
                ResolvedService(
                    name=n,
                    files=tuple(m.files),
                    defined_in=(defined or m.files)[-1],
                    project=m.name,
                    context=None if context is None else (context or "."),
                    dockerfile=str(build.get("dockerfile") or "Dockerfile") if build else None,
                    target=str(build["target"]) if build and build.get("target") else None,
                    build_args={k: scalar(v) for k, v in ((build or {}).get("args") or {}).items()},
                    env_files=tuple(
                        (_repo_rel(p), bool(r))
                        for p, r in s.get("env_file") or []
                        if rel_path(p) is not None
                    ),
                    declared={
                        k: scalar(v) if v is not None else None
                        for k, v in (s.get("environment") or {}).items()
                    },
                    environment={
                        k: scalar(v) if v is not None else None for k, v in environment.items()
                    },
                    binds=binds,
                )
            )
        return out
    except Fails as exc:
        return str(exc)
