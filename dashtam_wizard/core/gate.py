"""The equivalence gate's rules: which commands the repo runs, and which differences are allowed.

Pure: the invocations of Compose found in the baseline tree are paired with the same lines
of the planned tree (phase 5 rewrites them in place), and two resolved configurations
(`config --format json`, paths written relative to the repo as `<repo>`) are compared
service by service. Everything not on the allowed list below is a difference that blocks
the apply. The allowed list, documented in the README ("What it guarantees"):

- a service gains environment keys it did not have (env_file hands it the whole file);
- read-only binds of pyproject.toml, uv.lock, alembic.ini that exist, and an existing bind
  of one of those becoming read-only;
- a bind of a `.env*` file is dropped when every key it holds reaches the container with
  the same value through the environment;
- the build's Dockerfile path changes to one that exists in the planned tree.
"""

from __future__ import annotations

import contextlib
import posixpath
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .detect import detect
from .envfile import parse_env
from .errors import BadInput
from .invocations import Invocation
from .model import Change
from .secrets import mask_value
from .snapshot import Tree

REPO = "<repo>"  # what the scratch folder's absolute path is replaced with before comparing
RO_FILES = ("pyproject.toml", "uv.lock", "alembic.ini")
_SKIP_KEYS = ("environment", "volumes", "build", "env_file")


@dataclass(frozen=True)
class Call:
    """One way the repo runs Compose: where it is written and the arguments that matter."""

    where: str  # path:line
    args: tuple[str, ...]  # -f/--env-file/-p, in order, as Compose takes them

    @property
    def unknown(self) -> str | None:
        """Why the call cannot be resolved statically (a value chosen at run time), or None."""
        return next((f"`{a}` is chosen at run time" for a in self.args if "$" in a), None)


@dataclass(frozen=True)
class Difference:
    where: str  # the command (path:line) whose result changes
    service: str
    key: str
    before: str
    after: str
    changes: tuple[str, ...] = ()  # ids of the changes that write what the command reads

    def line(self) -> str:
        svc = f"service {self.service}: " if self.service else ""
        return f"{self.where}: {svc}{self.key} would change ({self.before} → {self.after})"


@dataclass
class Verdict:
    differences: list[Difference] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)  # calls not compared, and why
    judge: str = ""  # the Compose CLI used, or the own model
    calls: int = 0  # resolutions run by a Compose CLI (not answered from the cache)
    compared: int = 0  # calls compared before and after


def attribute(
    verdict: Verdict, before: Tree, after: Tree, root_name: str, root: str, changes: list[Change]
) -> None:
    """Name the changes behind each difference: those that write a file the command reads on
    either side (its own line, its compose and env files, the Dockerfiles it builds; in a
    fresh clone also .gitignore), as the own model finds them. Skipping them is the way out
    (`--skip`), never around the gate."""
    from .resolve.config import resolve_call
    from .resolve.shapes import Unmodelled

    if not verdict.differences:
        return
    calls = {b.where: (b, a) for b, a in pairs(before, after, root_name, root)}
    out = []
    for d in verdict.differences:
        reads = {d.where.rpartition(":")[0]}
        b, a = calls.get(d.where, (None, None))
        for tree, call in ((before, b), (after, a)):
            if call is not None:
                with contextlib.suppress(Unmodelled):
                    resolve_call(tree, root_name, call.args, reads)
        if d.key.startswith("in a fresh clone"):
            reads.add(".gitignore")
        ids = tuple(c.id for c in changes if c.path in reads or c.source in reads)
        out.append(replace(d, changes=ids))
    verdict.differences = out


def _args(inv: Invocation, root: str = "") -> tuple[str, ...]:
    """`root`: the repo's absolute folder; a file named through it is the repo's own file,
    as the judge (which resolves in a scratch copy) must read it."""
    out: list[str] = []
    for f in inv.files:
        out += ["-f", f[len(root) + 1 :] if root and f.startswith(root + "/") else f]
    if inv.env_file:
        out += ["--env-file", inv.env_file]
    if inv.project:
        out += ["-p", inv.project]
    return tuple(out)


def _calls(tree: Tree, root_name: str, root: str = "") -> dict[tuple[str, int], Call]:
    """The commands: a make variable holding part of one (`DC = docker compose -f x.yml`) is
    not one; the recipe lines that use it are, as make expands them."""
    try:
        facts = detect(tree, root_name)
    except BadInput:
        return {}
    out = {}
    for i in facts.invocations:
        if not i.partial:
            out[(i.path, i.line)] = Call(f"{i.path}:{i.line}", _args(i, root))
    return out


def repo_calls(tree: Tree, root: Path) -> list[Call]:
    """Every way the repo runs Compose (what verify builds with): a developer's own
    commands first (Makefiles, then scripts, then CI workflows), each in line order."""

    def rank(key: tuple[str, int]) -> tuple[int, str, int]:
        path = key[0]
        return (2 if path.startswith(".github/") else 1 if path.endswith(".sh") else 0, *key)

    calls = _calls(tree, root.name, str(root))
    return [calls[key] for key in sorted(calls, key=rank)]


def pairs(
    before: Tree, after: Tree, root_name: str, root: str = ""
) -> list[tuple[Call, Call | None]]:
    """Each call of the baseline with the same line of the planned tree (None: it is gone)."""
    b, a = _calls(before, root_name, root), _calls(after, root_name, root)
    return [(call, a.get(key)) for key, call in sorted(b.items())]


def _show(key: str, value: Any) -> str:
    if value is None:
        return "absent"
    text = value if isinstance(value, str) else repr(value)
    return mask_value(key, text)[:120]


def _env_like(path: str) -> bool:
    name = posixpath.basename(path)
    return (name == ".env" or name.startswith(".env.")) and not name.endswith(".example")


def _rel(path: str) -> str | None:
    return path[len(REPO) + 1 :] if path.startswith(REPO + "/") else None


def compare(
    where: str, before: dict[str, Any], after: dict[str, Any], before_tree: Tree, after_tree: Tree
) -> list[Difference]:
    """What the planned tree's call resolves differently, beyond the allowed list."""
    out: list[Difference] = []

    def diff(service: str, key: str, b: Any, a: Any) -> None:
        out.append(Difference(where, service, key, _show(key, b), _show(key, a)))

    if before.get("name") != after.get("name"):
        diff("", "project name", before.get("name"), after.get("name"))
    for section in ("volumes", "networks", "secrets", "configs"):
        if (before.get(section) or {}) != (after.get(section) or {}):
            diff(
                "",
                f"top-level {section}",
                sorted(before.get(section) or {}),
                sorted(after.get(section) or {}),
            )
    services_after = after.get("services") or {}
    for name, b in (before.get("services") or {}).items():
        a = services_after.get(name)
        if a is None:
            diff(name, "service", "defined", None)
            continue
        env_b, env_a = b.get("environment") or {}, a.get("environment") or {}
        for k, v in env_b.items():
            if env_a.get(k, None) != v or k not in env_a:
                diff(name, f"environment {k}", v, env_a.get(k))
        _volumes(name, b, a, env_a, before_tree, after_tree, diff)
        _build(name, b.get("build"), a.get("build"), before_tree, after_tree, diff)
        for key in sorted((set(b) | set(a)) - set(_SKIP_KEYS)):
            if b.get(key) != a.get(key):
                diff(name, key, b.get(key), a.get(key))
    return out


def _volumes(
    name: str,
    b: dict[str, Any],
    a: dict[str, Any],
    env_a: dict[str, Any],
    before_tree: Tree,
    after_tree: Tree,
    diff: Any,
) -> None:
    vb = {v.get("target"): v for v in b.get("volumes") or []}
    va = {v.get("target"): v for v in a.get("volumes") or []}
    for target, v in vb.items():
        w = va.get(target)
        source = _rel(str(v.get("source", "")))
        if w is None:
            if v.get("type") == "bind" and source and _env_like(source):
                text = before_tree.text(source)
                values = parse_env(text, source) if text is not None else None
                if values is not None and all(env_a.get(k) == val for k, val in values.items()):
                    continue  # the dropped .env mount: its keys arrive with the same values
            diff(name, f"mount {target}", v.get("source"), None)
            continue
        ro_upgrade = (
            source is not None and posixpath.basename(source) in RO_FILES and w.get("read_only")
        )
        if {k: x for k, x in v.items() if not (ro_upgrade and k == "read_only")} != {
            k: x for k, x in w.items() if not (ro_upgrade and k == "read_only")
        }:
            diff(name, f"mount {target}", v.get("source"), w.get("source"))
    for target, w in va.items():
        if target in vb:
            continue
        source = _rel(str(w.get("source", "")))
        if (
            w.get("type") == "bind"
            and w.get("read_only")
            and source in RO_FILES
            and source in after_tree.files
        ):
            continue
        diff(name, f"mount {target}", None, w.get("source"))


def _dockerfile(build: dict[str, Any]) -> str | None:
    """The repo-relative path of the Dockerfile a resolved build reads (None: outside the repo)."""
    context = REPO if build.get("context") == REPO else _rel(str(build.get("context", "")))
    if context is None or build.get("dockerfile_inline") is not None:
        return None
    path = posixpath.normpath(
        posixpath.join(
            "" if context == REPO else context, str(build.get("dockerfile") or "Dockerfile")
        )
    )
    return None if path.startswith("..") else path


def _build(name: str, b: Any, a: Any, before_tree: Tree, after_tree: Tree, diff: Any) -> None:
    if isinstance(b, dict) and isinstance(a, dict):
        was, now = _dockerfile(b), _dockerfile(a)
        if (
            was is not None
            and was in before_tree.files
            and (now is None or now not in after_tree.files)
        ):
            diff(
                name, "build Dockerfile", was, f"{now} (missing)"
            )  # Compose resolves it; the build fails
            return
    if b == a:
        return
    if not isinstance(b, dict) or not isinstance(a, dict):
        diff(name, "build", b, a)
        return
    for key in sorted(set(b) | set(a)):
        if b.get(key) == a.get(key):
            continue
        if (
            key == "dockerfile"
            and (path := _dockerfile(a)) is not None
            and path in after_tree.files
        ):
            continue  # the moved Dockerfile, which exists in the planned tree
        diff(name, f"build {key}", b.get(key), a.get(key))
