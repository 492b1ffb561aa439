"""One command's project: its `-f`/`--env-file`/`-p` arguments, its variables, its files
interpolated and merged, its name and active profiles.

Apart because both answers of the model start here: the configuration the gate compares
(config.py) and the services docker/ checks (services.py) are the same merge, finished
two ways.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..detect import default_files, normalize_project
from ..errors import BadInput
from ..gate import REPO
from ..interpolate import InterpolationError
from ..snapshot import Tree
from ..yamlio import load_plain
from .envfiles import Fails, read_env
from .shapes import Unmodelled, interpolate, plain, service

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# keys merged entry by entry when a later file overrides a service (compose-spec merge rules)
_APPEND_UNIQUE = ("ports", "expose", "dns", "dns_search", "cap_add", "cap_drop")


def parse_args(args: tuple[str, ...]) -> tuple[list[str], str | None, str | None]:
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
    return parse_args(args)[0]


def missing_named(tree: Tree, args: tuple[str, ...]) -> str | None:
    """The line Compose fails with, whatever else the files hold, when a file the command names
    (`-f`, `--env-file`) is not in the tree; None when each is there (or is not the repo's)."""
    files, env_file, _project = parse_args(args)
    for f in files:
        if not f.startswith("/") and f != "-" and posixpath.normpath(f) not in tree.files:
            return f"open {REPO}/{posixpath.normpath(f)}: no such file or directory"
    if env_file is not None and "$" not in env_file and not env_file.startswith(("/", "~")):
        rel = posixpath.normpath(env_file)
        if rel not in tree.files:
            return f"couldn't find env file: {REPO}/{rel}"
    return None


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


@dataclass
class Merged:
    """One command's files merged, before each service is finished (env files read)."""

    files: list[str]
    folder: str  # the project folder (the first file's)
    env: dict[str, str]  # the project's variables (--env-file, else the folder's .env)
    model: dict[str, Any]
    name: str  # the project name
    profiles: set[str]
    defines: dict[str, set[str]]  # each file's own services (where a service is defined)


def merge_files(tree: Tree, root_name: str, args: tuple[str, ...], reads: set[str]) -> Merged:
    files, env_file, project = parse_args(args)
    if any(f.startswith("/") or f == "-" for f in files):
        raise Unmodelled("a compose file outside the repo or from stdin")
    files = [posixpath.normpath(f) for f in files] or default_files(tree, "")
    reads.update(files)
    if not files:
        raise Fails("no configuration file provided: not found")
    folder = posixpath.dirname(files[0])
    env: dict[str, str] = {}
    if env_file is not None and ("$" in env_file or env_file.startswith(("/", "~"))):
        raise Unmodelled(f"the env file `{env_file}`")
    if env_file is not None:
        reads.add(posixpath.normpath(env_file))
    if (fails := missing_named(tree, args)) is not None:
        raise Fails(fails)
    if env_file is not None:
        got = read_env(tree.text, posixpath.normpath(env_file), {})
        if got is None:  # not text
            raise Fails(f"couldn't find env file: {REPO}/{posixpath.normpath(env_file)}")
        env = got
    else:
        reads.add(posixpath.join(folder, ".env"))
        env = read_env(tree.text, posixpath.join(folder, ".env"), {}) or {}
    model: dict[str, Any] = {}
    defines: dict[str, set[str]] = {}
    for f in files:
        try:
            doc = plain(load_plain(tree.text(f) or "", f))
        except BadInput as exc:
            raise Fails(f"{f}: {exc.message}") from None
        if "include" in doc:
            raise Unmodelled("`include`")
        try:
            doc = interpolate(doc, env)
        except InterpolationError as exc:
            raise Fails(f"{f}: {exc}") from None
        services = {
            str(n): service(s, folder) for n, s in (doc.pop("services", None) or {}).items()
        }
        defines[f] = set(services)
        model = _merge(model, doc)
        merged = model.setdefault("services", {})
        for n, s in services.items():
            merged[n] = _merge(merged.get(n, {}), s)
    name = _project(project, env, model, folder, root_name)
    profiles = {p for p in env.get("COMPOSE_PROFILES", "").split(",") if p}
    return Merged(files, folder, env, model, name, profiles, defines)


def active(m: Merged) -> list[tuple[str, dict[str, Any]]]:
    """The services the command runs (a service in a profile only when one is active)."""
    out = []
    for n, s in sorted((m.model.get("services") or {}).items()):
        wanted = s.get("profiles")
        if wanted and "*" not in m.profiles and not m.profiles & set(map(str, wanted)):
            continue
        out.append((n, s))
    return out


def _project(
    given: str | None, env: Mapping[str, str], model: dict[str, Any], folder: str, root: str
) -> str:
    for candidate in (given, env.get("COMPOSE_PROJECT_NAME")):
        if candidate:
            if "$" in candidate:
                raise Unmodelled(f"the project name `{candidate}`")
            if not _PROJECT.match(candidate):
                raise Fails(f'invalid project name "{candidate}"')
            return candidate
    if isinstance(model.get("name"), str) and model["name"]:
        return normalize_project(model["name"])
    return normalize_project(posixpath.basename(folder) if folder else root)
