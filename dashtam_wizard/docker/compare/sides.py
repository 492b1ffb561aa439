"""What to build and what to edit: each side's development build (Dockerfile, target, the
manifest a dependency goes in) and the source file and dependency the scenarios change."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..build import _instructions
from ..context import context_files
from ..services import repo_services
from ..stages import arg_default, chain, read_stages
from .errors import CompareError

# Small, dependency-free, pure-Python packages: adding one measures the dependency layers,
# not a download of something big. The first one the project does not already use is added.
DEPENDENCIES = ("six", "tomli-w", "toolz", "cachetools")
_REQUIREMENTS = re.compile(r"(?<![\w*])((?:[\w.-]+/)*[\w.-]*requirements[\w.-]*\.txt)\b")


@dataclass
class Side:
    """One layout's development build: where it is and what a change edits in it."""

    name: str  # "legacy" | "migrated"
    tree: Path  # the scratch copy
    context: Path
    dockerfile: str  # relative to context, as the build API wants it
    target: str | None
    buildargs: dict[str, str] = field(default_factory=dict)
    dep_file: str = ""  # relative to tree: the manifest a dependency is added to
    relock: bool = False  # the layout needs `uv lock` after a dependency change

    @property
    def dockerfile_rel(self) -> str:
        return _rel(self.context / self.dockerfile, self.tree)

    def describe(self) -> str:
        deps = f"{self.dep_file} + `uv lock`" if self.relock else self.dep_file
        return (
            f"{self.dockerfile_rel} target {self.target or '(last stage)'}, dependencies in {deps}"
        )


def _rel(p: Path, tree: Path) -> str:
    try:
        return Path(os.path.normpath(p)).relative_to(tree).as_posix()
    except ValueError:
        return str(p)


def _inside(p: Path, tree: Path) -> bool:
    q = os.path.normpath(os.path.abspath(p))
    return q == str(tree) or q.startswith(str(tree) + os.sep)


def find_side(name: str, tree: Path) -> Side:
    """The stage the dev compose service builds (as compose resolves context and dockerfile);
    without compose, the Dockerfile `verify` would use and its development stage."""
    candidates = [
        s
        for s in repo_services(tree)
        if s.context is not None
        and s.dockerfile
        and _inside(s.context, tree)
        and (s.context / s.dockerfile).is_file()
    ]
    pick = (
        next((s for s in candidates if (s.target or "").lower().startswith("dev")), None)
        or next((s for s in candidates if "dev" in s.compose_file.name.lower()), None)
        or (candidates[0] if candidates else None)
    )
    if pick is not None and pick.context is not None and pick.dockerfile is not None:
        context = Path(os.path.normpath(pick.context))
        dockerfile, target = pick.dockerfile, pick.target
    else:
        context = tree
        dockerfile = next(
            (d for d in ("docker/Dockerfile", "Dockerfile") if (tree / d).is_file()), ""
        )
        if not dockerfile:
            raise CompareError(f"{name} layout: no docker/Dockerfile (or Dockerfile) to build")
        target = None
    text = (context / dockerfile).read_text(encoding="utf-8", errors="replace")
    stages = read_stages(text)
    if target is None:
        names = {s.name.lower(): s.name for s in stages}
        target = next((names[n] for n in ("development", "dev") if n in names), None)
    declared = {a for st in chain(stages, target) for a in st.args}
    buildargs: dict[str, str] = {
        k: arg_default(stages, target, k) or "1000" for k in ("UID", "GID") if k in declared
    }
    side = Side(name, tree, context, dockerfile, target, buildargs)
    side.dep_file, side.relock = _dependency_manifest(side, text)
    return side


def _dependency_manifest(side: Side, text: str) -> tuple[str, bool]:
    """The manifest the Dockerfile installs dependencies from (comments ignored), and whether
    a change to it needs `uv lock`: a requirements file it names, else pyproject.toml."""
    body = "\n".join(instr for _line, instr in _instructions(text))
    named = [m.removeprefix("./") for m in _REQUIREMENTS.findall(body)]
    existing = [r for r in dict.fromkeys(named) if (side.context / r).is_file()]
    if existing:
        main = [r for r in existing if not re.search(r"dev|test|lint|doc", r.rsplit("/", 1)[-1])]
        return _rel(side.context / (main or existing)[0], side.tree), False
    if (side.context / "pyproject.toml").is_file():
        lock = "uv.lock" in body and (side.context / "uv.lock").is_file()
        return _rel(side.context / "pyproject.toml", side.tree), lock
    raise CompareError(
        f"{side.name} layout: {side.dockerfile_rel} installs from no requirements file and there "
        "is no pyproject.toml: no dependency manifest to change"
    )


def pick_source_file(legacy: Side, migrated: Side) -> str:
    """A Python source file both build contexts send (so editing it is a change to both),
    preferring the application's own code (src/, app/, main.py) over tests and migrations."""

    def pys(side: Side) -> set[str]:
        files = context_files(side.context, side.dockerfile)
        return {_rel(side.context / f, side.tree) for f in files if f.endswith(".py")}

    both = pys(legacy) & pys(migrated)

    def key(rel: str) -> tuple[Any, ...]:
        parts = rel.split("/")
        return (
            any(p in ("tests", "test", "alembic", "migrations") for p in parts[:-1]),
            parts[0] not in ("src", "app"),
            parts[-1] not in ("main.py", "app.py"),
            len(parts),
            rel,
        )

    if not both:
        raise CompareError(
            "no Python file is in both build contexts: nothing to edit for the source-change rebuild"
        )
    return min(both, key=key)


def pick_dependency(texts: list[str]) -> str:
    """The first of DEPENDENCIES no manifest or lock already names."""
    blob = "\n".join(texts).lower().replace("_", "-")
    for dep in DEPENDENCIES:
        if not re.search(rf"(?<![\w.-]){re.escape(dep)}(?![\w.-])", blob):
            return dep
    raise CompareError(f"the project already uses {', '.join(DEPENDENCIES)}: no dependency to add")


def _add_to_pyproject(data: bytes, dep: str, nonce: str, where: str) -> bytes:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(data.decode("utf-8"))
        project = doc.setdefault("project", tomlkit.table())
        deps = project.setdefault("dependencies", tomlkit.array())
        deps.append(dep)
    except (TOMLKitError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise CompareError(f"{where}: cannot add a dependency ({exc})") from None
    return (
        tomlkit.dumps(doc).rstrip("\n") + f"\n# dashtam-wizard compare-builds {nonce}\n"
    ).encode()
