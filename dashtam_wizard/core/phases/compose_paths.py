"""Phase 4's path rebasing: a compose file's relative paths (build contexts, binds,
env files, `${VAR}` paths) written as they read from compose/, each said in a note."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import ScalarString

from ..compose import (
    is_path,
    join_short_volume,
    norm_rel,
    resolve_str,
    split_short_volume,
)
from ..context import Ctx
from ..model import Note
from ..snapshot import Tree

RO_FILES = ("pyproject.toml", "uv.lock", "alembic.ini")  # mounted read-only into the app


def is_env_path(rel: str) -> bool:
    name = posixpath.basename(rel)
    return (name == ".env" or name.startswith(".env.")) and not name.endswith(".example")


class Rewriter:
    def __init__(
        self, ctx: Ctx, tree: Tree, old_dir: str, env: Mapping[str, str] | None = None
    ) -> None:
        self.ctx, self.tree, self.old_dir = ctx, tree, old_dir
        self.env = env or {}  # the project's variables, to see where a `${VAR}` path points
        self.notes: list[Note] = []

    def path(self, p: str, bind: bool = False) -> str:
        """`p` (relative to the old compose folder) written relative to compose/.

        `bind`: `p` is a short-syntax volume source, where only `.`/`/`/`~` mean a path.
        """
        if p.startswith(("/", "~")):
            return p
        if "$" in p:
            return self._var_path(p, bind)
        rel = self.ctx.new_path(norm_rel(self.old_dir, p))
        new = posixpath.relpath(rel, "compose")
        return new if new.startswith(".") else f"./{new}"

    def _var_path(self, p: str, bind: bool) -> str:
        """A path with a variable in it: Compose resolves it relative to the compose file's folder
        after interpolation, so from compose/ it needs a `../` in front whenever it is relative."""
        if self.old_dir != "":
            return p
        if p.startswith(("./", "../")):  # relative whatever the variable holds
            return "../" + p.removeprefix("./")
        if not p.startswith("$"):
            return p if bind else "../" + p
        value = resolve_str(p, self.env)
        relative = (
            value.startswith(".") if bind else bool(value) and not value.startswith(("/", "~"))
        )
        if not relative or "://" in value:
            return p  # absolute, a named volume or a URL with today's values: stays as it is
        self.notes.append(
            Note(
                "warn",
                f"`{p}` is `{value}` with today's values, a path relative to the compose "
                f"file: written as `../{p}` so it still points there from compose/. An absolute "
                "value set later would need the `../` removed.",
            )
        )
        return "../" + p

    def volumes(self, svc: CommentedMap, notes: list[Note], name: str) -> None:
        vols = svc.get("volumes")
        if not vols:
            return
        drop: list[int] = []
        for i, vol in enumerate(vols):
            if isinstance(vol, str):
                src, dst, mode = split_short_volume(vol)
                if dst is not None and is_path(src) and not src.startswith(("/", "~")):
                    if is_env_path(norm_rel(self.old_dir, resolve_str(src, self.env))):
                        notes.append(
                            Note(
                                "info",
                                f"{name}: removed the `{vol}` mount — env_file now provides those values",
                            )
                        )
                        drop.append(i)
                        continue
                    new = join_short_volume(self.path(src, bind=True), dst, mode)
                    if new != vol:  # keep the item's quoting style
                        vols[i] = type(vol)(new) if isinstance(vol, ScalarString) else new
            elif (
                hasattr(vol, "get")
                and vol.get("type") == "bind"
                and isinstance(vol.get("source"), str)
            ):
                src = vol["source"]
                if is_env_path(norm_rel(self.old_dir, resolve_str(src, self.env))):
                    notes.append(
                        Note(
                            "info",
                            f"{name}: removed the bind mount of {src} — env_file replaces it",
                        )
                    )
                    drop.append(i)
                    continue
                vol["source"] = self.path(src)
        for i in reversed(drop):  # rewritten items stay where they are; only the .env mounts go
            del vols[i]

    def build(self, svc: CommentedMap) -> None:
        b = svc.get("build")
        if isinstance(b, str):
            moved = self._moved_dockerfile(b, "Dockerfile")
            svc["build"] = self.path(b)
            if moved is not None:  # the implicit <context>/Dockerfile moved: name where it went
                svc["build"] = CommentedMap([("context", svc["build"]), ("dockerfile", moved)])
        elif hasattr(b, "get"):
            context = str(b.get("context", "."))
            if (
                "dockerfile_inline" not in b
                and (
                    moved := self._moved_dockerfile(context, str(b.get("dockerfile", "Dockerfile")))
                )
                is not None
            ):
                b["dockerfile"] = moved
            if "context" in b:
                b["context"] = self.path(str(b["context"]))
            else:
                b.insert(0, "context", self.path("."))

    def _moved_dockerfile(self, context: str, dockerfile: str) -> str | None:
        """Where a build's Dockerfile went (relative to its context, which stays the same
        folder), when an earlier phase moved it; None when it did not move."""
        if "$" in context + dockerfile or "://" in context or dockerfile.startswith("/"):
            return None
        repo_ctx = norm_rel(self.old_dir, context)
        new = self.ctx.moved.get(norm_rel(repo_ctx, dockerfile))
        return None if new is None else posixpath.relpath(new, repo_ctx or ".")

    def ro_mounts(self, svc: CommentedMap) -> list[str]:
        vols = svc.get("volumes")
        if not svc.get("build") or not vols:
            return []
        targets = []
        code: list[str] = []  # targets of the repo's own folders mounted by name (./src:/app/src)
        for v in vols:
            if isinstance(v, str):
                src, dst, _ = split_short_volume(v)
                if dst and is_path(src):
                    targets.append(dst)
            elif hasattr(v, "get") and v.get("type") == "bind":
                src, dst = str(v.get("source", "")), str(v.get("target"))
                targets.append(dst)
            else:
                continue
            if (
                dst
                and src.startswith(".")
                and dst.count("/") >= 2
                and posixpath.basename(src.rstrip("/")) == posixpath.basename(dst.rstrip("/"))
            ):
                code.append(dst)
        # the app folder is where the service mounts its source, never a socket's folder
        # (/var/run/docker.sock) or a proxy's config
        app = next((t.rsplit("/", 1)[0] for t in code), None)
        if app is None:
            return []
        added = []
        for f in RO_FILES:
            dst = f"{app}/{f}"
            if f in self.tree.files and dst not in targets:
                vols.append(f"../{f}:{dst}:ro")
                added.append(f)
        return added
