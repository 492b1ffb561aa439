"""The wizard's own Compose model: what one command resolves to, without running Compose.

`resolve_call(tree, root_name, args)` answers like `docker compose <args> config --format
json` run at the repo root with a clean environment, for the parts the equivalence gate
compares: the project name, each service's environment (env_file values, then
`environment:`), its mounts, its build, every other key interpolated, and the top-level
volumes and networks with the names Compose gives them. It is what `plan` judges with
(milliseconds, no subprocess), and what `apply` judges with when there is no Compose CLI.

The rules follow Compose v2 (checked against it by tests/test_own_model.py, which runs
both on every call of the test corpus, before and after migration):
- the files are the `-f` ones, else the default file (and its override) at the root;
  relative paths in every file resolve against the first file's folder (the project
  folder), `--env-file` against the folder Compose runs in;
- interpolation reads `--env-file`, else the project folder's `.env`;
- the project is `-p`, else COMPOSE_PROJECT_NAME from that env, else `name:`, else the
  project folder's name, lowercased and stripped to [a-z0-9_-];
- a service in a profile is left out unless COMPOSE_PROFILES names it.
What it does not model (`extends`, `include`) it says, and the command is not judged by
it; a path under `~` is `<home>/…` (the gate gives Compose a HOME of its own).

`service_views(doc, …)` asks the same model about one compose document (phase 4 compares
a file before and after its rewrite with it): the same merge, env_file and mount rules, so
the phase and the gate cannot disagree about what a container sees.
"""

from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .compose import env_items, scalar, split_short_volume
from .detect import _normalize_project, default_files
from .envfile import parse_env
from .errors import BadInput
from .interpolate import InterpolationError, references, resolve
from .snapshot import Tree
from .yamlio import load_plain

REPO = "<repo>"  # the repo's folder, as the gate writes resolved paths
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# keys merged entry by entry when a later file overrides a service (compose-spec merge rules)
_APPEND_UNIQUE = ("ports", "expose", "dns", "dns_search", "cap_add", "cap_drop")


Reader = Callable[[str], str | None]


class Unmodelled(Exception):
    """A feature the own model does not resolve: the command is left to the real Compose."""


def _parse_args(args: tuple[str, ...]) -> tuple[list[str], str | None, str | None]:
    files: list[str] = []
    env_file = project = None
    it = iter(args)
    for word in it:
        if word == "-f":
            files.append(next(it, ""))
        elif word == "--env-file":
            env_file = next(it, None)
        elif word == "-p":
            project = next(it, None)
    return files, env_file, project


def command_files(args: tuple[str, ...]) -> list[str]:
    """The compose files a command names with `-f`, in order (none: the default file)."""
    return _parse_args(args)[0]


def missing_named(tree: Tree, args: tuple[str, ...]) -> str | None:
    """The line Compose fails with, whatever else the files hold, when a file the command names
    (`-f`, `--env-file`) is not in the tree; None when each is there (or is not the repo's)."""
    files, env_file, _project = _parse_args(args)
    for f in files:
        if not f.startswith("/") and f != "-" and posixpath.normpath(f) not in tree.files:
            return f"open {REPO}/{posixpath.normpath(f)}: no such file or directory"
    if env_file is not None and "$" not in env_file and not env_file.startswith(("/", "~")):
        rel = posixpath.normpath(env_file)
        if rel not in tree.files:
            return f"couldn't find env file: {REPO}/{rel}"
    return None


def _abs(folder: str, path: str) -> str:
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


def _plain(node: Any) -> Any:
    """A loaded YAML node as plain dicts and lists (merge keys `<<:` already applied)."""
    if hasattr(node, "items"):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _interpolate(node: Any, env: Mapping[str, str], lenient: bool = False) -> Any:
    """`lenient`: a string that cannot interpolate stays as written (where Compose would
    refuse the file, phase 4 still compares both sides alike)."""
    if isinstance(node, dict):
        return {k: _interpolate(v, env, lenient) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env, lenient) for v in node]
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
            out |= {"type": "bind", "source": _abs(folder, src)}
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
        out["source"] = _abs(folder, out["source"])
    if not out.get("read_only"):
        out.pop("read_only", None)
    return out


def _service(svc: Any, folder: str) -> dict[str, Any]:
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
            paths.setdefault(_abs(folder, path), required)
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
            build["context"] = _abs(folder, context)
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


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        have = out.get(key)
        if key == "env_file" and isinstance(have, list) and isinstance(value, list):
            seen = {p for p, _ in have}
            out[key] = have + [(p, r) for p, r in value if p not in seen]
        elif key in _APPEND_UNIQUE and isinstance(have, list) and isinstance(value, list):
            out[key] = have + [v for v in value if v not in have]
        elif key == "volumes" and isinstance(have, dict) and isinstance(value, dict):
            out[key] = have | value  # a mount of the same target is replaced whole
        elif key in ("command", "entrypoint") or not isinstance(have, dict):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = _merge(have, value)
        else:
            out[key] = value
    return out


def _read_env(
    read: Reader, rel: str, lookup: Mapping[str, str], earlier: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    text = read(rel)
    if text is None:
        return None
    try:
        # the answer depends on the text and the values of the names it refers to only
        seen = tuple((n, lookup.get(n), (earlier or {}).get(n)) for n in sorted(_names(text)))
        return dict(_parse_cached(text, rel, seen))
    except BadInput as exc:
        raise _Fails(f"failed to read {rel}: {exc.message}") from None


_KEY = re.compile(r"(?m)^[ \t]*(?:export[ \t]+)?([^\s=:#'\"]+)")


@lru_cache(maxsize=4096)
def _names(text: str) -> frozenset[str]:
    """The names whose values an env file's reading can consult: those it interpolates, and
    its keys (a key without `=` takes the looked-up value)."""
    keys = frozenset(_KEY.findall(text))
    return keys | references(text) if "$" in text else keys


@lru_cache(maxsize=4096)
def _parse_cached(
    text: str, rel: str, seen: tuple[tuple[str, str | None, str | None], ...]
) -> dict[str, str]:
    lookup = {n: v for n, v, _ in seen if v is not None}
    earlier = {n: e for n, _, e in seen if e is not None}
    return parse_env(text, rel, lookup, earlier)


class _Fails(Exception):
    """What Compose would answer instead of a configuration (it refuses the command)."""


def _rel(path: str) -> str | None:
    if path == REPO:
        return ""
    return path[len(REPO) + 1 :] if path.startswith(REPO + "/") else None


def resolve_call(
    tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str] | None = None
) -> dict[str, Any] | str:
    """The resolved configuration of one command, or the one line Compose would fail with.
    Raises Unmodelled for what only the real Compose can answer. `reads` gathers the
    repo files the answer depends on (which changes can alter it)."""
    try:
        return _resolve(tree, root_name, args, set() if reads is None else reads)
    except _Fails as exc:
        return str(exc)


@dataclass
class _Merged:
    """One command's files merged, before each service is finished (env files read)."""

    files: list[str]
    folder: str  # the project folder (the first file's)
    env: dict[str, str]  # the project's variables (--env-file, else the folder's .env)
    model: dict[str, Any]
    name: str  # the project name
    profiles: set[str]
    defines: dict[str, set[str]]  # each file's own services (where a service is defined)


def _merge_files(tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str]) -> _Merged:
    files, env_file, project = _parse_args(args)
    if any(f.startswith("/") or f == "-" for f in files):
        raise Unmodelled("a compose file outside the repo or from stdin")
    files = [posixpath.normpath(f) for f in files] or default_files(tree, "")
    reads.update(files)
    if not files:
        raise _Fails("no configuration file provided: not found")
    folder = posixpath.dirname(files[0])
    env: dict[str, str] = {}
    if env_file is not None and ("$" in env_file or env_file.startswith(("/", "~"))):
        raise Unmodelled(f"the env file `{env_file}`")
    if env_file is not None:
        reads.add(posixpath.normpath(env_file))
    if (fails := missing_named(tree, args)) is not None:
        raise _Fails(fails)
    if env_file is not None:
        got = _read_env(tree.text, posixpath.normpath(env_file), {})
        if got is None:  # not text
            raise _Fails(f"couldn't find env file: {REPO}/{posixpath.normpath(env_file)}")
        env = got
    else:
        reads.add(posixpath.join(folder, ".env"))
        env = _read_env(tree.text, posixpath.join(folder, ".env"), {}) or {}
    model: dict[str, Any] = {}
    defines: dict[str, set[str]] = {}
    for f in files:
        try:
            doc = _plain(load_plain(tree.text(f) or "", f))
        except BadInput as exc:
            raise _Fails(f"{f}: {exc.message}") from None
        if "include" in doc:
            raise Unmodelled("`include`")
        try:
            doc = _interpolate(doc, env)
        except InterpolationError as exc:
            raise _Fails(f"{f}: {exc}") from None
        services = {
            str(n): _service(s, folder) for n, s in (doc.pop("services", None) or {}).items()
        }
        defines[f] = set(services)
        model = _merge(model, doc)
        merged = model.setdefault("services", {})
        for n, s in services.items():
            merged[n] = _merge(merged.get(n, {}), s)
    name = _project(project, env, model, folder, root_name)
    profiles = {p for p in env.get("COMPOSE_PROFILES", "").split(",") if p}
    return _Merged(files, folder, env, model, name, profiles, defines)


def _active(m: _Merged) -> list[tuple[str, dict[str, Any]]]:
    """The services the command runs (a service in a profile only when one is active)."""
    out = []
    for n, s in sorted((m.model.get("services") or {}).items()):
        wanted = s.get("profiles")
        if wanted and "*" not in m.profiles and not m.profiles & set(map(str, wanted)):
            continue
        out.append((n, s))
    return out


def _resolve(tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str]) -> dict[str, Any]:
    m = _merge_files(tree, root_name, args, reads)
    env, model, name, folder = m.env, m.model, m.name, m.folder
    out_services: dict[str, Any] = {}
    for n, s in _active(m):
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
                    {**_named(name, k, v), "file": _abs(folder, str(v["file"]))}
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


def _project(
    given: str | None, env: Mapping[str, str], model: dict[str, Any], folder: str, root: str
) -> str:
    for candidate in (given, env.get("COMPOSE_PROJECT_NAME")):
        if candidate:
            if "$" in candidate:
                raise Unmodelled(f"the project name `{candidate}`")
            if not _PROJECT.match(candidate):
                raise _Fails(f'invalid project name "{candidate}"')
            return candidate
    if isinstance(model.get("name"), str) and model["name"]:
        return _normalize_project(model["name"])
    return _normalize_project(posixpath.basename(folder) if folder else root)


def _environment(
    read: Reader, svc: dict[str, Any], env: Mapping[str, str], reads: set[str], strict: bool = True
) -> dict[str, str | None]:
    """A service's environment: its env files' values (each interpolated against the
    project's variables, then the service's `environment:`, then the files read before it),
    then `environment:` itself; `K:` takes K from the project's variables (None: unset).
    Not `strict`: a missing or outside env file adds nothing instead of failing."""
    own = {k: (env.get(k) if v is None else v) for k, v in (svc.get("environment") or {}).items()}
    from_files: dict[str, str] = {}
    lookup = ChainMap(dict(env), {k: v for k, v in own.items() if v is not None})
    for path, required in svc.get("env_file") or []:
        rel = _rel(path)
        if rel is None:
            if not strict:
                continue
            raise Unmodelled(f"the env file `{path}` outside the repo")
        reads.add(rel)
        got = _read_env(read, rel, lookup, from_files)
        if got is None:
            if required and strict:
                raise _Fails(f"env file {path} not found")
            continue
        from_files.update(got)
    return {**from_files, **own}


def _finish(
    tree: Tree, svc: dict[str, Any], env: Mapping[str, str], reads: set[str]
) -> dict[str, Any]:
    """Environment from env_file then `environment:`, mounts as a list, as Compose prints."""
    out = dict(svc)
    values = _environment(tree.text, svc, env, reads)
    out.pop("env_file", None)
    if values or "environment" in svc:
        out["environment"] = {k: scalar(v) for k, v in sorted(values.items())}
    if "volumes" in svc:
        out["volumes"] = list(svc["volumes"].values())
    if "build" in svc:
        out["build"] = build = {"dockerfile": "Dockerfile", **svc["build"]}
        context = _rel(str(build["context"]))
        if context is not None:
            reads.add(posixpath.normpath(posixpath.join(context or ".", str(build["dockerfile"]))))
    return out


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
        svc = _interpolate(_plain(raw), project_env, lenient=True)
        svc.pop("extends", None)  # its own keys still compare; the base is another file's
        if isinstance(svc.get("volumes"), list):
            svc["volumes"] = [v for v in svc["volumes"] if isinstance(v, (str, dict))]
        svc = _service(svc, base_dir)
        try:
            values = _environment(read, svc, project_env, set(), strict=False)
        except _Fails as exc:
            raise BadInput(base_dir or ".", str(exc)) from None
        view.env = {k: v for k, v in values.items() if v is not None}
        view.env_files = [_repo_rel(p) for p, _ in svc.get("env_file") or [] if _rel(p) is not None]
        for target, vol in (svc.get("volumes") or {}).items():
            source = vol.get("source")
            if vol.get("type") == "bind" and isinstance(source, str) and _rel(source) is not None:
                view.binds[target] = _repo_rel(source)
    return views


def _repo_rel(path: str) -> str:
    """`<repo>/a/b` as `a/b` (the repo itself as `.`), as the phases name paths."""
    return _rel(path) or "."


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
        m = _merge_files(tree, root_name, args, reads)
        out = []
        for n, s in _active(m):
            environment = _environment(tree.text, s, m.env, reads, strict=False)
            build = s.get("build") if isinstance(s.get("build"), dict) else None
            context = _rel(str(build["context"])) if build else None
            defined = [f for f in m.files if n in m.defines.get(f, ())]
            binds = tuple(
                Bind(
                    _repo_rel(v["source"]) if _rel(v["source"]) is not None else v["source"],
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
                        if _rel(p) is not None
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
    except _Fails as exc:
        return str(exc)
