"""Which compose services build from the repo's Dockerfile, and with what env and mounts.

Reads every compose file of the repo (compose/*.yml in the migrated layout,
docker-compose*.yml / compose*.yaml at the root in the legacy one) and resolves paths the
way Compose does: build.context relative to the compose file, build.dockerfile relative
to the context, env_file and bind sources relative to the compose file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from dashtam_wizard.core.interpolate import InterpolationError, resolve

COMPOSE_GLOBS = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")


@dataclass
class Bind:
    source: Path  # host path (absolute)
    target: str  # container path
    read_only: bool


@dataclass
class EnvFile:
    path: Path
    required: bool = True


@dataclass
class ComposeService:
    compose_file: Path
    name: str
    line: int | None = None  # 1-based line of the service key
    context: Path | None = None  # None: the service does not build
    dockerfile: str | None = None  # relative to context
    target: str | None = None
    env_files: list[EnvFile] = field(default_factory=list)
    environment: dict[str, str | None] = field(default_factory=dict)
    binds: list[Bind] = field(default_factory=list)

    def where(self, repo: Path) -> str:
        rel = _rel(self.compose_file, repo)
        return f"{rel}:{self.line}" if self.line else rel

    def builds(self, repo: Path, dockerfile: str) -> bool:
        """Builds from `repo/dockerfile` with `repo` as the context."""
        if self.context is None or self.dockerfile is None:
            return False
        return _same(self.context, repo) and _same(
            self.context / self.dockerfile, repo / dockerfile
        )


def _same(a: Path, b: Path) -> bool:
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def _rel(p: Path, repo: Path) -> str:
    try:
        return p.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(p)


def _interp(raw: Any, env: Mapping[str, str]) -> str:
    s = "" if raw is None else str(raw)
    try:
        return resolve(s, env).value
    except InterpolationError:
        return s


def compose_files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for folder in (repo, repo / "compose"):
        if folder.is_dir():
            for pattern in COMPOSE_GLOBS:
                found.extend(p for p in sorted(folder.glob(pattern)) if p.is_file())
    return list(dict.fromkeys(found))


def _load(path: Path) -> Any:
    yaml = YAML()  # round-trip: keeps line numbers for `where`
    try:
        return yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError):
        return None


def _env_files(value: Any, base: Path, env: Mapping[str, str]) -> list[EnvFile]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if hasattr(item, "get"):
            out.append(
                EnvFile(base / _interp(item.get("path"), env), bool(item.get("required", True)))
            )
        else:
            out.append(EnvFile(base / _interp(item, env)))
    return out


def _environment(value: Any, env: Mapping[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if value is None:
        return out
    if hasattr(value, "items"):
        for k, v in value.items():
            if v is None:
                out[str(k)] = None
            elif isinstance(v, bool):
                out[str(k)] = "true" if v else "false"
            else:
                out[str(k)] = _interp(v, env)
        return out
    for item in value:
        k, sep, v = str(item).partition("=")
        out[k] = _interp(v, env) if sep else None
    return out


def _binds(value: Any, base: Path, env: Mapping[str, str]) -> list[Bind]:
    out = []
    for vol in value or []:
        if isinstance(vol, str):
            parts = _interp(vol, env).split(":")
            if len(parts) < 2 or not parts[0].startswith((".", "/", "~")):
                continue  # named volume
            mode = parts[2] if len(parts) > 2 else ""
            src = Path(os.path.expanduser(parts[0]))
            out.append(
                Bind(src if src.is_absolute() else base / src, parts[1], "ro" in mode.split(","))
            )
        elif hasattr(vol, "get") and vol.get("type") == "bind":
            src = Path(os.path.expanduser(_interp(vol.get("source"), env)))
            out.append(
                Bind(
                    src if src.is_absolute() else base / src,
                    str(vol.get("target")),
                    bool(vol.get("read_only", False)),
                )
            )
    return out


def read_services(path: Path, env: Mapping[str, str] | None = None) -> list[ComposeService]:
    env = os.environ if env is None else env
    doc = _load(path)
    if not hasattr(doc, "get"):
        return []
    base = path.parent
    services = doc.get("services") or {}
    out = []
    for name, svc in services.items():
        if not hasattr(svc, "get"):
            continue
        line = None
        with contextlib.suppress(AttributeError, KeyError, TypeError):
            line = services.lc.key(name)[0] + 1  # type: ignore[union-attr]
        s = ComposeService(compose_file=path, name=str(name), line=line)
        build = svc.get("build")
        if isinstance(build, str):
            s.context, s.dockerfile = base / _interp(build, env), "Dockerfile"
        elif hasattr(build, "get"):
            s.context = base / _interp(build.get("context", "."), env)
            s.dockerfile = _interp(build.get("dockerfile", "Dockerfile"), env)
            s.target = _interp(build.get("target"), env) or None
        s.env_files = _env_files(svc.get("env_file"), base, env)
        s.environment = _environment(svc.get("environment"), env)
        s.binds = _binds(svc.get("volumes"), base, env)
        out.append(s)
    return out


def repo_services(repo: Path) -> list[ComposeService]:
    out: list[ComposeService] = []
    for path in compose_files(repo):
        out.extend(read_services(path))
    return out


def build_targets(repo: Path, dockerfile: str = "docker/Dockerfile") -> list[str | None]:
    """The stages compose builds from `repo/dockerfile`, in first-use order (None: the last stage)."""
    targets: list[str | None] = []
    for s in repo_services(repo):
        if s.builds(repo, dockerfile) and s.target not in targets:
            targets.append(s.target)
    return targets
