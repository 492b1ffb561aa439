"""Phase 2 — compose/, env/, docker/; move compose and env files where the plan puts them."""

from __future__ import annotations

from typing import Any

from .. import changes as ch
from ..context import Ctx
from ..errors import BadInput
from ..model import Change, ChecklistItem, Evidence, Note, PhasePlan
from ..snapshot import Tree
from . import p3_dockerfile

SECTION = "Migration"
SECRET_MODE = 0o600


def _place(pp: PhasePlan, tree: Tree, src: str, dst: str, make: str, **kw: Any) -> bool:
    """Move or copy `src` to `dst` unless `dst` already holds it; refuse a different file there."""
    have = tree.files.get(dst)
    if have is not None:
        if have.data != tree.files[src].data:
            raise BadInput(
                dst, f"already exists with content different from {src}; merge them by hand first"
            )
        if make == "move":
            pp.changes.append(
                ch.delete(
                    2, tree, src, summary=f"remove {src} (identical copy already at {dst})", **kw
                )
            )
        return True
    pp.changes.append((ch.move if make == "move" else ch.copy)(2, tree, src, dst, **kw))
    return True


def plan(ctx: Ctx, tree: Tree) -> PhasePlan:
    pp = PhasePlan(2, "Directory Reorganization")
    # docker/ holds the rewritten Dockerfile: none when phase 3 leaves the Dockerfile alone
    no_docker = "docker" not in tree.dirs and p3_dockerfile.holds_back(ctx, tree)
    for d in ("compose", "env") if no_docker else ("compose", "env", "docker"):
        c = ch.mkdir(2, tree, d)
        if c:
            pp.changes.append(c)
    pp.notes.append(
        Note(
            "plan",
            "The plan's `touch docker/.dockerignore` is skipped: with build context `..` no "
            "builder reads docker/.dockerignore. Phase 7 writes the ignore file where Docker reads it.",
        )
    )

    for cf in ctx.facts.compose:
        if cf.migrated or cf.path not in tree.files:
            continue
        if cf.target.endswith(".example"):
            why = (
                f"{cf.path} is referenced by no Makefile, workflow or script: it is kept only as a "
                f"production template ({cf.target}), as the plan says (cp + rm, done as one move)."
            )
        else:
            why = (
                f"used by {', '.join(sorted({i.path for i in cf.invocations}))}"
                if cf.invocations
                else ""
            )
        _place(pp, tree, cf.path, cf.target, "move", why=why)
        ctx.moved[cf.path] = cf.target

    for path in sorted(ctx.facts.env_files.values()):
        if path.startswith("env/"):
            continue
        target = f"env/{path}"
        _place(pp, tree, path, target, "move", secret=True)
        ctx.moved[path] = target

    example = ctx.facts.example_env
    if example == ".env.example":
        for dst in ("env/.env.example", "env/.env.prod.example"):
            if dst in tree.files and tree.files[dst].data != tree.files[example].data:
                pp.notes.append(
                    Note("warn", f"{dst} already exists and differs from {example}; left as it is.")
                )
                continue
            if dst not in tree.files:
                pp.changes.append(
                    ch.copy(
                        2,
                        tree,
                        example,
                        dst,
                        secret=True,
                        why="The root .env.example stays for compatibility.",
                    )
                )

    have_env = set(ctx.facts.env_files)
    for cf in ctx.facts.compose:
        if cf.env in have_env or cf.target.endswith(".example") or cf.env == "prod":
            continue
        src = ctx.facts.env_examples.get(cf.env) or example
        why = f"{cf.target} will read env/.env.{cf.env}; a fresh clone has no local env file yet."
        if cf.env_file_before == ".env" and ".env" in tree.files:
            # Compose interpolated from the project folder's .env; the migrated command reads
            # env/.env.<env> instead, so it starts with the same values
            src = ".env"
            if ".env" in tree.tracked:
                ctx.shared_env.add(f"env/.env.{cf.env}")
            why = (
                f"Compose read .env for {cf.path} (no --env-file); the migrated command reads "
                f"env/.env.{cf.env}, so it starts as a copy and every ${{VAR}} resolves as before. "
                ".env itself stays where it is."
            )
        text = (tree.read(src) if src else b"") or b""
        c = ch.write(
            2,
            tree,
            f"env/.env.{cf.env}",
            text,
            mode=SECRET_MODE,
            secret=True,
            summary=f"create env/.env.{cf.env} from {src or 'nothing (empty)'}",
            why=why,
        )
        if c:
            pp.changes.append(c)
            have_env.add(cf.env)

    moved_compose = [cf for cf in ctx.facts.compose if cf.target in tree.files]
    pp.checklist += [
        ChecklistItem(
            SECTION,
            "Create directory structure (compose/, env/, docker/)",
            not _pending(pp, "mkdir"),
            Evidence(
                (
                    ", ".join(d + "/" for d in ("compose", "env", "docker") if d in tree.dirs)
                    or "none yet"
                )
                + ("; no docker/: phase 3 is held back" if no_docker else "")
            ),
        ),
        ChecklistItem(
            SECTION,
            "Move compose files to compose/",
            bool(moved_compose) and not _pending(pp, "move", "compose/"),
            Evidence(
                ", ".join(cf.target for cf in ctx.facts.compose if cf.target in tree.files)
                or "not moved yet"
            ),
        ),
        ChecklistItem(
            SECTION,
            "Move env files to env/",
            not _pending(pp, "move", "env/"),
            Evidence(
                ", ".join(p for p in sorted(tree.files) if p.startswith("env/.env"))
                or "not moved yet"
            ),
        ),
    ]
    return pp


def _pending(pp: PhasePlan, kind: str, prefix: str = "") -> list[Change]:
    return [c for c in pp.changes if c.kind.value == kind and c.path.startswith(prefix)]
