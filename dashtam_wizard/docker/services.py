"""The compose services the repo's own commands run, as the Docker checks need them.

Build context, Dockerfile and target, env files, environment and bind mounts come from the
core's Compose model (`core.resolve.services.resolve_services`), per command of the repo
(`core.gate.repo_calls`: Makefiles, scripts, CI), with `-f` files merged, the project's
`.env` or `--env-file` interpolated and env files read as Compose reads them: the model
the equivalence gate compares, so verify checks what those commands run. A compose file
no command names is taken as its name implies (`-f` it alone). Nothing here parses a
compose file; the only text read is the line of a service key, for "where to fix".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dashtam_wizard.core.detect import COMPOSE_RE
from dashtam_wizard.core.gate import repo_calls
from dashtam_wizard.core.resolve.project import command_files
from dashtam_wizard.core.resolve.services import ResolvedService, resolve_services
from dashtam_wizard.core.resolve.shapes import Unmodelled
from dashtam_wizard.core.snapshot import Tree, read_tree


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
    environment: dict[str, str | None] = field(default_factory=dict)  # `environment:` itself
    resolved: dict[str, str | None] = field(default_factory=dict)  # what the container gets
    binds: list[Bind] = field(default_factory=list)
    project: str = ""  # the Compose project the command runs it in

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


def compose_files(repo: Path, tree: Tree) -> list[Path]:
    """The compose files at the root and in compose/, named as detection names them
    (`core.detect.COMPOSE_RE`: one rule for what a compose file is)."""
    found: list[Path] = []
    for folder in ("", "compose"):
        for name in sorted(tree.listdir(folder)):
            rel = f"{folder}/{name}" if folder else name
            if COMPOSE_RE.match(name) and rel in tree.files:
                found.append(repo / rel)
    return found


def key_line(text: str | None, name: str) -> int | None:
    """1-based line of `name:` among the keys of the top-level `services:` (for "where to
    fix"; a `depends_on:` entry of the same name deeper in is not it)."""
    if not text:
        return None
    inside, level = False, None
    key = re.compile(rf"^['\"]?{re.escape(name)}['\"]?[ \t]*:(?:[ \t]|$)")
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if indent == 0:
            inside, level = bool(re.match(r"^services[ \t]*:", line)), None
        elif inside:
            level = indent if level is None else level
            if indent == level and key.match(stripped):
                return n
    return None


def _service(repo: Path, tree: Tree, s: ResolvedService) -> ComposeService:
    return ComposeService(
        compose_file=repo / s.defined_in,
        name=s.name,
        line=key_line(tree.text(s.defined_in), s.name),
        context=None if s.context is None else repo / s.context,
        dockerfile=s.dockerfile,
        target=s.target,
        env_files=[EnvFile(repo / p, r) for p, r in s.env_files],
        environment=dict(s.declared),
        resolved=dict(s.environment),
        binds=[
            Bind(
                Path(b.source) if b.source.startswith("/") else repo / b.source,
                b.target,
                b.read_only,
            )
            for b in s.binds
            if not b.source.startswith("<home>")
        ],
        project=s.project,
    )


def command_args(repo: Path, tree: Tree) -> list[tuple[str, ...]]:
    """The arguments of every command the repo runs Compose with, then `-f FILE` for each
    compose file none of them names (as its name implies); `()` (the default file) when
    there is nothing else."""
    calls = [c.args for c in repo_calls(tree, repo) if c.unknown is None]
    named = {_norm(a) for args in calls for a in command_files(args)}
    for path in compose_files(repo, tree):
        rel = path.relative_to(repo).as_posix()
        if rel not in named:
            calls.append(("-f", rel))
    return list(dict.fromkeys(calls)) or [()]


def _norm(p: str) -> str:
    return os.path.normpath(p).replace(os.sep, "/")


def services_of(repo: Path, tree: Tree, args: tuple[str, ...]) -> list[ComposeService]:
    """The services one command runs; none when Compose would refuse it or only the real
    Compose can resolve it (`extends`, `include`)."""
    try:
        got = resolve_services(tree, repo.name, args)
    except Unmodelled:
        return []
    except (TypeError, ValueError, AttributeError):
        return []  # a key of a shape Compose's schema refuses (`build: 3`): it runs nothing
    return [] if isinstance(got, str) else [_service(repo, tree, s) for s in got]


def repo_services(repo: Path, tree: Tree | None = None) -> list[ComposeService]:
    """Each service of each command once (by the file defining it and its name), the
    repo's own commands first."""
    tree = read_tree(repo) if tree is None else tree
    out: list[ComposeService] = []
    seen: set[tuple[Path, str]] = set()
    for args in command_args(repo, tree):
        for s in services_of(repo, tree, args):
            if (s.compose_file, s.name) not in seen:
                seen.add((s.compose_file, s.name))
                out.append(s)
    return out


def build_targets(
    repo: Path, dockerfile: str = "docker/Dockerfile", tree: Tree | None = None
) -> list[str | None]:
    """The stages compose builds from `repo/dockerfile`, in first-use order (None: the last stage)."""
    targets: list[str | None] = []
    for s in repo_services(repo, tree):
        if s.builds(repo, dockerfile) and s.target not in targets:
            targets.append(s.target)
    return targets
